"""Capacity (DESIGN §4.4): what the plan's reps can carry and are expected to book, per
period and per rep, against the target; the hires that would close the gap; cost of sales.

Words, the same everywhere:
- quota capacity of a rep = full_quota x Σ productivity / 12: the quota they can carry; a
  quota above it is *over capacity*;
- expected bookings = quota capacity per month x attainment x retention (JSON keeps the key
  names `capacity`/`total_capacity` for it);
- capacity coverage = expected bookings / target (forecast coverage is the rollup's).

Figures are exact (fractions) until shown: the annual total is rounded once to the minor
unit, and the period totals and the per-rep totals are each split from it by largest
remainder, so every table adds up; hires needed and cost of sales use the exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from fractions import Fraction
from math import ceil
from typing import TYPE_CHECKING, NamedTuple

from salesplan.fiscal import MONTHS, NONE, ZERO, productivity
from salesplan.money import split_units
from salesplan.productivity import plan_productivity

if TYPE_CHECKING:
    from salesplan.allocate import Allocation
    from salesplan.model import Rep
    from salesplan.plan import Plan

ONE = Decimal(1)
ROOTS = Context(prec=40)  # for retention, (1 - attrition)^(m/12): 40 digits, then exact


def exact(value: Fraction) -> Decimal:
    """A fraction as a Decimal to 40 significant digits (for ratios that are shown)."""
    return ROOTS.divide(Decimal(value.numerator), Decimal(value.denominator))


class RepCapacity(NamedTuple):
    id: str
    parent: str | None
    status: str
    profile: str | None
    months_on_board: Decimal  # Σ time on board over the fiscal months (12 for a full year)
    productive_months: Decimal  # Σ productivity (ramp x time on board)
    capacity: Decimal  # expected bookings in the year (a share of the rounded total)
    quota_capacity: Decimal  # the quota the rep can carry, to the minor unit
    periods: tuple[Decimal, ...]  # expected bookings per period, summing to `capacity`
    ote: Decimal  # OTE x fraction of the year on board
    variable: Decimal  # variable x fraction of the year on board
    quota: Decimal | None
    commission_rate: Decimal | None  # variable / quota
    quota_to_ote: Decimal | None  # quota / OTE
    over_capacity: bool  # quota above quota capacity


class ProfileGap(NamedTuple):
    """Hires of one profile that would close the whole gap."""

    profile: str
    hire_capacity: Decimal  # expected bookings of one such hire starting at hire_start
    hires_needed: int | None  # None: such a hire adds nothing this fiscal year


@dataclass(frozen=True)
class CapacityReport:
    currency: str
    periods: tuple[str, ...]
    target: tuple[Decimal, ...]
    capacity: tuple[Decimal, ...]  # expected bookings per period
    total_target: Decimal
    total_capacity: Decimal  # expected bookings in the year
    gap: Decimal  # target - expected bookings
    coverage: Decimal | None  # capacity coverage: expected bookings / target
    total_ote: Decimal
    cost_of_sales: Decimal | None
    max_cost_of_sales: Decimal | None
    hire_start: date
    hire_capacity: Decimal  # expected bookings of one hire starting at hire_start
    hires_needed: int | None  # None: a hire starting then cannot close the gap
    reps: tuple[RepCapacity, ...]
    quota_source: str  # "quotas.yaml" | "computed" | "none"
    total_quota_capacity: Decimal = ZERO
    by_profile: tuple[ProfileGap, ...] = ()  # with capacity.profiles: hires of each profile

    @property
    def over_budget(self) -> bool:
        limit, actual = self.max_cost_of_sales, self.cost_of_sales
        return limit is not None and actual is not None and actual > limit


class _Capacity:
    """Exact figures of one plan: per rep, per month, as fractions."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.productivity = plan_productivity(plan)
        attrition = plan.settings.capacity.attrition
        keep = ONE - min(attrition, Decimal("0.999999"))
        self.retention = [
            Fraction(ROOTS.power(keep, ROOTS.divide(Decimal(m + 1), Decimal(MONTHS))))
            if attrition
            else Fraction(1)
            for m in range(MONTHS)
        ]
        self._cache: dict[tuple[object, ...], list[Fraction]] = {}

    def full_quota(self, rep: Rep) -> Fraction:
        return Fraction(self.productivity.full_quota(rep) or ZERO)

    def quota_capacity(self, rep: Rep) -> Fraction:
        """full_quota x Σ productivity / 12, exact."""
        return self.full_quota(rep) * self.productivity.months(rep) / MONTHS

    def expected(self, rep: Rep) -> list[Fraction]:
        """Expected bookings per fiscal month, exact; reps alike share one computation."""
        on_board = rep.start is None or rep.start <= self.plan.calendar.start
        key = (*self.productivity.key(rep), rep.profile, on_board)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self.bookings(
                self.productivity.monthly(rep),
                self.full_quota(rep),
                Fraction(self.productivity.attainment(rep)),
                on_board,
            )
        return cached

    def bookings(
        self, monthly: Sequence[Fraction], full_quota: Fraction, attainment: Fraction, kept: bool
    ) -> list[Fraction]:
        """full_quota/12 x productivity x attainment, x retention when `kept` (reps on board
        at the fiscal-year start; hires are new)."""
        per_month = full_quota / MONTHS * attainment
        return [per_month * p * (self.retention[m] if kept else 1) for m, p in enumerate(monthly)]

    def hire(self, start: date, profile: str | None = None) -> Fraction:
        """Expected bookings of one more rep starting on `start` (the profile's ramp, else
        the default ramp), computed exactly as for a rep of the org: no attrition for a new
        hire, retention only for one on board at the fiscal-year start like the others (so
        that adding that many reps does close the gap)."""
        capacity = self.plan.settings.capacity
        chosen = capacity.profiles.get(profile) if profile else None
        name = (chosen.ramp if chosen else None) or capacity.default_ramp or ""
        monthly = productivity(self.plan.calendar, start, None, list(capacity.ramp.get(name, ())))
        full = chosen.full_quota if chosen and chosen.full_quota is not None else None
        attainment = chosen.attainment if chosen and chosen.attainment is not None else None
        return sum(
            self.bookings(
                monthly,
                Fraction(full if full is not None else capacity.full_quota or ZERO),
                Fraction(attainment if attainment is not None else capacity.attainment),
                start <= self.plan.calendar.start,
            ),
            NONE,
        )

    def ote(self, rep: Rep) -> tuple[Fraction, Fraction]:
        """(OTE, variable) x fraction of the year on board."""
        share = self.productivity.year_fraction(rep)
        if rep.ote is None:
            return NONE, NONE
        return Fraction(rep.ote.total) * share, Fraction(rep.ote.variable) * share


