"""The whole plan as one report (docs/design.md, "Plan files" `report`): a `Report` record built from the engines.

`build_report(plan, diagnostics, as_of)` calls allocate (or reads a fresh quotas.yaml),
capacity, rollup and, when there are submissions, reconcile, and gathers what a sales leader
reads: a summary, a table per level, the territories, the phasing per period, the hires
needed and the hybrid proposal's flags. It computes nothing the renderers would have to;
they only lay it out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from salesplan.allocate import Allocation, effective_over_assignment
from salesplan.capacity import CapacityReport, capacity_report
from salesplan.fiscal import MONTHS, ZERO, Calendar
from salesplan.quotas import current_quotas
from salesplan.reconcile import Reconciliation, reconcile
from salesplan.report_territories import (
    TerritoryRow,
    TerritoryTotals,
    territory_rows,
    territory_totals,
)
from salesplan.rollup import Rollup, RollupNode, rollup

if TYPE_CHECKING:
    from salesplan.diagnostics import Diagnostic
    from salesplan.model import Rep
    from salesplan.plan import Plan

CHART_UNITS = 24  # bars per chart at most: the largest units by quota


@dataclass(frozen=True, slots=True)
class LevelShare:
    """A level's quotas against the target: over-assignment, nominal and effective."""

    level: str
    nominal: Decimal  # the level's over_assign
    total: Decimal  # sum of the level's quotas
    effective: Decimal  # total / target - 1


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One unit or rep: quota against forecast and capacity, and the headcount under it."""

    id: str
    name: str | None
    parent: str | None
    status: str | None  # reps: active | planned; units: None
    quota: Decimal | None
    forecast: Decimal
    gap: Decimal | None  # quota - forecast
    coverage: Decimal | None  # forecast / quota
    capacity: Decimal  # expected bookings of the reps under it (docs/design.md, "Capacity")
    active: int  # reps on board during the year
    planned: int  # planned hires


@dataclass(frozen=True, slots=True)
class LevelReport:
    level: str
    rows: tuple[NodeRow, ...]
    total: NodeRow  # the level's sums (id "total")


@dataclass(frozen=True, slots=True)
class PeriodRow:
    label: str
    target: Decimal  # the company's quota in the period
    quotas: Decimal  # sum of the rep quotas
    capacity: Decimal
    forecast: Decimal
    gap: Decimal  # target - forecast
    coverage: Decimal | None  # forecast / target


@dataclass(frozen=True, slots=True)
class RepPeriods:
    """One rep's year, period by period: what a manager reviews with the rep."""

    id: str
    name: str | None
    parent: str | None
    status: str
    quota: tuple[Decimal, ...]  # the quota per period (its sum is the rep's quota)
    capacity: tuple[Decimal, ...]  # expected bookings per period
    forecast: tuple[Decimal, ...]  # the rep's submission per period

    @property
    def total(self) -> Decimal:
        return sum(self.quota, ZERO)


@dataclass(frozen=True, slots=True)
class FlaggedNode:
    id: str
    level: str
    top_down: Decimal
    bottom_up: Decimal | None
    proposal: Decimal
    shift: Decimal | None
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hybrid:
    max_shift: Decimal
    moved: int  # nodes whose proposal differs from top-down
    flagged: tuple[FlaggedNode, ...]
    relaxed: tuple[str, ...]
    budget_breach: bool
    problems: tuple[str, ...]  # diagnostics of the proposal, as text


@dataclass(frozen=True, slots=True)
class Summary:
    target: Decimal
    rep_quotas: Decimal
    over_assignment: tuple[LevelShare, ...]
    capacity: Decimal
    capacity_coverage: Decimal | None
    capacity_gap: Decimal  # target - capacity
    hires_needed: int | None  # None: a hire starting then cannot close the gap
    hire_start: date
    hire_capacity: Decimal
    total_ote: Decimal
    cost_of_sales: Decimal | None
    max_cost_of_sales: Decimal | None
    over_budget: bool
    forecast: Decimal
    forecast_gap: Decimal | None
    forecast_coverage: Decimal | None
    submitted: int
    missing: tuple[str, ...]
    quotas_file: str  # "absent" | "fresh" | "stale" | "edited by hand"
    quota_source: str  # "quotas.yaml" | "computed"
    errors: int
    warnings: int


@dataclass(frozen=True)
class Report:
    name: str
    plan_id: str
    currency: str
    exponent: int  # the currency's decimals: exact amounts (JSON, XLSX)
    display_exponent: int  # decimals people see: 0 when quotas are whole units
    year_start: date
    year_end: date  # the last day of the fiscal year
    periods: tuple[str, ...]
    as_of: date
    summary: Summary
    levels: tuple[LevelReport, ...]
    territories: tuple[TerritoryRow, ...] | None  # None: the plan has no territories
    territory_totals: TerritoryTotals | None
    phasing: tuple[PeriodRow, ...]
    year: PeriodRow  # the phasing's totals
    chart_level: str
    chart_units: tuple[NodeRow, ...]  # the units the per-unit chart shows
    hybrid: Hybrid | None  # None: nobody has submitted
    calendar: Calendar
    reps: tuple[RepPeriods, ...]  # every rep, in the order of the tree
    scenario: str | None = None  # the scenario the report is of (scenarios/NAME.yaml)

    @property
    def title(self) -> str:
        """The plan's name, and the scenario's when the report is of one."""
        return self.name if self.scenario is None else f"{self.name} (scenario {self.scenario})"


