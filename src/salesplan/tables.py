"""Read tabular inputs (CSV and XLSX) as rows of text with their positions."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, NamedTuple

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.money import out_of_bounds
from salesplan.source import decode


class Row(NamedTuple):
    """One data row: its line and its cells in header order (stripped, padded)."""

    line: int
    values: list[str]

    def get(self, table: Table, name: str) -> str:
        index = table.index.get(name)
        return self.values[index] if index is not None and index < len(self.values) else ""

    def column(self, table: Table, name: str) -> int:
        index = table.index.get(name)
        return table.cell_column(self.line, index) if index is not None else 1


@dataclass
class Table:
    file: str
    header: list[str]
    rows: list[Row]
    diagnostics: list[Diagnostic]
    header_line: int = 1
    header_columns: list[int] = field(default_factory=list)  # 1-based column of each name
    text: str | None = None  # the CSV text, to find a cell's character column on demand
    sheet: str | None = None  # the worksheet read, for an XLSX file
    # Cells each row has at least: the header's width, or fewer when set by a caller that
    # reads only the first columns, before it reads the rows (a header of 20,000 names
    # does not make every short row 20,000 cells long).
    width: int | None = None

    @property
    def index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {name: i for i, name in enumerate(self.header)}
            self.__dict__["_index"] = cached
        return cached

    def cell_column(self, line: int, index: int) -> int:
        """1-based character column of cell `index` on `line` (the cell number for XLSX)."""
        return cell_column(self.text, line, index)


def cell_column(text: str | None, line: int, index: int) -> int:
    """1-based character column of cell `index` on line `line` of CSV `text` (None: XLSX,
    where the column is the cell number). Only diagnostics ask; the line starts of a text
    and the cell starts of a line are found once, so a file with every row wrong costs
    one pass, not one pass per diagnostic."""
    if text is None:
        return index + 1
    starts = _cell_starts_at(text, line)
    return starts[index] if index < len(starts) else starts[-1]


@lru_cache(maxsize=8)
def _line_starts(text: str) -> array[int]:
    """Offset of each line's first character in `text` (a str caches its hash: a lookup is
    O(1) after the first)."""
    starts = array("q", [0])
    find, at = text.find, text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = find("\n", at + 1)
    return starts


def line_of(text: str, line: int) -> str:
    """Line `line` (1-based) of `text`, without its line break; empty past the end."""
    starts = _line_starts(text)
    if not 1 <= line <= len(starts):
        return ""
    start = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(text)
    return text[start:end].rstrip("\r")


@lru_cache(maxsize=64)
def _cell_starts_at(text: str, line: int) -> list[int]:
    return cell_starts(line_of(text, line))


def cell_starts(raw_line: str) -> list[int]:
    """1-based character column where each cell of a CSV line starts (commas outside quotes)."""
    columns, quoted = [1], False
    for i, char in enumerate(raw_line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            columns.append(i + 2)
    return columns


def read_csv(file: str, raw: bytes, short_rows: bool = False) -> Table:
    """A whole CSV file: its header and its rows, cells stripped, each row as wide as the
    header; with `short_rows`, a short row keeps only the cells it has (at least one: a
    header of 20,000 names over 100,000 one-cell rows would be two billion cells)."""
    table, rows = open_csv(file, raw)
    if short_rows:
        table.width = 1
    table.rows.extend(Row(line, [c.strip() for c in cells]) for line, cells in rows)
    return table


CsvRows = Iterator[tuple[int, list[str]]]


def open_csv(file: str, raw: bytes) -> tuple[Table, CsvRows]:
    """A CSV file's header, read now (a table without rows), and its data rows to read as
    (line, cells), the cells as written (not stripped) and as many as the header has. Blank
    rows are skipped; problems are added to the table's diagnostics as rows are read."""
    text, problems = decode(file, raw)
    if text is None:
        return Table(file, [], [], problems), iter(())
    reader = csv.reader(io.StringIO(text, newline=""))
    table = Table(file, [], [], problems, text=text)
    try:
        for cells in reader:
            if any(cells):
                table.header.extend(c.strip() for c in cells)
                table.header_line = reader.line_num
                columns = cell_starts(line_of(text, table.header_line))
                table.header_columns = columns[: len(table.header)]
                break
    except csv.Error as err:
        problems.append(diagnostic("SP112", str(err), file, reader.line_num or 1, 1))
        return Table(file, [], [], problems), iter(())
    if not table.header:
        return Table(file, [], [], problems), iter(())
    return table, _data_rows(table, reader)


