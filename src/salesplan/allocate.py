"""Top-down allocation (docs/design.md, "Top-down allocation"): split the target level by level, keep pins, phase.

`allocate(plan)` returns an `Allocation`: every node's total and periods in top-down order,
how each family was split (for `--explain`) and the problems met on the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple

from salesplan.adjustments import pin_where, plan_pins
from salesplan.diagnostics import Diagnostic, report
from salesplan.fiscal import ZERO
from salesplan.money import (
    Ranked,
    Weight,
    figure,
    ranked,
    scale_weights,
    split_in_order,
    split_ranked,
    to_units,
)
from salesplan.productivity import plan_productivity

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from salesplan.model import Level
    from salesplan.plan import Plan
    from salesplan.tree import Node

ONE = Decimal(1)


class NodeQuota(NamedTuple):
    id: str
    level: str
    parent: str | None
    total: Decimal
    periods: tuple[Decimal, ...]
    pinned: bool = False


class FamilySplit(NamedTuple):
    """How one parent's pool was shared among its children, for `--explain`. A NamedTuple:
    made for each of the 1,011 families of a 10k plan, where a frozen dataclass sets its
    eleven fields one `object.__setattr__` at a time (3.7 -> 0.7 ms)."""

    parent: str
    parent_total: Decimal
    over_assign: Decimal
    raw_pool: Decimal  # parent_total x (1 + over_assign), before rounding
    pool: Decimal  # rounded to the unit
    rule: str
    pins: dict[str, Decimal]
    rest: Decimal  # pool - pins, shared by weight
    weights: dict[str, Weight]  # as split: with even_fallback, even among those on board
    even_fallback: bool
    shares: dict[str, Decimal]  # the rounded result per unpinned child

    def weight_share(self, child: str) -> Fraction:
        total = sum((Fraction(w) for w in self.weights.values()), Fraction(0))
        if total == 0:
            return Fraction(1, len(self.weights))
        return Fraction(self.weights[child]) / total

    def exact(self, child: str) -> Fraction:
        return Fraction(self.rest) * self.weight_share(child)


class Allocation:
    """Every node's total and periods in top-down order (`nodes`), how each family was split
    (for `--explain`) and the problems met on the way.

    Made by the allocator, it phases a node's periods only when they are asked for: `totals`
    and `periods_of` serve one node at a time (reconcile and capacity need few periods),
    `nodes` phases them all."""

    def __init__(
        self,
        currency: str,
        periods: tuple[str, ...],
        unit: Decimal,
        nodes: list[NodeQuota] | None = None,
        families: dict[str, FamilySplit] | None = None,
        diagnostics: list[Diagnostic] | None = None,
        allocator: _Allocator | None = None,
    ) -> None:
        self.currency = currency
        self.periods = periods
        self.unit = unit
        self.families = families if families is not None else {}
        self.diagnostics = diagnostics if diagnostics is not None else []
        self._allocator = allocator
        if nodes is not None or allocator is None:
            self.__dict__["nodes"] = nodes if nodes is not None else []

    @cached_property
    def nodes(self) -> list[NodeQuota]:
        assert self._allocator is not None
        return self._allocator.phased_nodes()

    @property
    def computed(self) -> bool:
        """Phased by the allocator: every node's periods sum exactly to its total."""
        return self._allocator is not None

    def by_id(self) -> dict[str, NodeQuota]:
        return {n.id: n for n in self.nodes}

    def to_frame(self) -> pd.DataFrame:
        """One row per node as a pandas DataFrame (exact Decimals; one column per period)."""
        from salesplan.frames import rows_frame

        return rows_frame(self.nodes, self.periods)

    def totals(self) -> dict[str, Decimal]:
        """Every node's total quota, by id (without phasing anything)."""
        if self._allocator is not None:
            return self._allocator.totals
        return {n.id: n.total for n in self.nodes}

    def total_units(self) -> dict[str, int | Fraction] | None:
        """Every node's total quota in rounding units, by id, as the allocator counted it
        when splitting (an int; a pin that is no whole number of units as its exact
        Fraction of them); None for quotas not computed by the allocator. Reconcile works
        in units: it takes them as they are, rather than dividing every total back."""
        allocator = self._allocator
        if allocator is None:
            return None
        _ = allocator.totals  # the split, which counts the units
        units: dict[str, int | Fraction] = dict(allocator.units)  # type: ignore[arg-type]
        unit = self.unit
        for node_id, pin in allocator.pins.items():
            if isinstance(units.get(node_id), Decimal):  # a pin in force: an amount
                count, left = divmod(pin, unit)
                units[node_id] = Fraction(pin) / Fraction(unit) if left else int(count)
        return units

    def periods_of(self, node_id: str) -> tuple[Decimal, ...] | None:
        """One node's quota per period; None for a node the allocation does not hold."""
        allocator = self._allocator
        if allocator is not None and "nodes" not in self.__dict__:
            total = allocator.totals.get(node_id)
            tree = allocator.tree
            return None if total is None else allocator.phase(tree[node_id], total)
        quota = self._index.get(node_id)
        return None if quota is None else quota.periods

    @cached_property
    def _index(self) -> dict[str, NodeQuota]:
        return self.by_id()


