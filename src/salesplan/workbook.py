"""Read the cells of an XLSX workbook safely (docs/design.md, "Hostile inputs").

The zip's parts are checked before they are inflated (size and compression ratio), expat
refuses a part with a DTD (no entity, no entity bomb, nothing external: what defusedxml's
forbid_dtd guarantees), every row is read whatever `<dimension>` claims and no row is
padded beyond the cells it holds, so a small file cannot cost more than a small amount of
time or memory. A formula cell gives its cached value; one
without (a workbook written by a program and never opened in Excel) gives its formula,
`=...`, for the caller to report.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.parsers import expat

MAX_PART = 256 * 1024 * 1024  # bytes of one part once inflated
MAX_TOTAL = 512 * 1024 * 1024  # bytes of all the parts read, once inflated
MAX_RATIO = 50  # inflated / compressed, for a part of more than RATIO_FROM bytes
RATIO_FROM = 2 * 1024 * 1024
MAX_STRINGS = 2_000_000  # shared strings
MAX_COLUMN = 16_384  # Excel's last column, XFD


class WorkbookError(Exception):
    """Why a workbook cannot be read; `limit` when a safety limit refused it."""

    def __init__(self, message: str, limit: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # the worksheet's path inside the zip


Row = tuple[int, dict[int, str]]  # the sheet row number and its cells by 0-based column


class Workbook:
    """An open workbook: its sheets, in workbook order, and their rows on demand."""

    def __init__(self, path: Path | bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path)
        except zipfile.BadZipFile as err:
            raise WorkbookError(f"not an XLSX workbook ({err})") from None
        except OSError as err:
            raise WorkbookError(f"cannot read file: {err.strerror}") from None
        self.inflated = 0
        self._strings: list[str] | None = None
        self._dates: frozenset[str] = frozenset()
        try:
            self.sheets = self._sheets()
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, sheet: Sheet) -> Iterator[Row]:
        """Each row that holds a cell, with its cells as text (numbers as Excel shows them,
        a date as `YYYY-MM-DD HH:MM:SS`)."""
        if self._strings is None:
            self._strings = self._shared_strings()
            self._dates = self._date_styles()
        reader = _SheetReader(self._strings, sheet.part, self._dates)
        with self._open(sheet.part) as stream:
            for _ in _parse(stream, sheet.part, reader.start, reader.end, reader.data):
                yield from reader.done
                reader.done.clear()

    def _sheets(self) -> list[Sheet]:
        targets: dict[str | None, str] = {}
        rels = "xl/_rels/workbook.xml.rels"
        if rels in self.zip.NameToInfo:

            def relationship(name: str, attrs: dict[str, str]) -> None:
                if _local(name) == "Relationship":
                    targets[attrs.get("Id")] = attrs.get("Target", "")

            with self._open(rels) as stream:
                for _ in _parse(stream, rels, relationship):
                    pass
        found: list[Sheet] = []

        def sheet(name: str, attrs: dict[str, str]) -> None:
            if _local(name) != "sheet":
                return
            rid = next((v for k, v in attrs.items() if k.endswith(":id") or k == "id"), None)
            target = targets.get(rid, "")
            if target.startswith("/"):
                part = target.lstrip("/")
            else:
                part = posixpath.normpath(posixpath.join("xl", target))
            if part in self.zip.NameToInfo:
                found.append(Sheet(attrs.get("name", ""), part))

        with self._open("xl/workbook.xml") as stream:
            for _ in _parse(stream, "xl/workbook.xml", sheet):
                pass
        if not found:
            raise WorkbookError("the workbook has no worksheet")
        return found

    def _shared_strings(self) -> list[str]:
        part = "xl/sharedStrings.xml"
        if part not in self.zip.NameToInfo:
            return []
        reader = _StringsReader(part)
        with self._open(part) as stream:
            for _ in _parse(stream, part, reader.start, reader.end, reader.data):
                pass
        return reader.strings

    def _date_styles(self) -> frozenset[str]:
        """The cell styles (`s="3"`) whose number format shows a date or a time."""
        part = "xl/styles.xml"
        if part not in self.zip.NameToInfo:
            return frozenset()
        formats: dict[str, str] = {}
        styles: list[str] = []
        depth = {"cellXfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            name = _local(name)
            if name == "numFmt":
                formats[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
            elif name == "cellXfs":
                depth["cellXfs"] = True
            elif name == "xf" and depth["cellXfs"]:
                styles.append(attrs.get("numFmtId", "0"))

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                depth["cellXfs"] = False

        with self._open(part) as stream:
            for _ in _parse(stream, part, start, end):
                pass
        return frozenset(
            str(i) for i, number in enumerate(styles) if _is_date_format(number, formats)
        )

    def _open(self, part: str) -> IO[bytes]:
        """A part's stream, once its inflated size is known to be within the limits (the
        zip's reader stops at the size declared, so a part cannot inflate beyond it)."""
        try:
            info = self.zip.getinfo(part)
        except KeyError:
            raise WorkbookError(f"the workbook has no part {part}") from None
        size, packed = info.file_size, max(info.compress_size, 1)
        self.inflated += size
        if size > MAX_PART or self.inflated > MAX_TOTAL:
            limit = MAX_PART if size > MAX_PART else MAX_TOTAL
            raise WorkbookError(
                f"{part} inflates to {size:,} bytes, more than the limit of {limit:,}",
                limit=True,
            )
        if size > RATIO_FROM and size / packed > MAX_RATIO:
            raise WorkbookError(
                f"{part} inflates {size // packed:,} times (from {packed:,} to {size:,} bytes): "
                "a zip bomb, not a spreadsheet",
                limit=True,
            )
        try:
            return self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error) as err:
            raise WorkbookError(f"cannot read {part}: {err}") from None


