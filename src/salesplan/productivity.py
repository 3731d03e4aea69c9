"""Each rep's time on board and productivity per fiscal month (docs/design.md, "Top-down allocation"), from
start/end dates, ramp and profile; computed once per distinct (start, end, ramp), where a
start that makes no difference within the fiscal year counts as no start at all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from salesplan.fiscal import exact_sum, fraction_of_year, productivity

if TYPE_CHECKING:
    from salesplan.model import CapacityProfile, Rep
    from salesplan.plan import Plan


class Productivity:
    """Time on board and productivity of every rep of a plan, computed once per distinct
    (start, end, ramp)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._cache: dict[tuple[object, ...], list[Fraction]] = {}
        self._sums: dict[tuple[object, ...], Fraction] = {}
        self._starts: dict[tuple[date, str | None], date | None] = {}
        # by a rep's own (start, end, ramp, profile), a start before `early` as None
        self._keys: dict[tuple[object, ...], tuple[object, ...]] = {}
        self._years: dict[tuple[date | None, date | None], Fraction] = {}
        # A start before `early` counts as no start, whatever the ramp (see `_start`): on
        # board from the year's first day and past the longest ramp by then. Reps' own
        # (start, end, ...) are looked up with such a start as None: a few hundred
        # distinct in an org, not one per start date.
        longest = max(map(len, plan.settings.capacity.ramp.values()), default=0)
        back = max(longest, 1) - 1  # months before the year's first
        first = plan.calendar.start
        before = (first.year - 1) * 12 + first.month - 1  # months from year 1 to `first`
        self.early = plan.calendar.month_start(-back) if back <= before else date.min

    def own(self, rep: Rep) -> tuple[date | None, date | None, str | None, str | None]:
        """The rep's own (start, end, ramp, profile), a start before `early` as None: what
        their time on board and productivity depend on, alike for most of an org."""
        start = rep.start
        return (
            None if start is None or start < self.early else start,
            rep.end,
            rep.ramp,
            rep.profile,
        )

    def profile_of(self, rep: Rep) -> CapacityProfile | None:
        """The rep's capacity profile (`profile:`), None without one or for an unknown name."""
        name = rep.profile
        return self.plan.settings.capacity.profiles.get(name) if name else None

    def ramp_name(self, rep: Rep) -> str | None:
        """The rep's own `ramp:`, else their profile's, else `default_ramp`."""
        if rep.ramp:
            return rep.ramp
        profile = self.profile_of(rep)
        if profile is not None and profile.ramp:
            return profile.ramp
        return self.plan.settings.capacity.default_ramp

    def ramp_of(self, rep: Rep) -> list[Decimal]:
        name = self.ramp_name(rep)
        return list(self.plan.settings.capacity.ramp.get(name, ())) if name else []

    def key(self, rep: Rep) -> tuple[object, ...]:
        """What a rep's productivity depends on: reps alike share one computation. Reps
        who started before the fiscal year and finished their ramp before it are alike
        whatever their start date (most of an org: a few hundred computations, not one
        per distinct start date)."""
        own = self.own(rep)
        found = self._keys.get(own)
        if found is None:
            name = self.ramp_name(rep)
            found = self._keys[own] = (self._start(rep.start, name), rep.end, name)
        return found

    def _start(self, start: date | None, ramp: str | None) -> date | None:
        """`start` as far as the fiscal year can tell: None when the rep is on board from
        before the year's first month and past their ramp by then (`ramp` None: time on
        board only)."""
        if start is None:
            return None
        key = (start, ramp)
        if key not in self._starts:
            month = self.plan.calendar.month_index(start)
            length = len(self.plan.settings.capacity.ramp.get(ramp, ())) if ramp else 0
            self._starts[key] = None if month < 0 and month + length <= 0 else start
        return self._starts[key]

    def on_board(self, rep: Rep) -> list[Fraction]:
        """Time on board per fiscal month (docs/design.md, "Top-down allocation")."""
        start = self._start(rep.start, None)
        key = ("on board", start, rep.end)
        values = self._cache.get(key)
        if values is None:
            values = self._cache[key] = self.plan.calendar.on_board(start, rep.end)
        return values

    def on_board_periods(self, rep: Rep) -> list[Fraction]:
        key = ("on board per period", self._start(rep.start, None), rep.end)
        values = self._cache.get(key)
        if values is None:
            values = self._cache[key] = self.plan.calendar.per_period(self.on_board(rep))
        return values

    def year_fraction(self, rep: Rep) -> Fraction:
        """The rep's fraction of the fiscal year on board: 6/12 for a mid-year start."""
        dates = self.own(rep)[:2]
        value = self._years.get(dates)
        if value is None:
            value = self._years[dates] = fraction_of_year(self.on_board(rep))
        return value

    def monthly(self, rep: Rep) -> list[Fraction]:
        """Productivity per fiscal month: ramp x time on board."""
        key = self.key(rep)
        values = self._cache.get(key)
        if values is None:
            start = self._start(rep.start, self.ramp_name(rep))
            values = productivity(self.plan.calendar, start, rep.end, self.ramp_of(rep))
            self._cache[key] = values
        return values

    def per_period(self, rep: Rep) -> list[Fraction]:
        key = ("period", *self.key(rep))
        values = self._cache.get(key)
        if values is None:
            values = self._cache[key] = self.plan.calendar.per_period(self.monthly(rep))
        return values

    def months(self, rep: Rep) -> Fraction:
        """Ramp-adjusted productive months in the fiscal year: the `capacity` split weight
        when every rep has the same full quota (see `capacity.quota_capacities`)."""
        key = ("months", *self.key(rep))
        value = self._sums.get(key)
        if value is None:
            value = self._sums[key] = exact_sum(self.monthly(rep))
        return value

    def full_quota(self, rep: Rep) -> Decimal | None:
        """The annual quota of one fully ramped rep like this one (profile, else capacity)."""
        profile = self.profile_of(rep)
        if profile is not None and profile.full_quota is not None:
            return profile.full_quota
        return self.plan.settings.capacity.full_quota

    def attainment(self, rep: Rep) -> Decimal:
        profile = self.profile_of(rep)
        if profile is not None and profile.attainment is not None:
            return profile.attainment
        return self.plan.settings.capacity.attainment

    @cached_property
    def kinds(self) -> dict[tuple[object, ...], list[str]]:
        """The tree's reps by their own (start, end, ramp, profile) (`own`), each list in
        top-down order: about 330 kinds for 10,000 reps. Time on board, capacity and
        phasing are worked out once per kind and handed to the kind's reps at once
        (`dict.fromkeys`, in C), so only this walk builds and hashes a key per rep."""
        tree = self.plan.tree
        reps, early = self.plan.reps_by_id, self.early
        kinds: dict[tuple[object, ...], list[str]] = {}
        for team in tree.teams:
            for rep_id in team:
                rep = reps[rep_id]
                start = rep.start  # `own(rep)`, inline: a call per rep costs a few ms here
                own = (start if start and start >= early else None, rep.end, rep.ramp, rep.profile)
                alike = kinds.get(own)
                if alike is None:
                    kinds[own] = [rep_id]
                else:
                    alike.append(rep_id)
        return kinds

    @cached_property
    def node_capacity(self) -> dict[str, Fraction]:
        """The `capacity` split weight of every tree node: a rep's quota capacity in the
        fiscal year (full quota x productive months; productive months alone where no full
        quota is set, every rep then alike), a unit's the sum of its reps'. Computed once per
        kind of rep (`kinds`)."""
        reps = self.plan.reps_by_id
        profiles = self.plan.settings.capacity.profiles
        weights: dict[str, Fraction] = {}
        for ids in self.kinds.values():
            rep = reps[ids[0]]
            months = self.months(rep)
            full = self.full_quota(rep) if profiles else None
            weights.update(dict.fromkeys(ids, months * Fraction(full) if full else months))
        for node in reversed(self.plan.tree.units):
            # a unit's weight: always a Fraction, its reps' summed over one denominator
            weights[node.id] = Fraction(exact_sum([weights[c] for c in node.children]))
        return weights

    @cached_property
    def node_on_board(self) -> dict[str, bool]:
        """Whether a node can carry quota: a rep with a day on board in the fiscal year, a
        unit with such a rep under it (or with no rep at all yet, as before any hiring).
        Decided once per kind of rep (`kinds`)."""
        tree = self.plan.tree
        nodes, reps = tree.nodes, self.plan.reps_by_id
        found: dict[str, bool] = {}
        for ids in self.kinds.values():
            found.update(dict.fromkeys(ids, self.year_fraction(reps[ids[0]]) > 0))
        staffed: dict[str, bool] = {}  # a unit with a rep under it
        for node in reversed(tree.units):
            children = node.children  # any(map(...)): no generator frame per unit
            if children and nodes[children[0]].is_rep:
                staffed[node.id] = True
                found[node.id] = any(map(found.__getitem__, children))
            else:
                staffed[node.id] = any(map(staffed.__getitem__, children))
                found[node.id] = any(map(found.__getitem__, children)) or not staffed[node.id]
        return found


def plan_productivity(plan: Plan) -> Productivity:
    """The plan's one Productivity, shared by the allocation, capacity and reconcile."""
    found: Productivity | None = plan.__dict__.get("_productivity")
    if found is None:
        found = plan.__dict__["_productivity"] = Productivity(plan)
    return found
