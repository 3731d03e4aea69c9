"""Capacity (docs/design.md, "Capacity"): what the plan's reps can carry and are expected to book, per
period and per rep, against the target; the hires that would close the gap; cost of sales.

Words, the same everywhere:
- quota capacity of a rep = full_quota x Σ productivity / 12: the quota they can carry; a
  quota above it is *over capacity*;
- expected bookings = quota capacity per month x attainment x retention (JSON keeps the key
  names `capacity`/`total_capacity` for it);
- capacity coverage = expected bookings / target (forecast coverage is the rollup's).

Figures are exact until shown: computed at 60 significant digits (a decimal with fewer
digits, such as every amount, ratio and whole-month product, is exact; a third of a month
is off by 10^-55 of itself, far from any rounding tie). Each annual total (expected
bookings, quota capacity, OTE) is rounded once to the minor unit, and the figures per
period, per rep and per rep and period are carved from it (carving.py), so every table adds
up (equal exact figures may then show a unit apart, each rounded down or up); hires needed
and cost of sales use the exact figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Context, Decimal, localcontext
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from salesplan.carving import carve, carve_table, exact_sum
from salesplan.fiscal import MONTHS, ZERO, productivity
from salesplan.productivity import plan_productivity

if TYPE_CHECKING:
    import pandas as pd

    from salesplan.allocate import Allocation
    from salesplan.model import Ote, Rep
    from salesplan.plan import Plan

ONE = Decimal(1)
_OTE = attrgetter("ote")
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)


def exact(value: Fraction | int) -> Decimal:
    """A time-on-board fraction as a Decimal at 60 significant digits."""
    if isinstance(value, int):
        return Decimal(value)
    return EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))


class RepCapacity(NamedTuple):
    id: str
    parent: str | None
    status: str
    profile: str | None
    months_on_board: Decimal  # Σ time on board over the fiscal months (12 for a full year)
    productive_months: Decimal  # Σ productivity (ramp x time on board)
    capacity: Decimal  # expected bookings in the year (carved from the rounded total)
    quota_capacity: Decimal  # the quota the rep can carry (carved from the rounded total)
    periods: tuple[Decimal, ...]  # expected bookings per period, summing to `capacity`
    ote: Decimal  # OTE x fraction of the year on board (carved from the rounded total)
    variable: Decimal  # variable x fraction of the year on board, to the minor unit
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
    """What `salesplan capacity` reports: the target against the expected bookings of the
    reps (per period and for the year), the gap and the hires that would close it, the
    cost of sales, and each rep's capacity (docs/design.md, "Capacity")."""

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

    def to_frame(self) -> pd.DataFrame:
        """One row per rep as a pandas DataFrame (exact Decimals; one column per period)."""
        from salesplan.frames import rows_frame

        return rows_frame(self.reps, self.periods)

    @property
    def over_budget(self) -> bool:
        limit, actual = self.max_cost_of_sales, self.cost_of_sales
        return limit is not None and actual is not None and actual > limit


class _Figures(NamedTuple):
    periods: list[Decimal]  # expected bookings per period, in twelfths
    quota_capacity: Decimal  # the sum of its periods, in twelfths, exact: with attainment 1
    # and no attrition, to the last digit that of `periods` (so both show the same)
    months_on_board: Decimal
    productive_months: Decimal


class _Kind(NamedTuple):
    """A rep's figures that depend only on their productivity's key and profile (the start
    in the key is the rep's own, or None for a rep on board since before the year and past
    their ramp: on board from the year's first day either way): reps alike share them."""

    quota_capacity: Decimal  # exact: full_quota x Σ productivity / 12
    share: Decimal  # the fraction of the year on board, exact
    has_full: bool  # a full quota is set (the profile's or capacity's)