def plan_capacity(plan: Plan) -> _Capacity:
    found: _Capacity | None = plan.__dict__.get("_capacity")
    if found is None:
        found = plan.__dict__["_capacity"] = _Capacity(plan)
    return found


def _reps(plan: Plan) -> list[Rep]:
    tree = plan.tree
    return [r for r in plan.org.reps if r.id in tree]


def cost_of_sales(plan: Plan) -> tuple[Decimal, Decimal | None]:
    """(OTE of the reps in the tree x their fraction of the year on board; that OTE over
    the target, None without a target), computed once per plan."""
    known: tuple[Decimal, Decimal | None] | None = plan.__dict__.get("_cost_of_sales")
    if known is None:
        engine = plan_capacity(plan)
        total = sum((engine.ote(r)[0] for r in _reps(plan)), NONE)
        target = Fraction(plan.settings.target)
        known = (exact(total), exact(total / target) if target else None)
        plan.__dict__["_cost_of_sales"] = known
    return known


def pro_rata_ote(plan: Plan, rep: Rep) -> Decimal:
    """A rep's OTE for their time on board in the fiscal year."""
    return exact(plan_capacity(plan).ote(rep)[0])


def over_budget(plan: Plan) -> bool:
    """Cost of sales above `budget.max_cost_of_sales`."""
    limit = plan.settings.budget.max_cost_of_sales
    ratio = cost_of_sales(plan)[1]
    return limit is not None and ratio is not None and ratio > limit


def quota_capacities(plan: Plan) -> dict[str, Fraction]:
    """The quota each rep can carry, exact (none for a rep without a full quota): the
    measure of "over capacity"."""
    engine = plan_capacity(plan)
    return {
        r.id: engine.quota_capacity(r)
        for r in _reps(plan)
        if engine.productivity.full_quota(r) is not None
    }


