"""The loaded plan: validated models plus where each thing came from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.fiscal import Calendar
from salesplan.model import Org, PlanSettings, Quotas, Rep, Territory, Unit
from salesplan.money import MINOR_UNITS, minor_unit
from salesplan.source import Document, unpack

if TYPE_CHECKING:
    from salesplan.adjustments import AdjustedPin
    from salesplan.allocate import Allocation
    from salesplan.tree import Tree

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a file, 1-based."""

    file: str
    line: int
    column: int
    sheet: str | None = None  # the worksheet, for a row of an XLSX file


REP, PERIOD, AMOUNT = 0, 1, 2  # the parts of an entry whose position a source can tell
_PART = 48  # bits per part in a packed YAML position
_PART_MASK = (1 << _PART) - 1


class Source(Protocol):
    """Where entries of one submission file come from: turns an entry's packed position and
    a part (REP, PERIOD or AMOUNT) into a Where."""

    @property
    def file(self) -> str: ...

    def where(self, position: int, part: int) -> Where: ...


@dataclass(frozen=True, slots=True)
class MarkSource:
    """A YAML file: a position packs three (line, column) marks, rep << 96 | period << 48 |
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
        from salesplan.tables import cell_column

        line = position >> 48
        index = (position >> (2 - part) * 16) & 0xFFFF
        return Where(self.file, line, cell_column(self.text, line, index), self.sheet)


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


@dataclass(slots=True)
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


@dataclass(slots=True)
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


def pack(line: int, column: int) -> int:
    return line << 24 | column


class MetricRow(NamedTuple):
    """One row of metrics.csv: the id, its metrics, and where the row is."""

    id: str
    values: dict[str, Decimal]
    file: str
    line: int

    @property
    def where(self) -> Where:
        return Where(self.file, self.line, 1)


@dataclass(eq=False)
class Plan:
    """Everything read from a plan repository. Engines read it; nothing mutates it."""

    root: Path
    settings: PlanSettings
    org: Org = field(default_factory=Org)
    unit_index: dict[str, int] = field(default_factory=dict)
    rep_index: dict[str, int] = field(default_factory=dict)
    territories: list[Territory] | None = None
    territory_index: dict[str, int] = field(default_factory=dict)
    metric_rows: list[MetricRow] = field(default_factory=list)
    submissions: Submissions = field(default_factory=Submissions)
    quotas: Quotas | None = None  # quotas.yaml as parsed (None when absent or verified)
    quotas_present: bool = False  # a quotas.yaml exists
    quotas_verified: bool = False  # ...and its checksums prove it is allocate's output as is
    quotas_stale: Where | None = None  # ...or its `inputs:` (here) are not the plan's: stale
    documents: dict[str, Document] = field(default_factory=dict)
    broken_ids: set[str] = field(default_factory=set)
    digest: str = ""
    adjustments: list[AdjustedPin] = field(default_factory=list)  # adjustments.yaml's pins

    # ---- derived, computed once

    @cached_property
    def calendar(self) -> Calendar:
        fy = self.settings.fiscal_year
        return Calendar(fy.start, fy.periods)

    @property
    def periods(self) -> tuple[str, ...]:
        return self.calendar.labels

    @cached_property
    def unit(self) -> Decimal:
        """The rounding unit of quotas: `rounding`, else the currency's minor unit."""
        if self.settings.rounding:
            return self.settings.rounding
        return minor_unit(self.settings.currency) or Decimal("0.01")

    @property
    def currency_exponent(self) -> int:
        return MINOR_UNITS.get(self.settings.currency, 2)

    @cached_property
    def tree(self) -> Tree:
        from salesplan.tree import build_tree

        return build_tree(self)

    @cached_property
    def metrics(self) -> dict[str, dict[str, Decimal]]:
        """Every tree node's split metrics, resolved once (see metrics.resolve_metrics)."""
        from salesplan.metrics import resolve_metrics

        return resolve_metrics(self)

    @cached_property
    def allocation(self) -> Allocation:
        """The top-down allocation of this plan, computed once."""
        from salesplan.allocate import plan_allocator

        return plan_allocator(self).run()

    @cached_property
    def units_by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.org.units}

    @cached_property
    def reps_by_id(self) -> dict[str, Rep]:
        return {r.id: r for r in self.org.reps}

    @cached_property
    def metrics_by_id(self) -> dict[str, dict[str, Decimal]]:
        merged: dict[str, dict[str, Decimal]] = {}
        for row in self.metric_rows:
            merged.setdefault(row.id, {}).update(row.values)
        return merged

    # ---- positions

    def where(self, role: str, path: Loc, key: bool = False) -> Where:
        doc = self.documents.get(role)
        if doc is None:
            return Where(role, 1, 1)
        line, column = doc.locate(path, key=key)
        return Where(doc.file, line, column)

    def at_unit(self, unit_id: str, *path: str | int, key: bool = False) -> Where:
        return self.where("org", ("units", self.unit_index[unit_id], *path), key=key)

    def at_rep(self, rep_id: str, *path: str | int, key: bool = False) -> Where:
        return self.where("org", ("reps", self.rep_index[rep_id], *path), key=key)

    def at_node(self, node_id: str, *path: str | int, key: bool = False) -> Where:
        if node_id in self.rep_index:
            return self.at_rep(node_id, *path, key=key)
        if node_id in self.unit_index:
            return self.at_unit(node_id, *path, key=key)
        return self.where("plan", ("target",))

    def at_territory(self, territory_id: str, *path: str | int, key: bool = False) -> Where:
        index = self.territory_index[territory_id]
        return self.where("territories", ("territories", index, *path), key=key)


def report(code: str, message: str, where: Where, path: str = "") -> Diagnostic:
    """A diagnostic at a `Where` (a worksheet is named at the end of the message)."""
    if where.sheet is not None:
        message = f"{message} (sheet {where.sheet!r})"
    return diagnostic(code, message, where.file, where.line, where.column, path)
