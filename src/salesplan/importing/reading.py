"""Read CRM exports as the CRMs write them: CSV in UTF-8 (with or without a BOM) or
Windows-1252, comma-, semicolon- or tab-separated, and XLSX workbooks. Every cell is text;
each row keeps the line (CSV) or sheet row (XLSX) it came from, for diagnostics."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.tables import cell_at

MAX_BYTES = 2 * 1024 * 1024 * 1024  # a 1,000,000-row export is about 150 MB
DELIMITERS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"


class Unreadable(Exception):
    """The export cannot be read as a table; carries the diagnostic to report."""

    def __init__(self, problem: Diagnostic) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Export:
    """One file's table: every cell a stripped string, columns as the header names them."""

    file: str  # as the user named it
    frame: pd.DataFrame
    lines: np.ndarray  # the line (CSV) or sheet row (XLSX) of each data row
    header: list[str]
    encoding: str = "xlsx"
    delimiter: str = ","
    text: str | None = None  # CSV text, to find a cell's character column on demand
    sheet: str | None = None
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def load(self, used: list[str]) -> None:
        """Read the rows of the columns in `used` (all, for XLSX, are read already)."""
        if self.text is None or len(self.frame.columns):
            return
        index = sorted({self.header.index(name) for name in used if name in self.header})
        try:
            frame = pd.read_csv(
                io.StringIO(self.text),
                sep=self.delimiter,
                header=0,
                names=[f"c{i}" for i in range(len(self.header))],
                usecols=[f"c{i}" for i in index],
                dtype=object,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                engine="c",
            )
        except (pd.errors.ParserError, ValueError) as err:
            found = re.search(r"line (\d+)", str(err))
            line = int(found.group(1)) if found else 1
            message = f"malformed CSV: {str(err).strip()}"
            raise Unreadable(diagnostic("SP701", message, self.file, line, 1)) from None
        frame.columns = pd.Index([self.header[i] for i in index])
        self.frame = frame
        self.lines = _csv_lines(self.text, len(frame))

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The column as codes into its distinct values, stripped (each stripped once)."""
        found = self._codes.get(name)
        if found is None:
            codes, uniques = pd.factorize(self.frame[name].to_numpy(dtype=object))
            stripped = [str(v).strip() for v in uniques]
            merged, distinct = pd.factorize(np.array(stripped, dtype=object))
            if len(distinct) < len(uniques):  # "a" and "a " are one value
                codes = merged[codes]
            found = (
                codes,
                np.asarray(distinct if len(distinct) < len(uniques) else stripped, dtype=object),
            )
            self._codes[name] = found
        return found

    def stripped(self, name: str) -> np.ndarray:
        """The column's cells, stripped in C: for columns whose values rarely repeat
        (amounts, ids), where finding the distinct values first would cost more."""
        found = self._codes.get(name)
        if found is not None:
            return self.cells(name)
        text = self.frame[name].to_numpy(dtype=object).astype(np.dtypes.StringDType())
        result: np.ndarray = np.strings.strip(text).astype(object)
        return result

    def cells(self, name: str) -> np.ndarray:
        """The column's cells, stripped."""
        codes, uniques = self.codes(name)
        return uniques[codes] if len(uniques) else np.zeros(len(codes), dtype=object)

    @property
    def european(self) -> bool:
        """Semicolon-separated files come from locales that write `1.200,50`."""
        return self.delimiter == ";"

    def place(self, line: int, name: str) -> tuple[int, int]:
        """Line and column of the cell of `name` in the row that starts on `line` (the cell
        number for XLSX): a quoted cell may hold line breaks, read as the csv module reads."""
        index = self.header.index(name) if name in self.header else 0
        return cell_at(self.text, line, index, self.delimiter)


def read_export(path: Path, file: str) -> Export:
    """The export at `path`, named `file` in diagnostics; Unreadable if it is no table."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise Unreadable(diagnostic("SP701", "not a regular file", file, 1, 1))
        if size > MAX_BYTES:
            message = f"file is {size:,} bytes, more than the limit of {MAX_BYTES:,}"
            raise Unreadable(diagnostic("SP701", message, file, 1, 1))
        with path.open("rb") as handle:
            magic = handle.read(4)
            if magic == XLSX_MAGIC:
                return _read_xlsx(path, file)
            raw = magic + handle.read()
    except OSError as err:
        raise Unreadable(
            diagnostic("SP701", f"cannot read file: {err.strerror}", file, 1, 1)
        ) from None
    return read_csv_bytes(raw, file)


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (a BOM is dropped), else Windows-1252 as Excel saves."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: the most frequent of , ; and tab outside quotes."""
    first = next((line for line in text[:65536].splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))


def read_csv_bytes(raw: bytes, file: str) -> Export:
    """The export's header now; its rows when `Export.load` names the columns to read."""
    try:
        text, encoding = decode(raw)
    except UnicodeDecodeError as err:
        message = f"invalid UTF-8 after a BOM: {err}"
        raise Unreadable(diagnostic("SP701", message, file, 1, 1)) from None
    if not text.strip():
        raise Unreadable(diagnostic("SP701", "file is empty", file, 1, 1))
    delimiter = sniff_delimiter(text)
    import csv

    try:
        first = next(csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise Unreadable(diagnostic("SP701", f"malformed CSV: {err}", file, 1, 1)) from None
    header = [name.strip() for name in first]
    return Export(file, pd.DataFrame(), np.zeros(0, np.int64), header, encoding, delimiter, text)


def _csv_lines(text: str, rows: int) -> np.ndarray:
    """The line of each data row: one line per row after the header, unless the file has
    blank lines or quoted line breaks; then the rows are walked to find their lines."""
    breaks = text.count("\n") + (0 if text.endswith("\n") else 1)
    if breaks == rows + 1 and not text.startswith(("\n", "\r\n")):
        return np.arange(2, rows + 2, dtype=np.int64)
    import csv

    reader = csv.reader(io.StringIO(text, newline=""))
    lines: list[int] = []
    seen_header = False
    start = 1
    for cells in reader:
        if any(c.strip() for c in cells):
            if seen_header:
                lines.append(start)
            seen_header = True
        start = reader.line_num + 1
    return np.asarray(lines[:rows], dtype=np.int64)


def _read_xlsx(path: Path, file: str) -> Export:
    from salesplan.reading.xlsx import read_xlsx

    table = read_xlsx(file, path)
    if table.diagnostics:
        first = table.diagnostics[0]
        raise Unreadable(diagnostic("SP701", first.message, file, first.line, first.column))
    if not table.header:
        raise Unreadable(diagnostic("SP701", "the first sheet is empty", file, 1, 1))
    width = len(table.header)
    columns = {
        name or f"column {i + 1}": [row.values[i] for row in table.rows]
        for i, name in enumerate(table.header)
        if i < width
    }
    frame = pd.DataFrame(columns, dtype=object)
    lines = np.asarray([row.line for row in table.rows], dtype=np.int64)
    header = list(columns)
    return Export(file, frame, lines, header, sheet=table.sheet)
