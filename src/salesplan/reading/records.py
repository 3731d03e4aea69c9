"""Long lists as CSV tables (docs/design.md, "Plan files"): reps.csv and territories.csv.

A 10,000-rep org is usually an HRIS export; as a CSV it is read in a tenth of the time of
the same YAML. Each row becomes the record the YAML would hold (the same models validate
it), and positions are the row and the character column of the cell, so every diagnostic
points at `file:row:column` exactly as it would in YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from pydantic import BaseModel, ValidationError

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.model import Ote
from salesplan.source import Document, Mark
from salesplan.tables import Table, parse_decimal, read_csv

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
    is the row of record 3 and the column of its `ote_base` cell."""

    table: Table | None = field(default=None, repr=False, compare=False)
    key: str = ""
    columns: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)

    def marked(self) -> Document:
        return self

    def locate(self, path: tuple[str | int, ...], key: bool = False) -> Mark:
        table = self.table
        if table is None or len(path) < 2 or path[0] != self.key or not isinstance(path[1], int):
            return (table.header_line, 1) if table is not None else (1, 1)
        rows = table.rows
        if not 0 <= path[1] < len(rows):
            return table.header_line, 1
        row = rows[path[1]]
        fields = tuple(p for p in path[2:] if isinstance(p, str))
        while fields and fields not in self.columns:
            fields = fields[:-1]
        index = self.columns.get(fields)
        return table.cell_at(row.line, index) if index is not None else (row.line, 1)


def read_table(
    file: str, raw: bytes, key: str, columns: dict[str, tuple[str, ...]], problems: list[Diagnostic]
) -> TableDocument:
    """The records of a CSV table, as a document whose `data` is `{key: [record, ...]}`:
    empty cells are left out (defaults apply), amounts are Decimals when they are numbers
    (else the text, for the model to report), lists are split on spaces."""
    table = read_csv(file, raw)
    problems.extend(table.diagnostics)
    header = [name.strip().lower() for name in table.header]
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
    used = [(i, name, columns[name]) for i, name in enumerate(header) if name in columns]
    records = _records(table, used)
    positions = {place: i for i, _, place in used}
    return TableDocument(file, {key: records}, raw=raw, table=table, key=key, columns=positions)


def _records(table: Table, used: list[tuple[int, str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    """Each row as the record the YAML would hold. Text cells go in as they are, in one
    comprehension; amounts and lists are converted, each distinct amount once (OTEs
    repeat: reps.csv is read three times faster so, benchmarks/README.md, "Fifth pass"),
    and each distinct sub-record (`ote`) once (see `SubRecord`)."""
    plain = [(i, place[0]) for i, name, place in used if _plain(name, place)]
    converted = [(i, name, place[0]) for i, name, place in used if len(place) == 1]
    converted = [(i, name, key) for i, name, key in converted if name in AMOUNTS | LISTS]
    columns: dict[str, list[tuple[int, str]]] = {}
    for i, _, place in used:
        if len(place) == 2:
            columns.setdefault(place[0], []).append((i, place[1]))
    subs = [SubRecord(key, parts) for key, parts in columns.items()]
    numbers: dict[str, Any] = {}  # cell -> its Decimal, or the text when it is none
    records = []
    for row in table.rows:
        cells = row.values
        record: dict[str, Any] = {key: cells[i] for i, key in plain if cells[i]}
        for i, name, key in converted:
            text = cells[i]
            if text:
                record[key] = text.split() if name in LISTS else _number(text, numbers)
        for sub in subs:
            texts = sub.cells(cells)
            if any(texts):
                record[sub.key] = sub.made(texts, numbers)
        records.append(record)
    return records


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

    def __init__(self, key: str, parts: list[tuple[int, str]]) -> None:
        self.key = key
        self.parts = parts  # (column, sub-key)
        get = itemgetter(*[i for i, _ in parts])
        self.cells: Callable[[list[str]], tuple[str, ...]] = (
            get if len(parts) > 1 else lambda cells: (get(cells),)
        )
        self.found: dict[tuple[str, ...], Any] = {}

    def made(self, texts: tuple[str, ...], numbers: dict[str, Any]) -> Any:
        found = self.found.get(texts)
        if found is None:
            found = self.found[texts] = self._make(texts, numbers)
        return dict(found) if isinstance(found, dict) else found

    def _make(self, texts: tuple[str, ...], numbers: dict[str, Any]) -> Any:
        parts = zip(self.parts, texts)
        record = {sub: _number(text, numbers) for (_, sub), text in parts if text}
        model = SUB_MODELS.get(self.key)
        if model is None:
            return record
        try:
            return model.model_validate(record)
        except ValidationError:
            return record


def _plain(name: str, place: tuple[str, ...]) -> bool:
    """A column whose text goes into the record as it is."""
    return name not in AMOUNTS and name not in LISTS and len(place) == 1


def is_table(name: str) -> bool:
    """Whether a `files:` entry names a CSV table rather than a YAML file."""
    return name.lower().endswith(".csv")