class _Capacity:
    """Figures of one plan at 60 significant digits: per rep, per month."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.productivity = plan_productivity(plan)
        attrition = plan.settings.capacity.attrition
        keep = ONE - min(attrition, Decimal("0.999999"))
        self.retention = [
            EXACT.power(keep, EXACT.divide(Decimal(m + 1), Decimal(MONTHS))) if attrition else ONE
            for m in range(MONTHS)
        ]
        self._figures: dict[tuple[object, ...], _Figures] = {}
        self._kinds: dict[tuple[object, ...], _Kind] = {}
        # by a rep's own (start, end, ramp, profile): one look-up per rep
        self._alike: dict[tuple[object, ...], tuple[_Kind, _Figures]] = {}
        # (base, variable, share of the year) -> (pro-rata OTE, pro-rata variable)
        self._pay: dict[tuple[Decimal, Decimal, Decimal], tuple[Decimal, Decimal]] = {}

    def full_quota(self, rep: Rep) -> Decimal:
        return self.productivity.full_quota(rep) or ZERO

    def bookings(
        self, monthly: Sequence[Fraction], full_quota: Decimal, attainment: Decimal, kept: bool
    ) -> list[Decimal]:
        """full_quota/12 x productivity x attainment, x retention when `kept` (reps on board
        at the fiscal-year start), kept in twelfths (x 12): sums of whole and decimal months
        stay exact, and the one division by 12 comes when a figure is shown."""
        with localcontext(EXACT):
            per_month = full_quota * attainment  # in twelfths: divided by 12 once, at the end
            return [
                per_month * exact(p) * (self.retention[m] if kept else ONE) if p else ZERO
                for m, p in enumerate(monthly)
            ]

    def hire(self, start: date, profile: str | None = None) -> Decimal:
        """Expected bookings of one more rep starting on `start` (the profile's ramp, else
        the default ramp), computed exactly as for a rep of the org: no attrition for a new
        hire, retention only for one on board at the fiscal-year start like the others (so
        that adding that many reps does close the gap). In twelfths, like `bookings`."""
        capacity = self.plan.settings.capacity
        chosen = capacity.profiles.get(profile) if profile else None
        name = (chosen.ramp if chosen else None) or capacity.default_ramp or ""
        monthly = productivity(self.plan.calendar, start, None, list(capacity.ramp.get(name, ())))
        full = chosen.full_quota if chosen and chosen.full_quota is not None else None
        attainment = chosen.attainment if chosen and chosen.attainment is not None else None
        values = self.bookings(
            monthly,
            full if full is not None else capacity.full_quota or ZERO,
            attainment if attainment is not None else capacity.attainment,
            start <= self.plan.calendar.start,
        )
        with localcontext(EXACT):
            return sum(values, ZERO)

    def figures(self, rep: Rep) -> _Figures:
        """A rep's figures that depend only on dates, ramp and profile: reps alike share."""
        on_board = rep.start is None or rep.start <= self.plan.calendar.start
        key = (*self.productivity.key(rep), rep.profile, on_board)
        found = self._figures.get(key)
        if found is None:
            calendar = self.plan.calendar
            with localcontext(EXACT):
                # quota capacity per month: bookings at attainment 1, without retention
                quota = self.bookings(
                    self.productivity.monthly(rep), self.full_quota(rep), ONE, False
                )
                expected = self.bookings(
                    self.productivity.monthly(rep),
                    self.full_quota(rep),
                    self.productivity.attainment(rep),
                    on_board,
                )
                found = self._figures[key] = _Figures(
                    calendar.per_period(expected),
                    exact_sum(calendar.per_period(quota)),
                    exact(self.productivity.year_fraction(rep) * MONTHS),
                    exact(self.productivity.months(rep)),
                )
        return found

    def kind(self, rep: Rep) -> _Kind:
        """The rep's quota capacity (full_quota x Σ productivity / 12) and share of the year."""
        key = (*self.productivity.key(rep), rep.profile)
        found = self._kinds.get(key)
        if found is None:
            months = exact(self.productivity.months(rep))
            found = self._kinds[key] = _Kind(
                EXACT.divide(EXACT.multiply(self.full_quota(rep), months), Decimal(MONTHS)),
                exact(self.productivity.year_fraction(rep)),
                self.productivity.full_quota(rep) is not None,
            )
        return found

    def groups(self) -> list[tuple[_Kind, list[str]]]:
        """The ids of the tree's reps by kind: the allocation's groups of reps alike by
        their own (start, end, ramp, profile) (`Productivity.kinds`, made once when the
        target is split), each with its `kind`: no key built or looked up per rep here."""
        reps = self.plan.reps_by_id
        return [(self.kind(reps[ids[0]]), ids) for ids in self.productivity.kinds.values()]

    def pro_rata_otes(self, groups: Sequence[tuple[_Kind, list[str]]]) -> list[Decimal]:
        """`ote(rep)[0]` of each rep with an OTE (reps grouped by kind as by `groups`), in
        no particular order (for a sum): the same exact product, made once per distinct
        (base, variable, share). Reps share their OTE objects (a table's distinct OTEs are
        made once: 3,422 among 10,000 reps), so a kind's reps are counted by OTE object in
        C and each distinct one looked at once (4,190 for 10,000 reps), not each rep. Reps
        without an OTE (zero) add nothing and are left out."""
        pays_of, found, reps = self._pay, [], self.plan.reps_by_id
        for kind, ids in groups:
            share = kind.share
            pays = list(map(_OTE, map(reps.__getitem__, ids)))
            objects = dict(zip(map(id, pays), pays))
            for key, count in Counter(map(id, pays)).items():
                pay = objects[key]
                if pay is None:
                    continue
                alike = (pay.base, pay.variable, share)
                done = pays_of.get(alike)
                if done is None:
                    done = pays_of[alike] = _pro_rata(pay, share)
                found += [done[0]] * count
        return found

    def alike(self, rep: Rep) -> tuple[_Kind, _Figures]:
        """The rep's kind and figures, which depend on their own (start, end, ramp,
        profile) only."""
        own = self.productivity.own(rep)
        found = self._alike.get(own)
        if found is None:
            found = self._alike[own] = (self.kind(rep), self.figures(rep))
        return found

    def ote(self, rep: Rep, kind: _Kind | None = None) -> tuple[Decimal, Decimal]:
        """(OTE, variable) x fraction of the year on board (`kind`: the rep's, if known),
        multiplied once per distinct (base, variable, share): a few thousand for 10,000 reps."""
        pay = rep.ote
        if pay is None:
            return ZERO, ZERO
        share = (kind or self.kind(rep)).share
        key = (pay.base, pay.variable, share)
        found = self._pay.get(key)
        if found is None:
            found = self._pay[key] = _pro_rata(pay, share)
        return found


