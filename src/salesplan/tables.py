"""Read tabular inputs (CSV and XLSX) as rows of text with their positions."""

from __future__ import annotations

import csv
import io
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import accumulate, count, repeat, starmap
from operator import add
from typing import Any, NamedTuple

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.money import out_of_bounds
from salesplan.source import decode


class SheetLimits(NamedTuple):
    """What one kind of XLSX workbook may hold (reading/xlsx.py): past a limit, the file is
    SP111 and none of its rows is read."""

    rows: int  # the sheet's last row, by its number (empty rows Excel kept count)
    part: int  # bytes of one part once inflated (checked before it is)
    kind: str  # what is limited, in a message: "a submission workbook"
    advice: str  # what to do instead, ending the message


class Row(NamedTuple):
    """One data row: its line and its cells in header order (stripped, padded)."""

    line: int
    values: list[str]

    def get(self, table: Table, name: str) -> str:
        index = table.index.get(name)
        return self.values[index] if index is not None and index < len(self.values) else ""

    def place(self, table: Table, name: str) -> tuple[int, int]:
        """Line and column of this row's cell `name` (its first line and column 1 without one)."""
        index = table.index.get(name)
        return table.cell_at(self.line, index) if index is not None else (self.line, 1)


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class Table:
    """A CSV or XLSX table as read: its header, its data rows (each with its line) and the
    problems met reading it."""

    file: str
    header: list[str]
    rows: list[Row]
    diagnostics: list[Diagnostic]
    header_line: int = 1
    header_places: list[tuple[int, int]] = field(default_factory=list)  # of each name
    text: str | None = None  # the CSV text, to find a cell's character column on demand
    sheet: str | None = None  # the worksheet read, for an XLSX file
    # Cells each row has at least: the header's width, or fewer when set by a caller that
    # reads only the first columns, before it reads the rows (a header of 20,000 names
    # does not make every short row 20,000 cells long).
    width: int | None = None
    # The file could not be read to its end (not UTF-8, a quote never closed): rows after
    # the problem are missing, so what is absent from it says nothing about the plan.
    truncated: bool = False

    @property
    def index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {name: i for i, name in enumerate(self.header)}
            self.__dict__["_index"] = cached
        return cached

    def header_at(self, index: int) -> tuple[int, int]:
        """Line and column of the header's name `index` (the cell number for XLSX)."""
        places = self.header_places
        return places[index] if index < len(places) else (self.header_line, 1)

    def cell_at(self, line: int, index: int) -> tuple[int, int]:
        """Line and column of cell `index` of the row that starts on `line`."""
        return cell_at(self.text, line, index)


def cell_at(text: str | None, line: int, index: int, delimiter: str = ",") -> tuple[int, int]:
    """1-based line and character column of cell `index` of the CSV record that starts on
    line `line` of `text` (None: XLSX, where the column is the cell number). A record whose
    quoted cell holds a line break goes on over several lines, and so may its cells. Only
    diagnostics ask; the line starts of a text and the cell starts of a record are found
    once, so a file with every row wrong costs one pass, not one pass per diagnostic."""
    if text is None:
        return line, index + 1
    starts = _record_cells(text, line, delimiter)
    return starts[index] if index < len(starts) else starts[-1]


_LINE_BREAK = re.compile(r"\r\n?|\n")  # as the csv module counts lines


@lru_cache(maxsize=8)
def _line_starts(text: str) -> array[int]:
    """Offset of each line's first character in `text`, lines ending as the csv module
    ends them (LF, CRLF or a lone CR; a str caches its hash: a lookup is O(1) after the
    first)."""
    starts = array("q", [0])
    if "\r" in text:
        starts.extend(m.end() for m in _LINE_BREAK.finditer(text))
    else:  # each line starts its length and line break after the one before it (all in C)
        lengths = map(len, text.split("\n")[:-1])
        starts.extend(accumulate(map(add, lengths, repeat(1))))
    return starts