Start = Callable[[str, dict[str, str]], None]
End = Callable[[str], None]
Data = Callable[[str], None]


def _parse(
    stream: IO[bytes], part: str, start: Start, end: End | None = None, data: Data | None = None
) -> Iterator[None]:
    """Parse a part with expat, a chunk at a time (yielding after each, so rows stream with
    flat memory). A DTD, where entities, entity bombs and external references live, is
    refused as defusedxml's forbid_dtd does; a damaged part is a WorkbookError saying where
    it breaks."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
        yield
    except expat.ExpatError as err:
        message = f"{part} is not well-formed XML (line {err.lineno}, column {err.offset + 1})"
        raise WorkbookError(message) from None
    except _DtdRefused:
        raise WorkbookError(
            f"{part} declares a DTD or entities, which a workbook never needs; refused"
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as err:
        raise WorkbookError(f"cannot read {part}: {err}") from None


CHUNK = 256 * 1024


class _DtdRefused(Exception):
    pass


def _refuse_dtd(*_: object) -> None:
    raise _DtdRefused


def _refuse_external(*_: object) -> int:
    raise _DtdRefused


def _local(name: str) -> str:
    """An element's name without its prefix (`x:row` is `row`)."""
    return name.rpartition(":")[2] if ":" in name else name


class _SheetReader:
    """The handlers that turn a worksheet's XML into rows of cells."""

    def __init__(self, strings: list[str], part: str, dates: frozenset[str]) -> None:
        self.strings, self.part, self.dates = strings, part, dates
        self.style: str | None = None
        self.done: list[Row] = []
        self.cells: dict[int, str] = {}
        self.number = 0  # the row's number
        self.column = -1  # the cell's 0-based column
        self.kind = "n"
        self.ref: str | None = None
        self.text: list[str] | None = None  # the text being collected, if any
        self.value: str | None = None
        self.formula: str | None = None
        self.inline: list[str] | None = None
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            ref = self.ref = attrs.get("r")
            self.column = _column(ref, self.part) if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.value = self.formula = self.inline = None
        elif name == "v" or name == "f":
            self.text = []
        elif name == "row":
            given = attrs.get("r")
            self.number = _row_number(given, self.part) if given else self.number + 1
            self.column = -1
        elif name == "is":
            self.inline = []
        elif name == "t":
            if self.inline is not None and not self.phonetic:
                self.text = []
        elif name == "rPh":
            self.phonetic = True

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, name: str) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "v":
            self.value = "".join(self.text or ())
            self.text = None
        elif name == "c":
            value = self._cell()
            if value:
                self.cells[self.column] = value
        elif name == "row":
            if self.cells:
                self.done.append((self.number, self.cells))
                self.cells = {}
        elif name == "f":
            self.formula = "".join(self.text or ())
            self.text = None
        elif name == "t":
            if self.text is not None and self.inline is not None:
                self.inline.append("".join(self.text))
            self.text = None
        elif name == "rPh":
            self.phonetic = False

    def _cell(self) -> str:
        kind, value = self.kind, self.value
        if kind == "inlineStr":
            return "".join(self.inline or ())
        if value is None:
            # a formula never calculated (written by a program, never opened in Excel)
            return "" if self.formula is None else "=" + self.formula
        if kind == "n":
            if self.style is not None and self.style in self.dates:
                return _date(value)
            return _shown(value)
        if kind == "s":
            try:
                return self.strings[int(value)]
            except (ValueError, IndexError):
                raise WorkbookError(
                    f"{self.part} cell {self.ref or '?'} names shared string {value!r}, "
                    "which the workbook does not have"
                ) from None
        if kind == "b":
            return "true" if value.strip() == "1" else "false"
        return value


