"""The loaded plan: validated models plus where each thing came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from salesplan.diagnostics import Diagnostic, Where
from salesplan.fiscal import Calendar
from salesplan.model import Org, PlanSettings, Rep, Territory, Unit
from salesplan.money import MINOR_UNITS, minor_unit
from salesplan.source import Document
from salesplan.submitted import Submissions

if TYPE_CHECKING:
    from datetime import date

    from salesplan.adjustments import AdjustedPin
    from salesplan.allocate import Allocation
    from salesplan.capacity import CapacityReport
    from salesplan.reconcile import Reconciliation
    from salesplan.rollup import Rollup
    from salesplan.tree import Tree

Loc = tuple[str | int, ...]


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
    # an empty org until the loader gives the one it read, made without validating (no
    # input to check; validating would build Org's validator, ~3 ms, for nothing)
    org: Org = field(default_factory=Org.model_construct)
    unit_index: dict[str, int] = field(default_factory=dict)
    rep_index: dict[str, int] = field(default_factory=dict)
    territories: list[Territory] | None = None
    territory_index: dict[str, int] = field(default_factory=dict)
    metric_rows: list[MetricRow] = field(default_factory=list)
    submissions: Submissions = field(default_factory=Submissions)
    # quotas.yaml, an output: its bytes are compared with the allocation computed now, never
    # read as numbers (None: absent or unreadable)
    quotas_file: str | None = None
    quotas_raw: bytes | None = None
    documents: dict[str, Document] = field(default_factory=dict)
    broken_ids: set[str] = field(default_factory=set)
    unparsed: set[str] = field(default_factory=set)  # roles of files that could not be parsed
    partial: set[str] = field(default_factory=set)  # roles of files read with cells left out
    diagnostics: list[Diagnostic] = field(default_factory=list)  # all found by load_plan
    digest: str = ""
    adjustments: list[AdjustedPin] = field(default_factory=list)  # adjustments.yaml's pins
    scenario: str | None = None  # the scenario applied (scenarios/NAME.yaml), if any

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
    def split_metrics(self) -> dict[str, dict[str, Decimal]]:
        """The metrics of the nodes whose split reads one, as `metrics` has them: no rep's
        unless the rep level's split reads a metric (see metrics.split_metrics)."""
        from salesplan.metrics import split_metrics

        return split_metrics(self)

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
        """Each id's metrics.csv values, a later row's over an earlier one's. An id's dict is
        its row's own (one row an id is the rule; nothing changes either): a copy only where
        a second row of the same id is laid over the first."""
        merged: dict[str, dict[str, Decimal]] = {}
        for row in self.metric_rows:
            if (before := merged.get(row.id)) is None:
                merged[row.id] = row.values
            else:
                merged[row.id] = {**before, **row.values}
        return merged

    # ---- the engines, as the commands run them (each result has .to_frame())

    def allocate(self) -> Allocation:
        """The top-down split (`salesplan allocate`)."""
        return self.allocation

    def capacity(self, hire_start: date | None = None) -> CapacityReport:
        """Ramp-adjusted capacity against the target (`salesplan capacity`)."""
        from salesplan.capacity import capacity_report

        return capacity_report(self, self.allocation, hire_start, "computed")

    def rollup(self, level: str | None = None, period: str | None = None) -> Rollup:
        """Submissions rolled up against the quotas (`salesplan rollup`)."""
        from salesplan.rollup import rollup, select

        return select(rollup(self, self.allocation), level, period, self.calendar)

    def reconcile(self) -> Reconciliation:
        """The hybrid proposal (`salesplan reconcile`)."""
        from salesplan.reconcile import reconcile

        return reconcile(self, self.allocation)

    # ---- positions

    def where(self, role: str, path: Loc, key: bool = False) -> Where:
        doc = self.documents.get(role)
        if doc is None:
            return Where(role, 1, 1)
        return Where(*doc.place(path, key=key))

    def at_unit(self, unit_id: str, *path: str | int, key: bool = False) -> Where:
        return self.where("org", ("units", self.unit_index[unit_id], *path), key=key)

    def at_rep(self, rep_id: str, *path: str | int, key: bool = False) -> Where:
        return self.where(self.reps_role, ("reps", self.rep_index[rep_id], *path), key=key)

    @property
    def reps_role(self) -> str:
        """Where the reps were read: "reps" (a reps.csv table) or "org" (org.yaml)."""
        return "reps" if "reps" in self.documents else "org"

    def at_node(self, node_id: str, *path: str | int, key: bool = False) -> Where:
        if node_id in self.rep_index:
            return self.at_rep(node_id, *path, key=key)
        if node_id in self.unit_index:
            return self.at_unit(node_id, *path, key=key)
        return self.where("plan", ("target",))

    def at_territory(self, territory_id: str, *path: str | int, key: bool = False) -> Where:
        index = self.territory_index[territory_id]
        return self.where("territories", ("territories", index, *path), key=key)
