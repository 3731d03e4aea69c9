"""Each rep's productivity per fiscal month, from start/end dates and ramp (DESIGN §4.4)."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from salesplan.fiscal import ZERO, productivity

if TYPE_CHECKING:
    from salesplan.model import Rep
    from salesplan.plan import Plan


class Productivity:
    """Productivity of every rep of a plan, computed once per distinct (start, end, ramp)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._cache: dict[tuple[object, ...], list[Decimal]] = {}
        self._months: dict[tuple[object, ...], Decimal] = {}

    def ramp_of(self, rep: Rep) -> list[Decimal]:
        capacity = self.plan.settings.capacity
        name = rep.ramp or capacity.default_ramp
        return list(capacity.ramp.get(name, ())) if name else []

    def monthly(self, rep: Rep) -> list[Decimal]:
        key = (*self.plan.calendar.tenure_key(rep.start, rep.end), rep.ramp)
        values = self._cache.get(key)
        if values is None:
            values = productivity(self.plan.calendar, rep.start, rep.end, self.ramp_of(rep))
            self._cache[key] = values
        return values

    def per_period(self, rep: Rep) -> list[Decimal]:
        key = ("period", *self.plan.calendar.tenure_key(rep.start, rep.end), rep.ramp)
        values = self._cache.get(key)
        if values is None:
            values = self.plan.calendar.per_period(self.monthly(rep))
            self._cache[key] = values
        return values

    def months(self, rep: Rep) -> Decimal:
        """Ramp-adjusted productive months in the fiscal year: the `capacity` split weight."""
        key = ("months", *self.plan.calendar.tenure_key(rep.start, rep.end), rep.ramp)
        value = self._months.get(key)
        if value is None:
            value = self._months[key] = sum(self.monthly(rep), ZERO)
        return value

    @cached_property
    def node_months(self) -> dict[str, Decimal]:
        """Productive months of every tree node: a unit's is the sum of its reps'."""
        tree = self.plan.tree
        reps = self.plan.reps_by_id
        months: dict[str, Decimal] = {}
        for node in tree.bottom_up():
            if node.is_rep:
                months[node.id] = self.months(reps[node.id])
            else:
                months[node.id] = sum((months[c] for c in node.children), ZERO)
        return months


def plan_productivity(plan: Plan) -> Productivity:
    """The plan's one Productivity, shared by the allocation, capacity and reconcile."""
    found: Productivity | None = plan.__dict__.get("_productivity")
    if found is None:
        found = plan.__dict__["_productivity"] = Productivity(plan)
    return found