class _StringsReader:
    """The handlers that read the shared strings, at most MAX_STRINGS of them."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.strings: list[str] = []
        self.item: list[str] = []
        self.text: list[str] | None = None
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "si":
            self.item = []
        elif name == "t" and not self.phonetic:
            self.text = []
        elif name == "rPh":
            self.phonetic = True

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, name: str) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "t":
            if self.text is not None:
                self.item.append("".join(self.text))
            self.text = None
        elif name == "si":
            if len(self.strings) >= MAX_STRINGS:
                raise WorkbookError(
                    f"the workbook has more than {MAX_STRINGS:,} shared strings", limit=True
                )
            self.strings.append("".join(self.item))
        elif name == "rPh":
            self.phonetic = False


BUILTIN_DATES = {str(i) for i in (*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59))}


def _is_date_format(number: str, formats: dict[str, str]) -> bool:
    if number in BUILTIN_DATES:
        return True
    code = formats.get(number)
    if not code:
        return False
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)  # quoted text, escapes, [colours]
    return bool(re.search(r"[dmyhs]", code, re.IGNORECASE)) and "General" not in code


def _date(serial: str) -> str:
    """An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD HH:MM:SS`."""
    try:
        days = float(serial)
        return str(EPOCH + timedelta(days=days))
    except (ValueError, OverflowError):
        return serial


EPOCH = datetime(1899, 12, 30)


def _shown(number: str) -> str:
    """A number cell as Excel shows it, to 15 significant digits: a sum saved as
    0.30000000000000004 reads 0.3. What is not a finite number stays as written."""
    try:
        value = float(number)
    except ValueError:
        return number
    if not math.isfinite(value):
        return number
    return format(Decimal(f"{value:.15g}"), "f")


def _column(ref: str, part: str) -> int:
    """The 0-based column of a cell reference such as `AB12`."""
    column = 0
    for char in ref:
        if "A" <= char <= "Z":
            column = column * 26 + ord(char) - 64
        else:
            break
    if not 1 <= column <= MAX_COLUMN:
        raise WorkbookError(f"{part} has a cell at {ref!r}, outside Excel's columns A to XFD")
    return column - 1


def _row_number(given: str, part: str) -> int:
    try:
        return int(given)
    except ValueError:
        raise WorkbookError(f"{part} has a row numbered {given!r}") from None