def report_date() -> date:
    """Today, or the date SOURCE_DATE_EPOCH names (reproducible builds, golden files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return date.today()


def build_report(
    plan: Plan, diagnostics: Sequence[Diagnostic] = (), as_of: date | None = None
) -> Report:
    """Everything the report shows, from the quotas in force (a fresh quotas.yaml, else
    computed now), the capacity, the rollup and the hybrid proposal."""
    quotas, source = current_quotas(plan)
    capacity = capacity_report(plan, quotas, None, source)
    rolled = rollup(plan, quotas)
    levels = _levels(plan, rolled, capacity)
    hybrid = _hybrid(reconcile(plan, quotas)) if plan.submissions else None
    phasing = _phasing(plan, quotas, rolled, capacity)
    chart_level, chart_units = _chart(plan, levels)
    territories = territory_rows(plan, quotas)
    calendar = plan.calendar
    return Report(
        scenario=plan.scenario,
        name=plan.settings.name,
        plan_id=plan.settings.id,
        currency=plan.settings.currency,
        exponent=plan.currency_exponent,
        display_exponent=0 if plan.unit >= 1 else plan.currency_exponent,
        year_start=calendar.start,
        year_end=date.fromordinal(calendar.month_start(MONTHS).toordinal() - 1),
        periods=plan.periods,
        as_of=as_of or report_date(),
        summary=_summary(plan, quotas, source, capacity, rolled.root, diagnostics),
        levels=levels,
        territories=territories,
        territory_totals=territory_totals(territories) if territories is not None else None,
        phasing=phasing,
        year=period_total("year", phasing),
        chart_level=chart_level,
        chart_units=chart_units,
        hybrid=hybrid,
        calendar=calendar,
        reps=_reps(plan, quotas, rolled, capacity),
    )


def _reps(
    plan: Plan, quotas: Allocation, rolled: Rollup, capacity: CapacityReport
) -> tuple[RepPeriods, ...]:
    width = len(plan.periods)
    none = (ZERO,) * width
    quota = {n.id: tuple(n.periods) for n in quotas.nodes}
    expected = {r.id: tuple(r.periods) for r in capacity.reps}
    forecast = {n.id: tuple(n.forecast_periods) for n in rolled.nodes}
    found = []
    for node in plan.tree.top_down():
        if not node.is_rep:
            continue
        rep = plan.reps_by_id[node.id]
        found.append(
            RepPeriods(
                rep.id,
                rep.name,
                node.parent,
                rep.status,
                quota.get(rep.id, none),
                expected.get(rep.id, none),
                forecast.get(rep.id, none),
            )
        )
    return tuple(found)


def _quotas_file(plan: Plan, diagnostics: Sequence[Diagnostic]) -> str:
    codes = {d.code for d in diagnostics}
    if plan.quotas_raw is None:
        return "absent"
    if "SP415" in codes:
        return "stale"
    return "edited by hand" if "SP416" in codes else "fresh"


def _summary(
    plan: Plan,
    quotas: Allocation,
    source: str,
    capacity: CapacityReport,
    root: RollupNode,
    diagnostics: Sequence[Diagnostic],
) -> Summary:
    shares = tuple(LevelShare(*row) for row in effective_over_assignment(plan, quotas))
    errors = sum(1 for d in diagnostics if d.is_error)
    return Summary(
        target=plan.settings.target,
        rep_quotas=shares[-1].total if shares else ZERO,
        over_assignment=shares,
        capacity=capacity.total_capacity,
        capacity_coverage=capacity.coverage,
        capacity_gap=capacity.gap,
        hires_needed=capacity.hires_needed,
        hire_start=capacity.hire_start,
        hire_capacity=capacity.hire_capacity,
        total_ote=capacity.total_ote,
        cost_of_sales=capacity.cost_of_sales,
        max_cost_of_sales=capacity.max_cost_of_sales,
        over_budget=capacity.over_budget,
        forecast=root.forecast_total,
        forecast_gap=root.gap,
        forecast_coverage=root.coverage,
        submitted=root.submitted,
        missing=root.missing,
        quotas_file=_quotas_file(plan, diagnostics),
        quota_source=source,
        errors=errors,
        warnings=len(diagnostics) - errors,
    )


def _headcount(rep: Rep, year_start: date) -> tuple[int, int]:
    """(active, planned) for one rep: planned hires, and active reps not gone before the year."""
    if rep.status == "planned":
        return 0, 1
    return (0, 0) if rep.end is not None and rep.end <= year_start else (1, 0)


def _levels(plan: Plan, rolled: Rollup, capacity: CapacityReport) -> tuple[LevelReport, ...]:
    tree = plan.tree
    rep_capacity = {r.id: r.capacity for r in capacity.reps}
    sums: dict[str, tuple[Decimal, int, int]] = {}  # id -> (capacity, active, planned)
    for node in tree.bottom_up():
        if node.is_rep:
            sums[node.id] = (
                rep_capacity.get(node.id, ZERO),
                *_headcount(plan.reps_by_id[node.id], plan.calendar.start),
            )
        else:
            children = [sums[c] for c in node.children]
            sums[node.id] = (
                sum((c[0] for c in children), ZERO),
                sum(c[1] for c in children),
                sum(c[2] for c in children),
            )
    by_level: dict[str, list[NodeRow]] = {lv: [] for lv in tree.levels}
    for row in rolled.nodes:
        if row.level not in by_level:
            continue
        rep = plan.reps_by_id.get(row.id) if tree[row.id].is_rep else None
        unit = plan.units_by_id.get(row.id)
        name = rep.name if rep else unit.name if unit else None
        by_level[row.level].append(
            NodeRow(
                row.id,
                name,
                row.parent,
                rep.status if rep else None,
                row.quota_total,
                row.forecast_total,
                row.gap,
                row.coverage,
                *sums[row.id],
            )
        )
    return tuple(LevelReport(lv, tuple(rows), _total(rows)) for lv, rows in by_level.items())


def _total(rows: Sequence[NodeRow]) -> NodeRow:
    quota = sum((r.quota for r in rows if r.quota is not None), ZERO)
    forecast = sum((r.forecast for r in rows), ZERO)
    return NodeRow(
        "total",
        None,
        None,
        None,
        quota,
        forecast,
        quota - forecast,
        forecast / quota if quota else None,
        sum((r.capacity for r in rows), ZERO),
        sum(r.active for r in rows),
        sum(r.planned for r in rows),
    )


def _phasing(
    plan: Plan, quotas: Allocation, rolled: Rollup, capacity: CapacityReport
) -> tuple[PeriodRow, ...]:
    width = len(plan.periods)
    rep_level = plan.tree.levels[-1]
    rep_quotas = [ZERO] * width
    for node in quotas.nodes:
        if node.level == rep_level and len(node.periods) == width:
            rep_quotas = [a + b for a, b in zip(rep_quotas, node.periods)]
    root = rolled.root
    targets = root.quota_periods or capacity.target
    return tuple(
        PeriodRow(
            label,
            target,
            quota,
            cap,
            forecast,
            target - forecast,
            forecast / target if target else None,
        )
        for label, target, quota, cap, forecast in zip(
            plan.periods, targets, rep_quotas, capacity.capacity, root.forecast_periods
        )
    )


def period_total(label: str, rows: Sequence[PeriodRow]) -> PeriodRow:
    """The periods `rows` added up (a quarter, the year), coverage worked out again."""
    target = sum((r.target for r in rows), ZERO)
    forecast = sum((r.forecast for r in rows), ZERO)
    return PeriodRow(
        label,
        target,
        sum((r.quotas for r in rows), ZERO),
        sum((r.capacity for r in rows), ZERO),
        forecast,
        target - forecast,
        forecast / target if target else None,
    )


def _chart(plan: Plan, levels: Sequence[LevelReport]) -> tuple[str, tuple[NodeRow, ...]]:
    """The units the per-unit chart shows: the second unit level (teams under regions), or
    the first when there is only one; the largest by quota when there are many."""
    unit_levels = [lv for lv in levels if lv.level != plan.tree.levels[-1]] or list(levels)
    chosen = unit_levels[1] if len(unit_levels) > 1 else unit_levels[0]
    rows = list(chosen.rows)
    if len(rows) > CHART_UNITS:
        rows = sorted(rows, key=lambda r: (-(r.quota or ZERO), r.id))[:CHART_UNITS]
    return chosen.level, tuple(rows)


def _hybrid(result: Reconciliation) -> Hybrid:
    flagged = []
    for node in result.nodes:
        flags = tuple(
            name
            for name, on in (
                ("clamped", node.clamped),
                ("held", node.held),
                ("sandbagging", node.sandbagging),
                ("over capacity", node.over_capacity),
            )
            if on
        )
        if flags:
            flagged.append(
                FlaggedNode(
                    node.id,
                    node.level,
                    node.top_down,
                    node.bottom_up,
                    node.total,
                    node.shift,
                    flags,
                )
            )
    return Hybrid(
        result.max_shift,
        sum(1 for n in result.nodes if n.total != n.top_down),
        tuple(flagged),
        result.relaxed,
        result.budget_breach,
        tuple(str(d) for d in result.diagnostics),
    )