def _data_rows(table: Table, reader: Any) -> CsvRows:
    header_width, problems = len(table.header), table.diagnostics
    width = table.width or header_width  # read when the rows are first asked for
    try:
        for cells in reader:
            if len(cells) == header_width and any(cells):  # the common case, kept short
                yield reader.line_num, cells
                continue
            if not any(cells):
                continue
            if len(cells) > header_width:
                line = reader.line_num
                message = (
                    f"row has {len(cells)} cells but the header has {header_width}; "
                    "remove the extra cells or quote a cell that holds a comma"
                )
                column = table.cell_column(line, header_width)
                problems.append(diagnostic("SP112", message, table.file, line, column))
            elif len(cells) < width:
                cells += [""] * (width - len(cells))
            yield reader.line_num, cells
    except csv.Error as err:
        problems.append(diagnostic("SP112", str(err), table.file, reader.line_num or 1, 1))


def column_key(name: str) -> str:
    """A header cell as matched: `Rep`, ` rep ` and `R ep` are all `rep`."""
    return "".join(name.split()).casefold()


DATA_SHEETS = ("forecast", "forecasts", "submission", "submissions", "data")


def read_xlsx(
    file: str, path: Path | bytes, required: Sequence[str] = (), reads: Sequence[str] = ()
) -> Table:
    """The data sheet of a workbook: the only sheet, else the one whose header has the
    `required` columns (any case and spacing), else the one named like data (Forecast,
    Submissions), else the first. Positions are the sheet's row and column numbers. Rows
    hold the cells up to the last column named in `reads` (all of them when not given).

    openpyxl reads it (read-only, cached values, defusedxml refusing entities), after
    `xlsx_preflight` has checked the zip; every row is read whatever `<dimension>` claims.
    A required cell left empty by a formula never calculated reads as its `=formula`."""
    try:
        with _open_source(path) as source:
            xlsx_preflight(source)
            workbook = _load(source, data_only=True)
            try:
                sheet = _data_sheet(workbook, required)
                table = _sheet_table(file, sheet, reads)
            finally:
                workbook.close()
            if table.rows and required:
                _formulas(table, source, required)
            return table
    except XlsxRefused as err:
        return Table(
            file, [], [], [diagnostic(err.code, f"cannot read workbook: {err}", file, 1, 1)]
        )
    except Exception as err:  # openpyxl and zipfile raise many kinds for a damaged file
        message = f"cannot read workbook: {_why(err)}"
        return Table(file, [], [], [diagnostic("SP113", message, file, 1, 1)])


MAX_PART = 256 * 1024 * 1024  # bytes of one part once inflated
MAX_TOTAL = 512 * 1024 * 1024  # bytes of all the parts, once inflated
MAX_RATIO = 50  # inflated / compressed, for a part of more than RATIO_FROM bytes
RATIO_FROM = 2 * 1024 * 1024
MAX_STRINGS = 64 * 1024 * 1024  # bytes of the shared strings, which openpyxl holds in memory


class XlsxRefused(Exception):
    """A workbook refused before openpyxl opens it: SP113 (not one), SP111 (a limit)."""

    def __init__(self, message: str, code: str = "SP113") -> None:
        super().__init__(message)
        self.code = code


def xlsx_preflight(source: IO[bytes]) -> None:
    """What openpyxl does not check: a zip with a workbook part, whose parts' declared
    sizes and compression ratios are within the limits (the zip's reader stops at the size
    declared, so a part cannot inflate beyond it), the shared strings bounded."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as err:
        raise XlsxRefused(f"not an XLSX workbook ({err})") from None
    with archive:
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names or not any(
            n.lower().endswith("workbook.xml") for n in names
        ):
            raise XlsxRefused("not an XLSX workbook (no workbook part)")
        total = 0
        for info in archive.infolist():
            size, packed = info.file_size, max(info.compress_size, 1)
            total += size
            if size > MAX_PART or total > MAX_TOTAL:
                limit = MAX_PART if size > MAX_PART else MAX_TOTAL
                message = (
                    f"{info.filename} inflates to {size:,} bytes, more than the limit of {limit:,}"
                )
                raise XlsxRefused(message, "SP111")
            if size > RATIO_FROM and size / packed > MAX_RATIO:
                raise XlsxRefused(
                    f"{info.filename} inflates {size // packed:,} times (from {packed:,} to "
                    f"{size:,} bytes): a zip bomb, not a spreadsheet",
                    "SP111",
                )
        strings = _shared_strings_part(archive)
        if strings in names and (size := archive.getinfo(strings).file_size) > MAX_STRINGS:
            message = (
                f"{strings} holds {size:,} bytes of text, more than the limit of {MAX_STRINGS:,}"
            )
            raise XlsxRefused(message, "SP111")


def _shared_strings_part(archive: zipfile.ZipFile) -> str:
    """The part openpyxl reads the shared strings from, as its reader finds it."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    manifest = Manifest.from_tree(fromstring(archive.read("[Content_Types].xml")))
    found = manifest.find(SHARED_STRINGS)
    return found.PartName[1:] if found is not None else ""


