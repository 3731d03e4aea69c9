"""Read an XLSX workbook safely (docs/design.md, "Hostile inputs"): openpyxl reads it (read-only, cached values,
defusedxml refusing DTD entities, so no entity bomb and nothing external), after a pre-flight
with zipfile that openpyxl does not do: a zip with a workbook part, each part's declared size
and compression ratio within limits before anything is inflated, the shared strings (which
openpyxl holds in memory) bounded. Every row is read whatever `<dimension>` claims, up to the
`SheetLimits` a caller gives (a submission workbook's, for one): openpyxl parses some 100,000
cells a second, 60 times slower than a CSV is read, so a sheet's rows and the size of its
parts are capped rather than read to the end of whatever a workbook holds."""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from salesplan.diagnostics import Diagnostic, Where, diagnostic, report
from salesplan.tables import DATA_SHEETS, Row, SheetLimits, Table, column_key

MAX_PART = 256 * 1024 * 1024  # bytes of one part once inflated
MAX_TOTAL = 512 * 1024 * 1024  # bytes of all the parts, once inflated
MAX_RATIO = 50  # inflated / compressed, for a part of more than RATIO_FROM bytes
RATIO_FROM = 2 * 1024 * 1024
MAX_STRINGS = 64 * 1024 * 1024  # bytes of the shared strings, which openpyxl holds in memory
EXCEL = SheetLimits(
    rows=1_048_576,  # Excel's own limits
    part=MAX_PART,
    kind="a workbook",
    advice="save it as CSV",
)


def read_xlsx(
    file: str,
    path: Path | bytes,
    required: Sequence[str] = (),
    reads: Sequence[str] = (),
    limits: SheetLimits = EXCEL,
) -> Table:
    """The data sheet of a workbook: the only sheet, else the one whose header has the
    `required` columns (any case and spacing), else the one named like data (Forecast,
    Submissions), else the first; a visible sheet before a hidden one. With `required`,
    rows read from a hidden sheet are SP610, and another sheet with the header SP611: its
    rows are not read. Positions are the sheet's row and column numbers. Rows
    hold the cells up to the last column named in `reads` (all of them when not given).

    openpyxl reads it (read-only, cached values, defusedxml refusing entities), after
    `xlsx_preflight` has checked the zip; every row is read whatever `<dimension>` claims.
    A required cell left empty by a formula never calculated reads as its `=formula`.
    Reading stops at the first row past `limits` (SP111 there, no row read); by default
    Excel's own."""
    try:
        with _open_source(path) as source:
            links = xlsx_preflight(source, limits)
            workbook = _load(source, data_only=True)
            try:
                sheet, others = _data_sheet(workbook, required, limits)
                table = _sheet_table(file, sheet, reads, limits)
            finally:
                workbook.close()
            table.diagnostics.extend(_sheet_problems(table, sheet, others, required))
            if table.rows and required:
                _formulas(table, source, required)
                if links:
                    table.diagnostics.extend(_linked(table, source, required))
            return table
    except XlsxRefused as err:
        return Table(
            file, [], [], [diagnostic(err.code, f"cannot read workbook: {err}", file, 1, 1)]
        )
    except SheetTooLarge as err:
        where = Where(file, err.line, err.column, err.sheet)
        return Table(file, [], [], [report("SP111", str(err), where)], sheet=err.sheet)
    except Exception as err:  # openpyxl and zipfile raise many kinds for a damaged file
        message = f"cannot read workbook: {_why(err)}"
        return Table(file, [], [], [diagnostic("SP113", message, file, 1, 1)])


class SheetTooLarge(Exception):
    """A sheet read past its `SheetLimits`: SP111 at the row where it went past them."""

    def __init__(self, message: str, sheet: str, line: int, column: int = 1) -> None:
        super().__init__(message)
        self.sheet, self.line, self.column = sheet, line, column


class XlsxRefused(Exception):
    """A workbook refused before openpyxl opens it: SP113 (not one), SP111 (a limit)."""

    def __init__(self, message: str, code: str = "SP113") -> None:
        super().__init__(message)
        self.code = code