def shown_split(
    total: Fraction, parts: Sequence[Fraction], keys: Sequence[str], quantum: Decimal
) -> tuple[Decimal, list[Decimal]]:
    """The exact `total` rounded once (half-even) to `quantum`, split over `parts` by
    largest remainder: shown figures that add up."""
    units = round(total / Fraction(quantum))
    counts = split_units(units, list(parts), keys) if parts else []
    return units * quantum, [c * quantum for c in counts]


def capacity_report(
    plan: Plan,
    allocation: Allocation | None = None,
    hire_start: date | None = None,
    quota_source: str = "computed",
) -> CapacityReport:
    """Expected bookings of the plan's reps per period against the phased target."""
    engine = plan_capacity(plan)
    quantum = Decimal(1).scaleb(-plan.currency_exponent)
    quotas = allocation.totals() if allocation else {}
    reps = _reps(plan)
    width = len(plan.periods)
    monthly = [engine.expected(r) for r in reps]
    rep_periods = [plan.calendar.per_period(m) for m in monthly]
    rep_totals = [sum(m, NONE) for m in monthly]
    period_exact = [sum((p[i] for p in rep_periods), NONE) for i in range(width)]
    total = sum(rep_totals, NONE)
    shown_total, shown_periods = shown_split(total, period_exact, plan.periods, quantum)
    _, shown_reps = shown_split(total, rep_totals, [r.id for r in reps], quantum)
    rows = [
        _rep_row(plan, engine, rep, shown, periods, quotas.get(rep.id), quantum)
        for rep, shown, periods in zip(reps, shown_reps, rep_periods)
    ]
    target = _phased_target(plan, allocation)
    total_target = sum(target, ZERO)
    gap = Fraction(total_target) - total
    start = hire_start or plan.calendar.start
    hire = engine.hire(start)
    cost = cost_of_sales(plan)
    total_quota = sum((engine.quota_capacity(r) for r in reps), NONE)
    return CapacityReport(
        plan.settings.currency,
        plan.periods,
        tuple(target),
        tuple(shown_periods),
        total_target,
        shown_total,
        total_target - shown_total,
        exact(total / Fraction(total_target)) if total_target else None,
        cost[0].quantize(quantum),
        cost[1],
        plan.settings.budget.max_cost_of_sales,
        start,
        _money(hire, quantum),
        _hires(gap, hire),
        tuple(rows),
        quota_source,
        _money(total_quota, quantum),
        tuple(
            ProfileGap(name, _money(h, quantum), _hires(gap, h))
            for name in plan.settings.capacity.profiles
            for h in (engine.hire(start, name),)
        ),
    )


def _money(value: Fraction, quantum: Decimal) -> Decimal:
    return round(value / Fraction(quantum)) * quantum


def _hires(gap: Fraction, hire: Fraction) -> int | None:
    """The fewest hires adding `hire` each that close `gap` (exact figures)."""
    if gap <= 0:
        return 0
    return ceil(gap / hire) if hire > 0 else None


def _rep_row(
    plan: Plan,
    engine: _Capacity,
    rep: Rep,
    shown: Decimal,
    periods: list[Fraction],
    quota: Decimal | None,
    quantum: Decimal,
) -> RepCapacity:
    productive = engine.productivity.months(rep)
    on_board = engine.productivity.year_fraction(rep) * MONTHS
    quota_capacity = engine.quota_capacity(rep)
    ote, variable = engine.ote(rep)
    shown_periods = [
        c * quantum for c in split_units(round(shown / quantum), periods, plan.periods)
    ]
    has_full = engine.productivity.full_quota(rep) is not None
    return RepCapacity(
        rep.id,
        rep.parent,
        rep.status,
        rep.profile,
        exact(on_board),
        exact(productive),
        shown,
        _money(quota_capacity, quantum),
        tuple(shown_periods),
        _money(ote, quantum),
        _money(variable, quantum),
        quota,
        exact(variable / Fraction(quota)) if quota else None,
        exact(Fraction(quota) / ote) if quota is not None and ote else None,
        has_full and quota is not None and Fraction(quota) > quota_capacity,
    )


def _phased_target(plan: Plan, allocation: Allocation | None) -> list[Decimal]:
    if allocation is None:
        from salesplan.allocate import allocate

        allocation = allocate(plan)
    periods = allocation.periods_of(plan.tree.root)
    if periods is None and allocation.nodes:  # a quotas.yaml naming another root
        periods = allocation.nodes[0].periods
    return list(periods or ())
