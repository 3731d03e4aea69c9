"""Capacity (DESIGN §4.4): ramp-adjusted capacity per period against the target, the hires
that would close the gap, and the cost of sales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, NamedTuple

from salesplan.fiscal import MONTHS, ZERO, productivity
from salesplan.productivity import plan_productivity

if TYPE_CHECKING:
    import pandas as pd

    from salesplan.allocate import Allocation
    from salesplan.model import Rep
    from salesplan.plan import Plan

ONE = Decimal(1)


class RepCapacity(NamedTuple):
    id: str
    parent: str | None
    status: str
    months_employed: int
    productive_months: Decimal
    capacity: Decimal  # annual expected bookings, after attainment and retention
    quota_capacity: Decimal  # the quota the rep can carry: full_quota x productive months / 12
    periods: tuple[Decimal, ...]
    ote: Decimal  # pro rata by months employed
    variable: Decimal  # pro rata
    quota: Decimal | None
    commission_rate: Decimal | None  # variable / quota
    quota_to_ote: Decimal | None  # quota / OTE
    over_capacity: bool


@dataclass(frozen=True)
class CapacityReport:
    currency: str
    periods: tuple[str, ...]
    target: tuple[Decimal, ...]
    capacity: tuple[Decimal, ...]
    total_target: Decimal
    total_capacity: Decimal
    gap: Decimal
    coverage: Decimal | None
    total_ote: Decimal
    cost_of_sales: Decimal | None
    max_cost_of_sales: Decimal | None
    hire_start: date
    hire_capacity: Decimal  # annual capacity of one hire starting at hire_start
    hires_needed: int | None  # None: a hire starting then cannot close the gap
    reps: tuple[RepCapacity, ...]
    quota_source: str  # "quotas.yaml" | "computed" | "none"

    def to_frame(self) -> pd.DataFrame:
        """One row per rep as a pandas DataFrame (exact Decimals; one column per period)."""
        from salesplan.frames import rows_frame

        return rows_frame(self.reps, self.periods)

    @property
    def over_budget(self) -> bool:
        limit, actual = self.max_cost_of_sales, self.cost_of_sales
        return limit is not None and actual is not None and actual > limit


def pro_rata_ote(plan: Plan, rep: Rep) -> Decimal:
    """A rep's OTE for the months they are employed in the fiscal year."""
    return (rep.ote.total if rep.ote else ZERO) * _months_employed(plan, rep) / MONTHS


def cost_of_sales(plan: Plan) -> tuple[Decimal, Decimal | None]:
    """(OTE of the reps in the tree, pro rata; that OTE over the target, None if no target),
    computed once per plan (check, capacity and reconcile all ask)."""
    known: tuple[Decimal, Decimal | None] | None = plan.__dict__.get("_cost_of_sales")
    if known is None:
        tree = plan.tree
        total = sum((pro_rata_ote(plan, r) for r in plan.org.reps if r.id in tree), ZERO)
        target = plan.settings.target
        known = plan.__dict__["_cost_of_sales"] = (total, total / target if target else None)
    return known


def over_budget(plan: Plan) -> bool:
    """Cost of sales above `budget.max_cost_of_sales`."""
    limit = plan.settings.budget.max_cost_of_sales
    ratio = cost_of_sales(plan)[1]
    return limit is not None and ratio is not None and ratio > limit


def quota_capacities(plan: Plan) -> dict[str, Decimal]:
    """The quota each rep can carry, full_quota × productive months / 12 (none without a
    full_quota): the measure of "over capacity"."""
    full_quota = plan.settings.capacity.full_quota
    if full_quota is None:
        return {}
    engine = _Capacity(plan)
    tree = plan.tree
    carried: dict[Decimal, Decimal] = {}  # productive months -> quota, reps alike share one
    capacities = {}
    for rep in plan.org.reps:
        if rep.id in tree:
            months = engine.productivity.months(rep)
            quota = carried.get(months)
            if quota is None:
                quota = carried[months] = engine.money(engine.monthly_quota * months)
            capacities[rep.id] = quota
    return capacities


def _months_employed(plan: Plan, rep: Rep) -> int:
    calendar = plan.calendar
    first = max(calendar.month_index(rep.start), 0) if rep.start else 0
    stop = min(calendar.month_index(rep.end), MONTHS) if rep.end else MONTHS
    return max(stop - first, 0)