def scan_record(text: str, at: int, delimiter: str = ",") -> tuple[list[int], int]:
    """Where each cell of the CSV record starting at offset `at` starts, and where the
    record ends (its line break, or the end of the text), read as the csv module reads:
    a quote opens a quoted cell only as the cell's first character; inside one, two quotes
    are a quote and one closes it; anywhere else a quote is text (`5" pipe`)."""
    cells, quoted, i, n = [at], False, at, len(text)
    while i < n:
        char = text[i]
        if quoted:
            if char == '"':
                if text.startswith('"', i + 1):
                    i += 1  # an escaped quote
                else:
                    quoted = False
        elif char == '"':
            quoted = i == cells[-1]
        elif char == delimiter:
            cells.append(i + 1)
        elif char == "\n" or char == "\r":
            return cells, i
        i += 1
    return cells, n


def line_at(text: str, offset: int) -> int:
    """The 1-based line holding `offset` of `text`."""
    return bisect_right(_line_starts(text), offset)


def _places(text: str, line: int, at: int, delimiter: str = ",") -> list[tuple[int, int]]:
    """(line, column) of each cell of the record that starts at offset `at`, on `line`."""
    cells, end = scan_record(text, at, delimiter)
    if not _LINE_BREAK.search(text, at, end):  # the usual case: the record is one line
        return [(line, cell - at + 1) for cell in cells]
    starts = _line_starts(text)
    places = []
    for cell in cells:
        own = bisect_right(starts, cell)
        places.append((own, cell - starts[own - 1] + 1))
    return places


@lru_cache(maxsize=64)
def _record_cells(text: str, line: int, delimiter: str = ",") -> list[tuple[int, int]]:
    """(line, column) where each cell of the record starting on `line` starts."""
    starts = _line_starts(text)
    if not 1 <= line <= len(starts):
        return [(line, 1)]
    return _places(text, line, starts[line - 1], delimiter)


def read_csv(file: str, raw: bytes, short_rows: bool = False) -> Table:
    """A whole CSV file: its header and its rows, cells stripped, each row as wide as the
    header; with `short_rows`, a short row keeps only the cells it has (at least one: a
    header of 20,000 names over 100,000 one-cell rows would be two billion cells)."""
    table, rows = open_csv(file, raw)
    if short_rows:
        table.width = 1
    if isinstance(rows, PlainRows):  # each piece's cells stripped at once, in C
        for piece in rows.pieces():
            table.rows.extend(starmap(Row, piece.stripped()))
        return table
    table.rows.extend(Row(line, [c.strip() for c in cells]) for line, cells in rows)
    return table


CsvRows = Iterator[tuple[int, list[str]]]


def open_csv(file: str, raw: bytes) -> tuple[Table, CsvRows | PlainRows]:
    """A CSV file's header, read now (a table without rows), and its data rows to read as
    (line, cells), the cells as written (not stripped) and as many as the header has. Blank
    rows are skipped; problems are added to the table's diagnostics as rows are read."""
    text, problems = decode(file, raw)
    if text is None:
        return Table(file, [], [], problems, truncated=True), iter(())
    # strict: a quote left open is an error, not a cell that swallows every row after it
    reader = csv.reader(_lines(text), strict=True)
    table = Table(file, [], [], problems, text=text)
    last = 0
    try:
        for cells in reader:
            first, last = last + 1, reader.line_num
            if any(cells):
                table.header.extend(c.strip() for c in cells)
                table.header_line = first
                # the header is on the first line, as a rule: the lines of the whole file
                # are indexed only when it is not (or when a diagnostic asks)
                at = 0 if first == 1 else _line_starts(text)[first - 1]
                table.header_places = _places(text, first, at)[: len(table.header)]
                break
    except csv.Error as err:
        problems.append(_csv_problem(err, table, last + 1, reader.line_num))
        return Table(file, [], [], problems, truncated=True), iter(())
    if not table.header:
        return Table(file, [], [], problems), iter(())
    plain = PlainRows.of(text, first, len(table.header))
    return table, plain if plain is not None else _data_rows(table, reader)