def _pro_rata(pay: Ote, share: Decimal) -> tuple[Decimal, Decimal]:
    """(OTE, variable) x `share` of the year, exact."""
    return EXACT.multiply(pay.total, share), EXACT.multiply(pay.variable, share)


def plan_capacity(plan: Plan) -> _Capacity:
    found: _Capacity | None = plan.__dict__.get("_capacity")
    if found is None:
        found = plan.__dict__["_capacity"] = _Capacity(plan)
    return found


def _reps(plan: Plan) -> list[Rep]:
    """The reps of the tree in its order (by team, siblings by id), whatever the files' order;
    listed once per plan (reconcile asks for its cost of sales and its quota capacities)."""
    found: list[Rep] | None = plan.__dict__.get("_tree_reps")
    if found is None:
        reps = plan.reps_by_id
        found = [reps[node.id] for node in plan.tree.top_down() if node.is_rep]
        plan.__dict__["_tree_reps"] = found
    return found


def _groups(plan: Plan) -> list[tuple[_Kind, list[str]]]:
    """The tree's reps' ids by kind (`_Capacity.groups`), found once per plan (reconcile
    asks for the reps' quota capacities and their cost of sales)."""
    found: list[tuple[_Kind, list[str]]] | None = plan.__dict__.get("_rep_groups")
    if found is None:
        found = plan.__dict__["_rep_groups"] = plan_capacity(plan).groups()
    return found


def cost_of_sales(
    plan: Plan, ote: Sequence[Decimal] | None = None
) -> tuple[Decimal, Decimal | None]:
    """(OTE of the reps in the tree x their fraction of the year on board; that OTE over
    the target, None without a target), computed once per plan (`ote`: those OTEs, rep by
    rep, when the caller has them)."""
    known: tuple[Decimal, Decimal | None] | None = plan.__dict__.get("_cost_of_sales")
    if known is None:
        if ote is None:
            ote = plan_capacity(plan).pro_rata_otes(_groups(plan))
        total = exact_sum(ote)
        target = plan.settings.target
        known = (total, EXACT.divide(total, target) if target else None)
        plan.__dict__["_cost_of_sales"] = known
    return known


def pro_rata_ote(plan: Plan, rep: Rep) -> Decimal:
    """A rep's OTE for their time on board in the fiscal year."""
    return plan_capacity(plan).ote(rep)[0]


def over_budget(plan: Plan) -> bool:
    """Cost of sales above `budget.max_cost_of_sales`."""
    limit = plan.settings.budget.max_cost_of_sales
    ratio = cost_of_sales(plan)[1]
    return limit is not None and ratio is not None and ratio > limit