class _Capacity:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        policy = plan.settings.capacity
        self.monthly_quota = (policy.full_quota or ZERO) / MONTHS
        self.attainment = policy.attainment
        keep = ONE - min(policy.attrition, Decimal("0.999999"))
        self.retention = [keep ** (Decimal(m + 1) / MONTHS) for m in range(MONTHS)]
        self.productivity = plan_productivity(plan)
        self.quantum = Decimal(1).scaleb(-plan.currency_exponent)
        self._periods: dict[tuple[object, ...], tuple[Decimal, ...]] = {}

    def money(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, ROUND_HALF_EVEN)

    def rep_periods(self, rep: Rep) -> tuple[Decimal, ...]:
        """A rep's capacity per period, in money; reps alike share one computation."""
        on_board = rep.start is None or rep.start <= self.plan.settings.fiscal_year.start
        key = (*self.plan.calendar.tenure_key(rep.start, rep.end), rep.ramp, on_board)
        cached = self._periods.get(key)
        if cached is None:
            cached = self.expected(self.productivity.monthly(rep), rep.start)
            self._periods[key] = cached
        return cached

    def expected(self, monthly: list[Decimal], start: date | None) -> tuple[Decimal, ...]:
        """Expected bookings per period: full_quota/12 x productivity x attainment, x retention
        for reps on board on the first day of the fiscal year (DESIGN §4.4)."""
        on_board = start is None or start <= self.plan.settings.fiscal_year.start
        per_month = [
            self.monthly_quota * p * self.attainment * (self.retention[m] if on_board else ONE)
            for m, p in enumerate(monthly)
        ]
        return tuple(self.money(v) for v in self.plan.calendar.per_period(per_month))

    def hire_capacity(self, start: date) -> Decimal:
        """What one more rep starting on `start` on the default ramp adds, computed exactly
        as for a rep of the org (so adding that many reps does close the gap)."""
        capacity = self.plan.settings.capacity
        ramp = list(capacity.ramp.get(capacity.default_ramp or "", ()))
        monthly = productivity(self.plan.calendar, start, None, ramp)
        return sum(self.expected(monthly, start), ZERO)


def capacity_report(
    plan: Plan,
    allocation: Allocation | None = None,
    hire_start: date | None = None,
    quota_source: str = "computed",
) -> CapacityReport:
    """Capacity of the plan's reps per period against the phased target."""
    engine = _Capacity(plan)
    quotas = allocation.totals() if allocation else {}
    rep_rows: list[RepCapacity] = []
    period_sums = [ZERO] * len(plan.periods)
    total_ote = ZERO
    for rep in plan.org.reps:
        if rep.id not in plan.tree:
            continue
        periods = engine.rep_periods(rep)
        period_sums = [a + b for a, b in zip(period_sums, periods)]
        employed = _months_employed(plan, rep)
        ote = (rep.ote.total if rep.ote else ZERO) * employed / MONTHS
        variable = (rep.ote.variable if rep.ote else ZERO) * employed / MONTHS
        total_ote += ote
        capacity = sum(periods, ZERO)
        months = engine.productivity.months(rep)
        quota_capacity = engine.money(engine.monthly_quota * months)
        quota = quotas.get(rep.id)
        rep_rows.append(
            RepCapacity(
                rep.id,
                rep.parent,
                rep.status,
                employed,
                months,
                capacity,
                quota_capacity,
                periods,
                engine.money(ote),
                engine.money(variable),
                quota,
                (variable / quota) if quota else None,
                (quota / ote) if quota is not None and ote else None,
                quota is not None and quota > quota_capacity,
            )
        )
    target = _phased_target(plan, allocation)
    total_target = sum(target, ZERO)
    total_capacity = sum(period_sums, ZERO)
    gap = total_target - total_capacity
    start = hire_start or plan.settings.fiscal_year.start
    hire = engine.hire_capacity(start)
    if gap <= 0:
        hires: int | None = 0
    elif hire > 0:
        hires = int((gap / hire).to_integral_value(ROUND_CEILING))
    else:
        hires = None
    return CapacityReport(
        plan.settings.currency,
        plan.periods,
        tuple(target),
        tuple(period_sums),
        total_target,
        total_capacity,
        gap,
        (total_capacity / total_target) if total_target else None,
        engine.money(total_ote),
        (total_ote / plan.settings.target) if plan.settings.target else None,
        plan.settings.budget.max_cost_of_sales,
        start,
        hire,
        hires,
        tuple(rep_rows),
        quota_source,
    )


def _phased_target(plan: Plan, allocation: Allocation | None) -> list[Decimal]:
    if allocation is None:
        from salesplan.allocate import allocate

        allocation = allocate(plan)
    periods = allocation.periods_of(plan.tree.root)
    if periods is None and allocation.nodes:  # a quotas.yaml naming another root
        periods = allocation.nodes[0].periods
    return list(periods or ())