def _lines(text: str) -> Iterator[str]:
    """The lines of `text`, each with its line break, as the csv module reads them: LF,
    CRLF or a lone CR ends one. A text without a CR is cut at each LF as it is read: a
    StringIO copies the whole text first, 10 ms for a 2 MB forecast.csv whose rows are
    then split without the csv module (`PlainRows`), only its header read with it."""
    if "\r" in text:
        return io.StringIO(text, newline="")
    return _lf_lines(text)


def _lf_lines(text: str) -> Iterator[str]:
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start) + 1 or end
        yield text[start:stop]
        start = stop


# A plain CSV's rows are split a piece of about this many characters at a time: the cells
# of one piece live at once, not the whole file's (a str object per cell: reading 300,000
# submission rows peaked at 82 MB, 27 MB with the csv module, 25 MB by pieces).
PIECE = 1 << 16


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class PlainRows:
    """The data rows of a plain CSV text, split without the csv module: no quote, carriage
    return or NUL anywhere, no blank row, every row as wide as the header. Row i is on line
    `first + i`. Iterating gives (line, cells) as `_data_rows` does; a caller may take the
    rows piece by piece instead (`pieces`), each piece's cells one list, a column one slice
    (submissions do: benchmarks/README.md, "Seventh pass")."""

    first: int
    width: int
    body: str  # the data lines, without the last line break
    cuts: list[tuple[int, int]]  # each piece of `body`: whole lines, no line break at its ends
    rows: int

    def __len__(self) -> int:
        return self.rows

    def __iter__(self) -> CsvRows:
        for piece in self.pieces():
            yield from piece

    def pieces(self) -> Iterator[PlainPiece]:
        first, width, body = self.first, self.width, self.body
        for start, end in self.cuts:
            piece = PlainPiece(first, width, body[start:end].replace("\n", ",").split(","))
            first += len(piece)
            yield piece

    @classmethod
    def of(cls, text: str, header_line: int, width: int) -> PlainRows | None:
        """The rows after the header on `header_line`, or None when the text is not plain
        (the csv module then reads it, and reports what it finds)."""
        if '"' in text or "\r" in text or "\0" in text:
            return None
        starts = _line_starts(text) if header_line > 1 else array("q", [0, text.find("\n") + 1])
        if starts[-1] == 0 or header_line >= len(starts):  # the header is the last line
            return cls(header_line + 1, width, "", [], 0)
        body = text[starts[header_line] :].removesuffix("\n")  # the last row's line break
        if not body:
            return cls(header_line + 1, width, "", [], 0)
        if body.endswith("\n"):
            return None  # a blank last line
        cuts = []
        start = 0
        while start < len(body):
            end = body.find("\n", start + PIECE)
            end = len(body) if end < 0 else end
            cuts.append((start, end))
            start = end + 1
        if not all(_plain(body[start:end], width) for start, end in cuts):
            return None
        return cls(header_line + 1, width, body, cuts, body.count("\n") + 1)


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class PlainPiece:
    """Some rows of a `PlainRows`, row i on line `first + i`: their cells, one list."""

    first: int
    width: int
    cells: list[str]

    def __len__(self) -> int:
        return len(self.cells) // self.width

    def __iter__(self) -> CsvRows:
        cells, width = self.cells, self.width
        return zip(
            count(self.first), (cells[at : at + width] for at in range(0, len(cells), width))
        )

    def stripped(self) -> PlainPiece:
        """These rows with every cell stripped: one `map` over the piece's cells, in C, not a
        list made per row (reps.csv and territories.csv of 10,000 rows: ~13 ms less)."""
        return PlainPiece(self.first, self.width, list(map(str.strip, self.cells)))

    def column(self, index: int) -> list[str]:
        return self.cells[index :: self.width]