def _open_source(path: Path | bytes) -> IO[bytes]:
    return io.BytesIO(path) if isinstance(path, bytes) else path.open("rb")


def _load(source: IO[bytes], data_only: bool) -> Any:
    import warnings

    import openpyxl

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False: entities would be expanded
        raise XlsxRefused("openpyxl runs without defusedxml here; workbooks are not read")
    source.seek(0)
    with warnings.catch_warnings():  # "no default style" and the like: not the user's concern
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(source, read_only=True, data_only=data_only)


def _why(err: Exception) -> str:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException  # type: ignore[import-untyped]

    cause: BaseException | None = err
    while cause is not None:  # openpyxl wraps what the XML parser raised
        if isinstance(cause, DefusedXmlException):
            return "a part declares a DTD or entities, which a workbook never needs; refused"
        if isinstance(cause, ParseError):
            return f"a part is not well-formed XML ({cause})"
        cause = cause.__cause__ or cause.__context__
    if isinstance(err, OSError) and err.strerror:
        return f"cannot read file: {err.strerror}"
    text = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows that hold a value, with their sheet row numbers, whatever `<dimension>`
    says (a row is as long as its last cell, not padded to the sheet's width)."""
    sheet.reset_dimensions()
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if values and any(v is not None and v != "" for v in values):
            yield line, values


def _text(value: Any) -> str:
    """A cell as text: numbers as Excel shows them (15 significant digits), a date as
    `YYYY-MM-DD HH:MM:SS`, a boolean as true/false."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return format(Decimal(f"{value:.15g}"), "f")
    return str(value)


def _sheet_table(file: str, sheet: Any, reads: Sequence[str]) -> Table:
    rows = _rows(sheet)
    first = next(rows, None)
    if first is None:
        return Table(file, [], [], [], sheet=sheet.title)
    header_line, values = first
    header = [_text(v).strip() for v in values]
    while header and not header[-1] and values[len(header) - 1] in (None, ""):
        header.pop()
    width = len(header)
    table = Table(file, header, [], [], header_line, list(range(1, width + 1)), sheet=sheet.title)
    keys = {column_key(name) for name in reads}
    named = [i for i, name in enumerate(header) if column_key(name) in keys]
    kept = max(named) + 1 if named else width
    padding = [""] * kept
    for line, values in rows:
        cells = [_text(v) for v in values[:kept]]
        if len(cells) < kept:
            cells += padding[len(cells) :]
        table.rows.append(Row(line, cells))
    return table


def _formulas(table: Table, source: IO[bytes], required: Sequence[str]) -> None:
    """Fill the empty required cells that hold a formula never calculated with `=formula`
    (a second read, of the formulas, only when such a cell is empty)."""
    keys = [column_key(name) for name in table.header]
    columns = [keys.index(k) for k in map(column_key, required) if k in keys]
    empty = {
        row.line: row
        for row in table.rows
        if any(i < len(row.values) and not row.values[i] for i in columns)
    }
    if not empty:
        return
    workbook = _load(source, data_only=False)
    try:
        sheet = workbook[table.sheet]
        sheet.reset_dimensions()
        last = max(empty)
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if line > last:
                break
            row = empty.get(line)
            if row is None:
                continue
            for i in columns:
                value = values[i] if i < len(values) else None
                formula = value if isinstance(value, str) else getattr(value, "text", None)
                if i < len(row.values) and isinstance(formula, str) and formula.startswith("="):
                    row.values[i] = formula
    finally:
        workbook.close()


def _data_sheet(workbook: Any, required: Sequence[str]) -> Any:
    sheets = workbook.worksheets
    if not sheets:
        raise XlsxRefused("the workbook has no worksheet")
    if len(sheets) == 1:
        return sheets[0]
    named = [s for s in sheets if column_key(s.title) in DATA_SHEETS]
    if required:
        wanted = {column_key(name) for name in required}
        with_header = []
        for sheet in sheets:
            first = next(_rows(sheet), None)
            if first is not None and wanted <= {column_key(_text(v)) for v in first[1]}:
                with_header.append(sheet)
        if with_header:
            return next((s for s in with_header if s in named), with_header[0])
    return named[0] if named else sheets[0]


NOT_A_NUMBER = "is not a number"


def read_number(text: str) -> Decimal | str:
    """A cell's number, or why it is not one: not a number, or beyond a plan's bounds."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return NOT_A_NUMBER
    problem = out_of_bounds(value)
    return value if problem is None else f"is out of range: it {problem}"


def parse_decimal(text: str) -> Decimal | None:
    """A cell's number, or None (not a number, or beyond a plan's bounds)."""
    value = read_number(text)
    return value if isinstance(value, Decimal) else None