def xlsx_preflight(source: IO[bytes], limits: SheetLimits = EXCEL) -> int:
    """What openpyxl does not check: a zip with a workbook part, whose parts' declared
    sizes (each within `limits.part`) and compression ratios are within the limits (the
    zip's reader stops at the size declared, so a part cannot inflate beyond it), the
    shared strings bounded. Returns the
    number of links to other workbooks (`xl/externalLinks/`), which formulas may read."""
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
            if size > limits.part:
                message = (
                    f"{info.filename} inflates to {size:,} bytes, more than the "
                    f"{limits.part:,} {limits.kind} may hold; {limits.advice}"
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
        return sum(1 for n in names if EXTERNAL_LINK.fullmatch(n))


EXTERNAL_LINK = re.compile(r"xl/externalLinks/[^/]+\.xml", re.IGNORECASE)
EXTERNAL_REFERENCE = re.compile(r"\[[^\]]+\][^!]*!")  # [1]Sheet1!A1, '[b.xlsx]Q1'!C2


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


def _rows(sheet: Any, limits: SheetLimits) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows that hold a value, with their sheet row numbers, whatever `<dimension>`
    says (a row is as long as its last cell, not padded to the sheet's width). Past
    `limits.rows`, SheetTooLarge at the first row after the last one allowed, read only to
    learn that the sheet goes on."""
    sheet.reset_dimensions()
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if line > limits.rows:
            message = (
                f"the sheet goes on past row {limits.rows:,}, the most {limits.kind} holds "
                "(empty cells Excel kept count too: Ctrl+End shows the last one); "
                f"{limits.advice}"
            )
            raise SheetTooLarge(message, sheet.title, line)
        if any(filter(None, values)) or _holds_falsy_value(values):
            yield line, values


def _holds_falsy_value(values: tuple[Any, ...]) -> bool:
    """Whether a row without a true value holds 0 or false: counted in C, since a row to
    column XFD is 16,384 values (a generator over them took 15 s for 20,000 such rows)."""
    filled = len(values) - values.count(None)
    return filled > 0 and filled != values.count("")


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


def _sheet_table(file: str, sheet: Any, reads: Sequence[str], limits: SheetLimits) -> Table:
    rows = _rows(sheet, limits)
    first = next(rows, None)
    if first is None:
        return Table(file, [], [], [], sheet=sheet.title)
    header_line, values = first
    header = [_text(v).strip() for v in values]
    while header and not header[-1] and values[len(header) - 1] in (None, ""):
        header.pop()
    width = len(header)
    places = [(header_line, column) for column in range(1, width + 1)]
    table = Table(file, header, [], [], header_line, places, sheet=sheet.title)
    keys = {column_key(name) for name in reads}
    named = [i for i, name in enumerate(header) if column_key(name) in keys]
    kept = max(named) + 1 if named else width
    padding = [""] * kept
    for line, values in rows:
        cells = [v if v.__class__ is str else _text(v) for v in values[:kept]]
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


def _linked(table: Table, source: IO[bytes], required: Sequence[str]) -> Iterator[Diagnostic]:
    """SP612 at the first required cell whose formula reads another workbook (`[1]Q1!C2`),
    counting the others: the value read is the one last saved with this file, which Excel
    computes again from that workbook when it updates the links (a second read, of the
    formulas, only when the workbook has links)."""
    keys = [column_key(name) for name in table.header]
    columns = [keys.index(k) for k in map(column_key, required) if k in keys]
    lines = {row.line for row in table.rows}
    found: list[tuple[int, int, str]] = []
    workbook = _load(source, data_only=False)
    try:
        sheet = workbook[table.sheet]
        sheet.reset_dimensions()
        last = max(lines)
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if line > last:
                break
            if line not in lines:
                continue
            for i in columns:
                value = values[i] if i < len(values) else None
                formula = value if isinstance(value, str) else getattr(value, "text", None)
                if isinstance(formula, str) and EXTERNAL_REFERENCE.search(formula):
                    found.append((line, i + 1, formula))
    finally:
        workbook.close()
    if not found:
        return
    line, column, formula = found[0]
    more = f" ({len(found) - 1:,} more cells do too)" if len(found) > 1 else ""
    message = (
        f"the formula {formula} reads another workbook{more}: the value read is the one last "
        "saved with this file, which Excel recomputes from that workbook; paste the values "
        "(Paste Special, Values) and save"
    )
    yield report("SP612", message, Where(table.file, line, column, table.sheet))


def _data_sheet(
    workbook: Any, required: Sequence[str], limits: SheetLimits
) -> tuple[Any, list[tuple[Any, int]]]:
    """The sheet to read (see `read_xlsx`), and the other sheets with rows under a header
    that also has the `required` columns (with their header row)."""
    # a visible sheet first: Excel shows a reviewer those, not the hidden ones
    sheets = sorted(workbook.worksheets, key=lambda s: s.sheet_state != "visible")
    if not sheets:
        raise XlsxRefused("the workbook has no worksheet")
    if len(sheets) == 1:
        return sheets[0], []
    named = [s for s in sheets if column_key(s.title) in DATA_SHEETS]
    if required:
        wanted = {column_key(name) for name in required}
        with_header = []
        for sheet in sheets:
            rows = _rows(sheet, limits)
            first = next(rows, None)
            if first is not None and wanted <= {column_key(_text(v)) for v in first[1]}:
                with_header.append((sheet, first[0], next(rows, None) is not None))
        if with_header:
            chosen = _named_first([s for s, _, _ in with_header], named)
            return chosen, [(s, line) for s, line, full in with_header if full and s is not chosen]
    return _named_first(sheets, named), []


def _named_first(sheets: list[Any], named: list[Any]) -> Any:
    """The first of `sheets` (visible ones first) named like data, else the first: a name
    chooses among sheets as visible as the first, so a hidden Forecast is never read
    before a visible Sheet1."""
    seen = sheets[0].sheet_state == "visible"
    like = (s for s in sheets if s in named and (s.sheet_state == "visible") == seen)
    return next(like, sheets[0])


def _sheet_problems(
    table: Table, sheet: Any, others: list[tuple[Any, int]], required: Sequence[str]
) -> Iterator[Diagnostic]:
    """SP610 when the rows read are on a hidden sheet, no one sees them in Excel; SP611 for
    each other sheet with the header, whose rows are not read."""
    if not required:
        return
    if sheet.sheet_state != "visible" and table.rows:
        state = "very hidden" if sheet.sheet_state == "veryHidden" else "hidden"
        message = (
            f"the submission rows are on a {state} sheet, which Excel does not show; "
            "unhide the sheet, or move its rows to a visible one"
        )
        yield report("SP610", message, Where(table.file, table.header_line, 1, sheet.title))
    header = ",".join(required)
    for other, line in others:
        message = (
            f"this sheet also has the header {header}, but only sheet {sheet.title!r} is "
            "read; move its rows there or into a file of their own"
        )
        yield report("SP611", message, Where(table.file, line, 1, other.title))