def _plain(lines: str, width: int) -> bool:
    """Whether the lines are rows as the csv module reads them: each `width` cells wide,
    none blank or a row of empty cells (skipped), none with a cell too long for it (SP112).
    The widths are read from the lines' commas and line breaks alone (UTF-8 has no other
    byte 0x2C or 0x0A): a C pass, a twentieth of counting each line's commas."""
    commas = "," * (width - 1)  # and a row of empty cells: these commas alone
    skeleton = lines.encode("utf-8", "surrogatepass").translate(None, _NOT_A_SEPARATOR)
    rows = skeleton.count(b"\n") + 1
    # the count first: short rows under a header of 20,000 names build no skeleton of rows
    # 20,000 cells wide to compare theirs with
    if len(skeleton) != rows * width - 1:
        return False
    if skeleton != (commas.encode() + b"\n") * (rows - 1) + commas.encode():
        return False
    if lines == commas or lines.startswith(commas + "\n") or lines.endswith("\n" + commas):
        return False
    if f"\n{commas}\n" in lines:
        return False
    limit = csv.field_size_limit()  # no cell is longer than its line
    return len(lines) <= limit or max(map(len, lines.split("\n"))) <= limit


_NOT_A_SEPARATOR = bytes(b for b in range(256) if b not in b",\n")


def _data_rows(table: Table, reader: Any) -> CsvRows:
    """Each record with the line it starts on (the line after the previous one ends: a
    quoted cell may hold line breaks)."""
    header_width, problems = len(table.header), table.diagnostics
    width = table.width or header_width  # read when the rows are first asked for
    last = reader.line_num
    try:
        for cells in reader:
            line, last = last + 1, reader.line_num
            if len(cells) == header_width and any(cells):  # the common case, kept short
                yield line, cells
                continue
            if not any(cells):
                continue
            if len(cells) > header_width:
                message = (
                    f"row has {len(cells)} cells but the header has {header_width}; "
                    "remove the extra cells or quote a cell that holds a comma"
                )
                at = table.cell_at(line, header_width)
                problems.append(diagnostic("SP112", message, table.file, *at))
            elif len(cells) < width:
                cells += [""] * (width - len(cells))
            yield line, cells
    except csv.Error as err:
        problems.append(_csv_problem(err, table, last + 1, reader.line_num))
        table.truncated = True


def _csv_problem(err: csv.Error, table: Table, start: int, line: int) -> Diagnostic:
    """SP112 for a record the csv module cannot read: a quote never closed at the line of
    the record it opens in (the rest of the file was read into that cell), a cell too long
    at that cell."""
    file = table.file
    if "unexpected end of data" in str(err):
        message = (
            "a quoted cell is never closed: the rest of the file would be read into it; "
            'close the quote (") or remove it'
        )
        return diagnostic("SP112", message, file, start, 1)
    if "field larger than field limit" in str(err) and table.text is not None:
        return _long_cell(table, table.text, start)
    return diagnostic("SP112", str(err), file, line or 1, 1)


def _long_cell(table: Table, text: str, line: int) -> Diagnostic:
    """SP112 at the first cell longer than the csv module reads, in the record that starts
    on `line`, named by its header (a header cell by its number)."""
    limit = csv.field_size_limit()
    at = _line_starts(text)[line - 1]
    cells, end = scan_record(text, at)
    ends = [next_cell - 1 for next_cell in cells[1:]] + [end]
    index = next((i for i, (a, b) in enumerate(zip(cells, ends)) if b - a > limit), 0)
    if not table.header:
        what = f"header cell {index + 1}"
    elif index < len(table.header) and table.header[index]:
        what = f"cell {table.header[index]!r}"
    else:
        what = f"cell {index + 1} of the row"
    message = f"{what} is longer than {limit:,} characters, more than a cell may hold; shorten it"
    return diagnostic("SP112", message, table.file, *_places(text, line, at)[index])


def column_key(name: str) -> str:
    """A header cell as matched: `Rep`, ` rep ` and `R ep` are all `rep`."""
    return "".join(name.split()).casefold()


DATA_SHEETS = ("forecast", "forecasts", "submission", "submissions", "data")


NOT_A_NUMBER = "is not a number"


def read_number(text: str) -> Decimal | str:
    """A cell's number, or why it is not one: not a number, or beyond a plan's bounds.
    Digits are ASCII: Decimal reads any script's, and `1৪00000` (a Bengali four, drawn
    like an 8) would be 1,400,000 where a reviewer reads 1,800,000."""
    if not text.isascii():
        return NOT_A_NUMBER
    if text.isdigit() and len(text) <= 15:  # most cells: below 10^15, no decimals
        return Decimal(text)
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
