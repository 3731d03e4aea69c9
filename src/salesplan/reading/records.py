"""Long lists as CSV tables (docs/design.md, "Plan files"): reps.csv and territories.csv.

A 10,000-rep org is usually an HRIS export; as a CSV it is read in a tenth of the time of
the same YAML. Each row becomes the record the YAML would hold (the same models validate
it), and positions are the row and the character column of the cell, so every diagnostic
points at `file:row:column` exactly as it would in YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from pydantic import BaseModel, ValidationError

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.model import Ote
from salesplan.source import Document, Mark
from salesplan.tables import CsvRows, PlainRows, Table, open_csv, parse_decimal
from salesplan.validation import validator

# column -> (key, sub-key) of the record it fills; amounts become Decimals
REP_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "name": ("name",),
    "email": ("email",),
    "parent": ("parent",),
    "start": ("start",),
    "end": ("end",),
    "status": ("status",),
    "ramp": ("ramp",),
    "profile": ("profile",),
    "ote_base": ("ote", "base"),
    "ote_variable": ("ote", "variable"),
    "quota": ("quota",),
}
TERRITORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "name": ("name",),
    "owner": ("owner",),
    "segment": ("segment",),
    "geo": ("geo",),
    "accounts": ("accounts",),
}
AMOUNTS = frozenset({"ote_base", "ote_variable", "quota"})
LISTS = frozenset({"geo", "accounts"})  # codes separated by spaces


@dataclass
class TableDocument(Document):
    """A CSV table read as `{key: [record, ...]}`: `locate(("reps", 3, "ote", "base"))`
    is the line of record 3 and the column of its `ote_base` cell. The table's rows are
    not kept (its `rows` stay empty): the records hold their cells, `lines` where each
    starts."""

    table: Table | None = field(default=None, repr=False, compare=False)
    key: str = ""
    columns: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)
    lines: Sequence[int] = field(default=(), repr=False, compare=False)

    def marked(self) -> Document:
        return self

    def locate(self, path: tuple[str | int, ...], key: bool = False) -> Mark:
        table = self.table
        if table is None or len(path) < 2 or path[0] != self.key or not isinstance(path[1], int):
            return (table.header_line, 1) if table is not None else (1, 1)
        if not 0 <= path[1] < len(self.lines):
            return table.header_line, 1
        line = self.lines[path[1]]
        fields = tuple(p for p in path[2:] if isinstance(p, str))
        while fields and fields not in self.columns:
            fields = fields[:-1]
        index = self.columns.get(fields)
        return table.cell_at(line, index) if index is not None else (line, 1)


def read_table(
    file: str, raw: bytes, key: str, columns: dict[str, tuple[str, ...]], problems: list[Diagnostic]
) -> TableDocument:
    """The records of a CSV table, as a document whose `data` is `{key: [record, ...]}`:
    empty cells are left out (defaults apply), amounts are Decimals when they are numbers
    (else the text, for the model to report), lists are split on spaces."""
    table, rows = open_csv(file, raw)
    header = [name.strip().lower() for name in table.header]
    used = [(i, name, columns[name]) for i, name in enumerate(header) if name in columns]
    lines, cells = _columns(rows, [i for i, _, _ in used])
    problems.extend(table.diagnostics)  # the rows' problems too, now that they are read
    unknown = [name for name in header if name and name not in columns]
    for name in unknown:
        message = f"unknown column {name!r} in {file}; expected some of {', '.join(columns)}"
        at = table.header_at(header.index(name))
        problems.append(diagnostic("SP201", message, file, *at, name))
    if table.header and "id" not in header:
        message = (
            f"{file} has no `id` column; the first row names the columns: {', '.join(columns)}"
        )
        problems.append(diagnostic("SP202", message, file, table.header_line, 1, "id"))
    records = _records(len(lines), [(name, place) for _, name, place in used], cells)
    positions = {place: i for i, _, place in used}
    return TableDocument(
        file, {key: records}, raw=raw, table=table, key=key, columns=positions, lines=lines
    )


def _columns(
    rows: CsvRows | PlainRows, indexes: list[int]
) -> tuple[Sequence[int], list[list[str]]]:
    """The line of each row, and the cells of the columns `indexes`, stripped, each column
    a list. A plain CSV's piece gives a column as one slice of its cells, stripped in one
    `map` (no list made per row, nor a record by a comprehension per row: reading reps.csv
    and territories.csv of 10,000 rows so is ~40 ms less)."""
    columns: list[list[str]] = [[] for _ in indexes]
    if isinstance(rows, PlainRows):
        for piece in rows.pieces():
            cells, width = piece.cells, piece.width
            for column, i in zip(columns, indexes):
                column.extend(map(str.strip, cells[i::width]))
        return range(rows.first, rows.first + len(rows)), columns
    lines = []
    for line, cells in rows:
        lines.append(line)
        for column, i in zip(columns, indexes):
            column.append(cells[i].strip())
    return lines, columns


def _records(
    count: int, used: list[tuple[str, tuple[str, ...]]], cells: list[list[str]]
) -> list[dict[str, Any]]:
    """Each row as the record the YAML would hold, its keys in the order a row's would be
    set one by one: text cells as they are, then amounts and lists, then sub-records; a
    record is filled column by column, from the cells that are not empty. Each distinct
    amount is converted once (OTEs repeat: reps.csv is read three times faster so,
    benchmarks/README.md, "Fifth pass"), and each distinct sub-record (`ote`) made once
    (see `SubRecord`)."""
    records: list[dict[str, Any]] = [{} for _ in range(count)]
    placed = list(zip(used, cells))
    for (name, place), column in placed:
        if _plain(name, place):
            _fill(records, place[0], column, filter(None, column))
    numbers: dict[str, Any] = {}  # cell -> its Decimal, or the text when it is none
    for (name, place), column in placed:
        if len(place) == 1 and name in LISTS:
            _fill(records, place[0], column, map(str.split, filter(None, column)))
        elif len(place) == 1 and name in AMOUNTS:
            amounts = [_number(text, numbers) for text in filter(None, column)]
            _fill(records, place[0], column, amounts)
    subs: dict[str, list[tuple[str, list[str]]]] = {}
    for (_, place), column in placed:
        if len(place) == 2:
            subs.setdefault(place[0], []).append((place[1], column))
    for key, parts in subs.items():
        cells_of = list(zip(*[column for _, column in parts]))  # each row's, a tuple
        SubRecord(key, [sub for sub, _ in parts]).fill(records, cells_of, numbers)
    return records


def _fill(
    records: list[dict[str, Any]], key: str, cells: Sequence[object], values: Iterable[Any]
) -> None:
    """Set `key` in each record whose cell is not empty, to the next of `values` (one for
    each such cell, in order)."""
    for record, value in zip(compress(records, cells), values):
        record[key] = value


def _number(text: str, numbers: dict[str, Any]) -> Any:
    """The amount in a cell, or its text when it is no number (for the model to report)."""
    value = numbers.get(text)
    if value is None:
        number = parse_decimal(text.replace("_", ""))
        numbers[text] = value = number if number is not None else text
    return value


# The models of sub-records: OTEs repeat, and validating a rep's `ote` within it was half
# the time of validating the rep (7.2 µs a rep with it, 3.7 given the instance).
SUB_MODELS: dict[str, type[BaseModel]] = {"ote": Ote}


class SubRecord:
    """The columns of a sub-record (`ote`: ote_base, ote_variable). Each distinct set of
    its cells is made once and shared by the rows that hold it: as its model, validated,
    when it has one and is valid (models are frozen, and pydantic keeps an instance of a
    field's model as it is: the rep is the rep validated from the record); else as the
    record, copied for each row, for the row's model to report where it always did."""

    def __init__(self, key: str, parts: list[str]) -> None:
        self.key = key
        self.parts = parts  # the sub-keys, in the order of the cells
        model = SUB_MODELS.get(key)
        # the model's own validator: `model_validate` is a tenth more a call (3,400 OTEs)
        self.check = validator(model) if model is not None else None

    def fill(
        self, records: list[dict[str, Any]], cells: list[tuple[str, ...]], numbers: dict[str, Any]
    ) -> None:
        """Set the sub-record in each record whose cells (one tuple a row) are not all
        empty."""
        present = list(map(any, cells))
        made: dict[tuple[str, ...], Any] = dict.fromkeys(compress(cells, present))
        for texts in made:  # each distinct one once
            made[texts] = self._make(texts, numbers)
        values: Iterable[Any] = map(made.__getitem__, compress(cells, present))
        if any(isinstance(found, dict) for found in made.values()):
            values = (dict(found) if isinstance(found, dict) else found for found in values)
        _fill(records, self.key, present, values)

    def _make(self, texts: tuple[str, ...], numbers: dict[str, Any]) -> Any:
        record = {sub: _number(text, numbers) for sub, text in zip(self.parts, texts) if text}
        if self.check is None:
            return record
        try:
            return self.check(record)
        except ValidationError:
            return record


def _plain(name: str, place: tuple[str, ...]) -> bool:
    """A column whose text goes into the record as it is."""
    return name not in AMOUNTS and name not in LISTS and len(place) == 1


def is_table(name: str) -> bool:
    """Whether a `files:` entry names a CSV table rather than a YAML file."""
    return name.lower().endswith(".csv")
