"""The submitted amounts, stored column by column: a million rows stay light, and each row
knows where in which file it was written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, Protocol

from salesplan.diagnostics import Where
from salesplan.source import pack, unpack

REP, PERIOD, AMOUNT = 0, 1, 2  # the parts of an entry whose position a source can tell
_PART = 64  # bits per part in a packed YAML position (one packed mark, see source.pack)
_PART_MASK = (1 << _PART) - 1


class Source(Protocol):
    """Where entries of one submission file come from: turns an entry's packed position and
    a part (REP, PERIOD or AMOUNT) into a Where."""

    @property
    def file(self) -> str: ...

    def where(self, position: int, part: int) -> Where: ...


@dataclass(frozen=True, slots=True)
class MarkSource:
    """A YAML file: a position packs three (line, column) marks, rep << 128 | period << 64 |
    amount."""

    file: str

    @staticmethod
    def position(rep: Where, period: Where, amount: Where) -> int:
        return (
            pack(rep.line, rep.column) << 2 * _PART
            | pack(period.line, period.column) << _PART
            | pack(amount.line, amount.column)
        )

    def where(self, position: int, part: int) -> Where:
        packed = (position >> (2 - part) * _PART) & _PART_MASK
        return Where(self.file, *unpack(packed))


@dataclass(frozen=True, slots=True)
class CellSource:
    """A CSV or XLSX file: a position packs the row's line and the three cell indexes,
    line << 48 | rep << 32 | period << 16 | amount; columns are found on demand in the file's
    text (None for XLSX, where the column is the cell number)."""

    file: str
    text: str | None
    sheet: str | None = None

    @staticmethod
    def cells(rep: int, period: int, amount: int) -> int:
        return rep << 32 | period << 16 | amount

    def where(self, position: int, part: int) -> Where:
        from salesplan.tables import cell_at

        index = (position >> (2 - part) * 16) & 0xFFFF
        return Where(self.file, *cell_at(self.text, position >> 48, index), self.sheet)


class Entry(NamedTuple):
    """One submitted amount: a rep's forecast for one period, from one file (a view of one
    row of a `Batch`, made when asked for)."""

    rep: str
    period: str
    amount: Decimal
    note: str | None
    source: Source
    position: int

    @property
    def file(self) -> str:
        return self.source.file

    @property
    def rep_at(self) -> Where:
        return self.source.where(self.position, REP)

    @property
    def period_at(self) -> Where:
        return self.source.where(self.position, PERIOD)

    @property
    def amount_at(self) -> Where:
        return self.source.where(self.position, AMOUNT)


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(slots=True, eq=False, repr=False)
class Batch:
    """The amounts submitted in one file, column by column, so that a million rows stay
    light: the rep ids, period labels and equal amounts are shared objects, and a row's
    position is one int. Row i's packed position (see its source) is
    `positions[i] << shift | cells`: a CSV or XLSX file keeps only the line of each row, as
    the cells are the same on every row; a YAML file keeps whole positions (shift and cells 0).
    """

    source: Source
    reps: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    amounts: list[Decimal] = field(default_factory=list)
    positions: Sequence[int] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # row -> note, for rows with one
    shift: int = 0
    cells: int = 0

    def __len__(self) -> int:
        return len(self.reps)

    def position(self, row: int) -> int:
        return self.positions[row] << self.shift | self.cells

    def entry(self, row: int) -> Entry:
        return Entry(
            self.reps[row],
            self.periods[row],
            self.amounts[row],
            self.notes.get(row),
            self.source,
            self.position(row),
        )

    def where(self, row: int, part: int) -> Where:
        return self.source.where(self.position(row), part)


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(slots=True, eq=False, repr=False)
class Submissions:
    """Every submitted amount, file by file in name order. Iterating gives `Entry` views;
    the engines read the batches' columns directly."""

    batches: list[Batch] = field(default_factory=list)

    def __iter__(self) -> Iterator[Entry]:
        for batch in self.batches:
            for row in range(len(batch)):
                yield batch.entry(row)

    def __len__(self) -> int:
        return sum(len(b) for b in self.batches)

    def __bool__(self) -> bool:
        return any(len(b) for b in self.batches)