def rule_text(rule: object) -> str:
    if isinstance(rule, dict):
        return "blend " + ", ".join(f"{m} {w}" for m, w in rule.items())
    return str(rule)


_WHOLE, _NOTHING = Fraction(1), Fraction(0)  # a unit's time on board: made once, not per unit


class _Amounts(dict[int, Decimal]):
    """Whole units as money, each distinct count made once (1,190 among the 26,640 periods
    phased for the 10k plan's proposal, 1,712 among its 11,011 top-down totals): nodes
    share their Decimals, and a Decimal works its hash out once, which reconcile and the
    views that look amounts up pay per object."""

    def __init__(self, unit: Decimal) -> None:
        super().__init__()
        self.unit = unit

    def __missing__(self, units: int) -> Decimal:
        amount = self[units] = units * self.unit
        return amount


class _Allocator:
    def __init__(self, plan: Plan, pins: dict[str, Decimal] | None = None) -> None:
        self.plan = plan
        self.tree = plan.tree
        self.unit = plan.unit
        self.levels: dict[str, Level] = {lv.name: lv for lv in plan.settings.levels}
        self.productivity = plan_productivity(plan)
        self.metrics = plan.split_metrics  # the children of a split by a metric are there
        self.pins = plan_pins(plan) if pins is None else pins
        self.diagnostics: list[Diagnostic] = []
        self.families: dict[str, FamilySplit] = {}
        self.seasonality = self._seasonality()
        self._ranked: dict[tuple[object, ...], Ranked] = {}
        # a phasing key -> whole units -> periods (nodes alike, same weights and same total,
        # share one split)
        self._phased_units: dict[tuple[object, ...], dict[int, tuple[Decimal, ...]]] = {(): {}}
        self._amounts = _Amounts(self.unit)
        # every node's total as split, in whole units (a pin as its own Decimal): what
        # `phased_nodes` phases by, without turning each total back into units
        self.units: dict[str, int | Decimal] = {}

    def _seasonality(self) -> list[Decimal]:
        weights = self.plan.settings.seasonality
        count = len(self.plan.periods)
        if weights is None or len(weights) != count or not any(w > 0 for w in weights):
            return [ONE] * count
        return [max(w, ZERO) for w in weights]

    def split_all(self) -> dict[str, Decimal]:
        """Every node's total, splitting each family from the root down."""
        target = to_units(self.plan.settings.target, self.unit)
        totals: dict[str, Decimal] = {self.tree.root: self._amounts[target]}
        self.units[self.tree.root] = target
        pins, on_board, nodes = self.pins, self.productivity.node_on_board, self.tree.nodes
        # the units only, top-down: a team's reps are listed right after it (they have no
        # children), so a rep's SP422 comes right after its team's split, as in a walk of
        # every node
        for node in self.tree.units:
            children = node.children
            if not children:
                continue
            totals.update(self.split_family(node, totals[node.id]))
            if nodes[children[0]].is_rep and not all(map(on_board.__getitem__, children)):
                for child in children:
                    if not on_board[child] and child not in pins:
                        self._report_not_on_board(child)
        return totals

    @cached_property
    def totals(self) -> dict[str, Decimal]:
        return self.split_all()

    def run(self) -> Allocation:
        """The allocation, its periods phased when first asked for."""
        _ = self.totals
        return Allocation(
            self.plan.settings.currency,
            self.plan.periods,
            self.unit,
            families=self.families,
            diagnostics=self.diagnostics,
            allocator=self,
        )

    def phased_nodes(self) -> list[NodeQuota]:
        """Every node, top-down, with its periods: phased in one walk from the totals in
        units (`phase_all_units`), a pin that is no whole number of units by `phase`."""
        totals, pins, phase = self.totals, self.pins, self.phase
        phased = self.phase_all_units(self.units)
        new = tuple.__new__  # a NamedTuple from a tuple, as its own `_make` does
        return [
            new(
                NodeQuota,
                (
                    n.id,
                    n.level,
                    n.parent,
                    totals[n.id],
                    phased.get(n.id) or phase(n, totals[n.id]),
                    n.id in pins,
                ),
            )
            for n in self.tree.top_down()
        ]

    def split_family(self, parent: Node, parent_total: Decimal) -> dict[str, Decimal]:
        """One family's split. Most families hold no pin: their rest is the pool itself,
        in the units already counted, and the pins are not checked one by one."""
        level = self.levels[self.tree[parent.children[0]].level]
        raw_pool = parent_total * (ONE + level.over_assign)
        pool_units = to_units(raw_pool, self.unit)
        pool = pool_units * self.unit
        children, all_pins = parent.children, self.pins
        if all_pins and not all_pins.keys().isdisjoint(children):
            pins = {c: all_pins[c] for c in children if c in all_pins}
            free = [c for c in children if c not in pins]
            rest = pool - sum(pins.values(), ZERO)
            self._check_pins(parent, pins, free, pool, rest)
            rest_units = to_units(rest, self.unit)
        else:
            pins, free = {}, list(children)
            rest, rest_units = pool - ZERO, pool_units  # as with pins: sum((), ZERO) is ZERO
        weights = self.weights(level, free)
        even = bool(free) and not any(w > 0 for w in weights.values())
        if free and rest > 0 and not any(map(self.productivity.node_on_board.__getitem__, free)):
            self._report_nobody_on_board(parent, rest)
        elif even and rest > 0:
            self._report_zero_weights(parent, level)
        if even:
            weights = self.fallback(free)
        # a family's children are listed by id (`build_tree`): the smaller key comes first
        units = split_in_order(max(rest_units, 0), list(weights.values()))
        shares = dict(zip(free, map(self._amounts.__getitem__, units)))
        self.units.update(zip(free, units))
        self.families[parent.id] = FamilySplit(
            parent.id,
            parent_total,
            level.over_assign,
            raw_pool,
            pool,
            rule_text(level.split),
            pins,
            rest,
            weights,
            even,
            shares,
        )
        if pins:
            self.units.update(pins)
            return {**shares, **pins}
        return shares

    def on_board(self, child: str) -> Fraction:
        """A rep's fraction of the year on board; 1 for a unit with a rep on board, else 0."""
        node = self.tree[child]
        if node.is_rep:
            return self.productivity.year_fraction(self.plan.reps_by_id[child])
        return _WHOLE if self.productivity.node_on_board[child] else _NOTHING

    def fallback(self, children: list[str]) -> dict[str, Weight]:
        """All-zero weights: even among the children on board (reps pro rata), else even."""
        weights = {c: self.on_board(c) for c in children}
        if any(weights.values()):
            return dict(weights)
        return dict.fromkeys(children, 1)

    def weights(self, level: Level, children: list[str]) -> dict[str, Weight]:
        """The split weights of unpinned siblings (docs/design.md, "Top-down allocation"): by the level's rule, then
        reps prorated by their fraction of the year on board and units with nobody on
        board at 0 (a capacity split counts time on board already)."""
        rule = level.split
        if rule == "capacity":
            capacity = self.productivity.node_capacity
            for child in children:
                if capacity[child] == 0 and self.tree[child].is_rep and self.on_board(child):
                    self._report_zero_capacity(child)
            return {c: capacity[c] for c in children}
        base: dict[str, Weight]
        if rule == "even":
            base = dict.fromkeys(children, 1)
        elif isinstance(rule, str):
            base = {c: max(self.metrics[c].get(rule, ZERO), ZERO) for c in children}
        else:
            base = self._blend(rule, children)
        weights: dict[str, Weight] = {}
        for child in children:
            share = self.on_board(child)
            weights[child] = base[child] if share == 1 else Fraction(base[child]) * share
        return weights

    def _blend(self, rule: dict[str, Decimal], children: list[str]) -> dict[str, Weight]:
        """Each child's sum over the metrics of beta / beta total x its share of the metric,
        exact: the terms are added as whole numbers over one common denominator, one
        Fraction per child (adding Fractions child by child is slow)."""
        beta_total = sum(rule.values(), ZERO)
        terms: list[tuple[Fraction, list[int]]] = []  # per metric: factor, values scaled
        for metric, beta in rule.items():
            values = [max(self.metrics[c].get(metric, ZERO), ZERO) for c in children]
            metric_total = sum(values, ZERO)
            if metric_total == 0 or beta_total == 0:
                continue
            ratios = [v.as_integer_ratio() for v in values]
            scale = math.lcm(*(d for _, d in ratios))
            factor = Fraction(beta) / Fraction(beta_total) / Fraction(metric_total) / scale
            terms.append((factor, [n * (scale // d) for n, d in ratios]))
        denominator = math.lcm(*(factor.denominator for factor, _ in terms))
        numerators = [0] * len(children)
        for factor, scaled in terms:
            times = factor.numerator * (denominator // factor.denominator)
            numerators = [total + times * n for total, n in zip(numerators, scaled)]
        return {c: Fraction(n, denominator) for c, n in zip(children, numerators)}

    def phase(self, node: Node, total: Decimal) -> tuple[Decimal, ...]:
        """The total over the periods; nodes alike (same weights, same total) share one split,
        the one `phase_all_units` finds."""
        key = self._phasing_key(node)
        splits = self._phased_units.setdefault(key, {})
        units = to_units(total, self.unit)
        done = splits.get(units)
        if done is None:
            done = splits[units] = self._split(node, key, units)
        return done

    def phase_all_units(self, units: Mapping[str, object]) -> dict[str, tuple[Decimal, ...]]:
        """`phase` of every node whose total in `units` (whole units: reconcile's) is a
        whole number: the same periods, found by the count itself (no Decimal turned into
        units again, none hashed) in one walk, not a call or two per node. Reps are taken
        kind by kind (`Productivity.kinds`): a kind's phasing key and splits are found
        once, then each rep's by its count (an int, hashed for free)."""
        tree, productivity, reps = self.tree, self.productivity, self.plan.reps_by_id
        found: dict[str, tuple[Decimal, ...]] = {}
        splits = self._phased_units[()]  # units: phased by seasonality alone
        for node in tree.units:
            count = units[node.id]
            if isinstance(count, int):
                done = splits.get(count)
                if done is None:
                    done = splits[count] = self._split(node, (), count)
                found[node.id] = done
        for ids in productivity.kinds.values():
            key = productivity.key(reps[ids[0]])
            splits = self._phased_units.setdefault(key, {})
            for rep_id in ids:
                count = units[rep_id]
                if isinstance(count, int):
                    done = splits.get(count)
                    if done is None:
                        done = splits[count] = self._split(tree[rep_id], key, count)
                    found[rep_id] = done
        return found

    def _split(self, node: Node, key: tuple[object, ...], units: int) -> tuple[Decimal, ...]:
        weights = self._ranked.get(key)
        if weights is None:
            weights = self._ranked[key] = ranked(self.period_weights(node), self.plan.periods)
        return tuple(map(self._amounts.__getitem__, split_ranked(units, weights)))

    @cached_property
    def exact_seasonality(self) -> list[Fraction]:
        """The seasonality weights as whole numbers (one common factor), for fast products."""
        return scale_weights(self.seasonality)  # type: ignore[return-value]

    def _phasing_key(self, node: Node) -> tuple[object, ...]:
        if not node.is_rep:
            return ()
        return self.productivity.key(self.plan.reps_by_id[node.id])

    def period_weights(self, node: Node) -> list[Weight]:
        """Seasonality, times a rep's productivity per period. A rep with no productive
        period (on board only during a 0% ramp month) is phased by seasonality x time on
        board, then by time on board alone, so nothing lands outside their employment."""
        if not node.is_rep:
            return list(self.seasonality)
        rep = self.plan.reps_by_id[node.id]
        seasonality = self.exact_seasonality
        on_board = self.productivity.on_board_periods(rep)
        for factors in (self.productivity.per_period(rep), on_board):
            weights = [s * f for s, f in zip(seasonality, factors)]
            if any(weights):
                return list(weights)
        if any(on_board):
            return list(on_board)
        return list(self.seasonality)  # never on board: only a 0 (or an erroneous pin)

    # ---- problems met while allocating

    def _check_pins(
        self, parent: Node, pins: dict[str, Decimal], free: list[str], pool: Decimal, rest: Decimal
    ) -> None:
        plan = self.plan
        for child, pin in pins.items():
            if pin % self.unit:
                message = (
                    f"pin {pin} of {child!r} is not a multiple of the rounding unit {self.unit}"
                )
                self.diagnostics.append(report("SP419", message, pin_where(plan, child), child))
            if pin and self.tree[child].is_rep and not self.on_board(child):
                message = (
                    f"rep {child!r} is pinned at {pin} but has no day on board in the fiscal "
                    "year; a pin is the quota for the rep's time on board: remove it"
                )
                self.diagnostics.append(report("SP421", message, pin_where(plan, child), child))
        if not pins:
            return
        first = min(pins, key=lambda c: (pin_where(plan, c).line, c))
        where = pin_where(plan, first)
        pinned = sum(pins.values(), ZERO)
        e = plan.currency_exponent
        if rest < 0:
            message = (
                f"pins under {parent.id!r} ({', '.join(pins)}) take {figure(pinned, e)}, more "
                f"than the pool of {figure(pool, e)} they are taken from; lower the pins or "
                "raise the target"
            )
            self.diagnostics.append(report("SP413", message, where, first))
        elif not free and rest != 0:
            message = (
                f"every child of {parent.id!r} is pinned and the pins sum to "
                f"{figure(pinned, e)}, but the pool is {figure(pool, e)}; unpin one child or "
                "make the pins add up"
            )
            self.diagnostics.append(report("SP413", message, where, first))

    def _report_nobody_on_board(self, parent: Node, rest: Decimal) -> None:
        message = (
            f"{figure(rest, self.plan.currency_exponent)} of the pool under {parent.id!r} is "
            "left after pins, but no unpinned child "
            "has a day on board in the fiscal year to carry it; add a rep, unpin one, or "
            "correct the start/end dates"
        )
        self.diagnostics.append(
            report("SP413", message, self.plan.at_node(parent.id, "id"), parent.id)
        )

    def _report_zero_weights(self, parent: Node, level: Level) -> None:
        message = (
            f"the {level.name} split ({rule_text(level.split)}) gives every child of "
            f"{parent.id!r} a zero weight; they are split evenly"
        )
        self.diagnostics.append(
            report("SP414", message, self.plan.at_node(parent.id, "id"), parent.id)
        )

    def _report_not_on_board(self, rep_id: str) -> None:
        rep = self.plan.reps_by_id[rep_id]
        if rep.start is not None and rep.end is not None and rep.end < rep.start:
            return  # leaving before starting is SP501
        calendar = self.plan.calendar
        if rep.start is not None and rep.start >= calendar.end:
            when = f"starts on {rep.start}, after the fiscal year"
        elif rep.end is not None and rep.end < calendar.start:
            when = f"left on {rep.end}, before the fiscal year"
        else:
            when = "is not employed in it"
        message = (
            f"rep {rep_id!r} has no day on board in the fiscal year ({when}); their quota is 0"
        )
        self.diagnostics.append(report("SP422", message, self.plan.at_rep(rep_id, "id"), rep_id))

    def _report_zero_capacity(self, rep_id: str) -> None:
        message = f"rep {rep_id!r} has no productive month in the fiscal year, so a capacity split gives them nothing"
        self.diagnostics.append(report("SP417", message, self.plan.at_rep(rep_id, "id"), rep_id))


def allocate(plan: Plan, pins: dict[str, Decimal] | None = None) -> Allocation:
    """The top-down split of the plan's target over its tree; `pins` replaces the plan's
    pins (org.yaml and adjustments.yaml), to try out pins before they are written."""
    return _Allocator(plan, pins).run()


def plan_allocator(plan: Plan) -> _Allocator:
    """The plan's allocator, made once: `check` splits, a command then phases the same splits."""
    allocator = plan.__dict__.get("_allocator")
    if allocator is None:
        allocator = plan.__dict__["_allocator"] = _Allocator(plan)
    return allocator


def allocation_problems(plan: Plan) -> list[Diagnostic]:
    """What splitting the target meets (pins above a pool, all-zero weights, reps without
    capacity) without the phasing, for `check`."""
    allocator = plan_allocator(plan)
    _ = allocator.totals
    return allocator.diagnostics


@dataclass(frozen=True)
class Step:
    """One family on the way from the root to a node: how the node's share was decided."""

    family: FamilySplit
    child: str
    level: str
    pinned: bool
    weight: Weight | None
    share: Fraction | None  # of the rest, after pins
    exact: Fraction | None  # rest x share, before rounding
    result: Decimal


@dataclass(frozen=True)
class Explanation:
    """`allocate --explain`: a node's quota, each split from the root down to it, and the
    weights its quota was phased by."""

    node: NodeQuota
    steps: tuple[Step, ...]
    period_weights: tuple[Decimal, ...]


def explain(plan: Plan, allocation: Allocation, node_id: str) -> Explanation:
    """Why `node_id` carries its quota: every split from the root down, then its phasing."""
    tree = plan.tree
    nodes = allocation.by_id()
    steps: list[Step] = []
    chain = tree.chain(node_id)
    for parent_id, child in pairwise(chain):
        family = allocation.families[parent_id]
        pinned = child in family.pins
        steps.append(
            Step(
                family,
                child,
                tree[child].level,
                pinned,
                None if pinned else family.weights[child],
                None if pinned else family.weight_share(child),
                None if pinned else family.exact(child),
                nodes[child].total,
            )
        )
    weights = [Fraction(w) for w in plan_allocator(plan).period_weights(tree[node_id])]
    shown = tuple(Decimal(w.numerator) / Decimal(w.denominator) for w in weights)
    return Explanation(nodes[node_id], tuple(steps), shown)


def effective_over_assignment(
    plan: Plan, allocation: Allocation
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Per level: (name, nominal over_assign, sum of the level's quotas, sum / target − 1)."""
    sums: dict[str, Decimal] = {}
    for node in allocation.nodes:
        sums[node.level] = sums.get(node.level, ZERO) + node.total
    target = allocation.nodes[0].total if allocation.nodes else ZERO
    rows = []
    for level in plan.settings.levels:
        total = sums.get(level.name, ZERO)
        rows.append(
            (level.name, level.over_assign, total, (total / target - ONE) if target else ZERO)
        )
    return rows