def quota_capacities(plan: Plan) -> dict[str, Decimal]:
    """The quota each rep can carry (none for a rep without a full quota): the measure of
    "over capacity". By id, the reps listed kind by kind (not in the tree's order)."""
    found: dict[str, Decimal] = {}
    for kind, ids in _groups(plan):
        if kind.has_full:  # handed to the kind's reps at once, in C
            found.update(dict.fromkeys(ids, kind.quota_capacity))
    return found


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
    ids = [r.id for r in reps]
    alike = [engine.alike(r) for r in reps]
    kinds = [kind for kind, _ in alike]
    figures = [figure for _, figure in alike]
    # in twelfths, like every figure of the engine
    bookings = carve_table([f.periods for f in figures], ids, plan.periods, quantum, MONTHS)
    total = bookings.exact_total
    total_quota, quota_capacity = carve([f.quota_capacity for f in figures], ids, quantum, MONTHS)
    pay = [engine.ote(r, k) for r, k in zip(reps, kinds)]  # (OTE, variable), exact
    exact_ote = [p[0] for p in pay]
    total_ote, ote = carve(exact_ote, ids, quantum)
    shown = zip(bookings.rows, bookings.cells, quota_capacity, ote)
    rows = [
        _rep_row(rep, kind, figure, quotas.get(rep.id), exact_pay, carved, quantum)
        for rep, kind, figure, exact_pay, carved in zip(reps, kinds, figures, pay, shown)
    ]
    target = _phased_target(plan, allocation)
    total_target = sum(target, ZERO)
    gap = EXACT.subtract(total_target * MONTHS, total)  # in twelfths
    start = hire_start or plan.calendar.start
    hire = engine.hire(start)
    cost = cost_of_sales(plan, exact_ote)
    return CapacityReport(
        plan.settings.currency,
        plan.periods,
        tuple(target),
        tuple(bookings.columns),
        total_target,
        bookings.total,
        total_target - bookings.total,
        EXACT.divide(total, total_target * MONTHS) if total_target else None,
        total_ote,
        cost[1],
        plan.settings.budget.max_cost_of_sales,
        start,
        _money(EXACT.divide(hire, MONTHS), quantum),
        _hires(gap, hire),
        tuple(rows),
        quota_source,
        total_quota,
        tuple(
            ProfileGap(name, _money(EXACT.divide(h, MONTHS), quantum), _hires(gap, h))
            for name in plan.settings.capacity.profiles
            for h in (engine.hire(start, name),)
        ),
    )


def _money(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, ROUND_HALF_EVEN)


def _hires(gap: Decimal, hire: Decimal) -> int | None:
    """The fewest hires adding `hire` each that close `gap`."""
    if gap <= 0:
        return 0
    if hire <= 0:
        return None
    count = int(EXACT.divide(gap, hire).to_integral_value(ROUND_CEILING))
    while count > 1 and EXACT.multiply(Decimal(count - 1), hire) >= gap:
        count -= 1
    return count


# A rep's figures as shown, carved from the totals: (bookings, bookings per period, quota
# capacity, OTE), a plain tuple (a NamedTuple per rep costs more than the rest of the row)
_Shown = tuple[Decimal, tuple[Decimal, ...], Decimal, Decimal]


def _rep_row(
    rep: Rep,
    kind: _Kind,
    figures: _Figures,
    quota: Decimal | None,
    pay: tuple[Decimal, Decimal],
    shown: _Shown,
    quantum: Decimal,
) -> RepCapacity:
    exact_ote, exact_variable = pay
    bookings, periods, quota_capacity, ote = shown
    return RepCapacity(
        rep.id,
        rep.parent,
        rep.status,
        rep.profile,
        figures.months_on_board,
        figures.productive_months,
        bookings,
        quota_capacity,
        periods,
        ote,
        exact_variable.quantize(quantum, ROUND_HALF_EVEN),
        quota,
        EXACT.divide(exact_variable, quota) if quota else None,
        EXACT.divide(quota, exact_ote) if quota is not None and exact_ote else None,
        kind.has_full and quota is not None and quota > kind.quota_capacity,
    )


def _phased_target(plan: Plan, allocation: Allocation | None) -> list[Decimal]:
    if allocation is None:
        from salesplan.allocate import allocate

        allocation = allocate(plan)
    periods = allocation.periods_of(plan.tree.root)
    if periods is None and allocation.nodes:  # a quotas.yaml naming another root
        periods = allocation.nodes[0].periods
    return list(periods or ())
