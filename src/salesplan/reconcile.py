"""Hybrid reconcile (DESIGN §4.3): move the top-down split toward the bottom-up signal.

From the root down, each parent's pool (its proposed total x (1 + the child level's
over_assign), rounded to the unit; the root's total as allocated) is shared among its
children. Pins keep their pin. The other children first get their top-down share rescaled to
what is left of the pool (their *baseline*); those with nobody submitting under them keep it.
Those with submissions follow their bottom-up shares, each clamped to its guardrail
baseline x (1 ± max_shift), water-filled so the pool is met exactly, then rounded to the unit by
largest remainder. A family whose guardrails cannot meet the pool is relaxed: its amounts are
scaled proportionally to the pool and the family is reported.

Shares are Decimal at 40 significant digits until the one rounding step (largest remainder
over the family's pool in whole units), so every family sums to its pool exactly, to the unit,
and no money is created or lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import TYPE_CHECKING, NamedTuple

from salesplan.allocate import Allocation, NodeQuota
from salesplan.capacity import over_budget, quota_capacities
from salesplan.diagnostics import report
from salesplan.fiscal import ZERO
from salesplan.money import Weight, split_units, to_units
from salesplan.rollup import forecast_tree

if TYPE_CHECKING:
    import pandas as pd

    from salesplan.diagnostics import Diagnostic
    from salesplan.model import Level
    from salesplan.plan import Plan
    from salesplan.tree import Node

ONE = Decimal(1)
PRECISION = Context(prec=40)  # for shares: amounts up to 10^15 keep 25 decimals
TOLERANCE_DIGITS = 30  # a water level meeting the pool to 30 digits meets it


class ReconcileNode(NamedTuple):
    id: str
    level: str
    parent: str | None
    total: Decimal  # the proposal
    periods: tuple[Decimal, ...]
    pinned: bool
    top_down: Decimal  # the node's total in the top-down allocation
    bottom_up: Decimal | None  # forecast under the node; None when nobody under it submitted
    shift: Decimal | None  # total / top_down - 1; None when top_down is 0
    clamped: bool  # held at a guardrail bound by the water-filling
    # bottom_up below top_down x (1 - max_shift); a unit only once every rep expected to
    # submit under it has (a missing submission is not sandbagging)
    sandbagging: bool
    # a rep whose proposal is above the quota they can carry (full_quota x productive
    # months / 12, capacity_report's quota_capacity); never set without a full_quota
    over_capacity: bool
    # the guardrail, to the currency's minor unit (pins and the root: their total):
    baseline: Decimal  # top_down rescaled to the family's proposed pool: the centre
    low: Decimal  # baseline x (1 - max_shift), at least 0
    high: Decimal  # baseline x (1 + max_shift)


@dataclass(frozen=True)
class Reconciliation:
    currency: str
    periods: tuple[str, ...]
    unit: Decimal
    max_shift: Decimal
    nodes: tuple[ReconcileNode, ...]  # top-down order
    relaxed: tuple[str, ...]  # parents whose family could not meet its pool within guardrails
    budget_breach: bool  # cost of sales above budget.max_cost_of_sales
    diagnostics: tuple[Diagnostic, ...] = ()  # pins that no longer fit a reconciled pool
    quota_source: str = "computed"  # where the top-down came from: "quotas.yaml" | "computed"

    def by_id(self) -> dict[str, ReconcileNode]:
        return {n.id: n for n in self.nodes}

    def to_frame(self) -> pd.DataFrame:
        """One row per node as a pandas DataFrame (exact Decimals; one column per period)."""
        from salesplan.frames import rows_frame

        return rows_frame(self.nodes, self.periods)


@dataclass(frozen=True)
class Fill:
    """The result of water-filling one family's pool."""

    amounts: dict[str, Decimal]
    clamped: frozenset[str]
    relaxed: bool


class _Share(NamedTuple):
    """One child's place in its family's proposal, before rounding."""

    amount: Decimal
    baseline: Decimal
    low: Decimal
    high: Decimal
    clamped: bool = False


def water_fill(
    weights: Mapping[str, Decimal],
    lows: Mapping[str, Decimal],
    highs: Mapping[str, Decimal],
    pool: Decimal,
) -> Fill:
    """Share `pool` in proportion to `weights`, each amount clamped to [low, high].

    Finds the level λ with Σ clamp(λ·w, low, high) = pool (the sum is continuous and
    non-decreasing in λ, so one walk over the sorted breakpoints finds it). Fixing every
    child beyond a bound at once and re-sharing the rest is not enough: a child whose first
    share was below its low may end inside its bounds once others are held at their highs.
    A child is *clamped* when it sits at a bound that its bottom-up share, before or after
    re-sharing, lies beyond. When no level meets the pool, the guardrails are relaxed: the
    amounts nearest to it are scaled proportionally to the pool, all marked clamped.

    Arithmetic is Decimal at the caller's context precision (40 digits in `reconcile`);
    the one rounding to the unit afterwards is what makes the family sum exactly.
    """
    level = _water_level(weights, lows, highs, pool)
    if level is None:
        return _relaxed(weights, lows, highs, pool)
    weight_sum = sum(weights.values(), ZERO)
    first = pool / weight_sum if weight_sum else ZERO  # the pure bottom-up level
    amounts: dict[str, Decimal] = {}
    clamped: set[str] = set()
    for key, weight in weights.items():
        low, high = lows[key], highs[key]
        amount = amounts[key] = min(max(level * weight, low), high)
        if _held(amount, low, high, level * weight) or _held(amount, low, high, first * weight):
            clamped.add(key)
    return Fill(amounts, frozenset(clamped), False)


def _held(amount: Decimal, low: Decimal, high: Decimal, wanted: Decimal) -> bool:
    """Whether an amount sits at a bound that `wanted` lies beyond."""
    return (amount == high and wanted > high) or (amount == low and wanted < low)


def _water_level(
    weights: Mapping[str, Decimal],
    lows: Mapping[str, Decimal],
    highs: Mapping[str, Decimal],
    pool: Decimal,
) -> Decimal | None:
    # f(λ) = const + slope·λ between breakpoints: a child below its low adds its low, one
    # past its high adds its high, one in between adds λ·w to the slope.
    slack = pool.scaleb(-TOLERANCE_DIGITS)  # sums of rounded shares may miss by this much
    const = sum(lows.values(), ZERO)
    slope = ZERO
    if const >= pool - slack:
        return ZERO if const <= pool + slack else None
    events: list[tuple[Decimal, int, str]] = []
    for key, weight in weights.items():
        if weight > 0:
            events.append((lows[key] / weight, 0, key))
            events.append((highs[key] / weight, 1, key))
    events.sort()
    for at, kind, key in events:
        if const + slope * at >= pool - slack:
            return (pool - const) / slope if slope else at
        if kind == 0:
            const -= lows[key]
            slope += weights[key]
        else:
            const += highs[key]
            slope -= weights[key]
    if const >= pool - slack:  # every weighted child at its high meets the pool
        return events[-1][0] if events else ZERO
    return None


def _relaxed(
    weights: Mapping[str, Decimal],
    lows: Mapping[str, Decimal],
    highs: Mapping[str, Decimal],
    pool: Decimal,
) -> Fill:
    too_high = sum(lows.values(), ZERO) > pool
    nearest = {k: lows[k] if too_high or weights[k] == 0 else highs[k] for k in weights}
    reached = sum(nearest.values(), ZERO)
    if reached == 0:
        even = pool / len(nearest) if nearest else ZERO
        return Fill(dict.fromkeys(nearest, even), frozenset(nearest), True)
    scale = pool / reached
    return Fill({k: v * scale for k, v in nearest.items()}, frozenset(nearest), True)


def pins_of(plan: Plan) -> dict[str, Decimal]:
    pins = {u.id: u.quota for u in plan.org.units if u.quota is not None}
    pins.update({r.id: r.quota for r in plan.org.reps if r.quota is not None})
    return pins


class _Reconciler:
    def __init__(self, plan: Plan, quotas: Allocation) -> None:
        self.plan = plan
        self.tree = plan.tree
        self.unit = plan.unit
        self.quotas = quotas
        self.max_shift = plan.settings.reconcile.max_shift
        self.floor = 1 - self.max_shift  # sandbagging: bottom-up below top-down x floor
        self.levels: dict[str, Level] = {lv.name: lv for lv in plan.settings.levels}
        self.top_down = quotas.totals()
        # the top-down periods of every node sum to its total (always so when computed)
        self.quotas_exact = quotas.computed or all(
            sum(q.periods, ZERO) == q.total for q in quotas.nodes
        )
        self.forecasts = forecast_tree(plan)
        self.pins = pins_of(plan)
        self.minor_unit = Decimal(1).scaleb(-plan.currency_exponent)
        self.periods = plan.periods
        self.totals: dict[str, Decimal] = {}
        self.shares: dict[str, _Share] = {}
        self.relaxed: list[str] = []
        self.diagnostics: list[Diagnostic] = []

    def td(self, node_id: str) -> Decimal:
        return self.top_down.get(node_id, ZERO)

    def run(self) -> Reconciliation:
        root = self.tree.root
        total = self.totals[root] = self.td(root)
        self.shares[root] = _Share(total, total, total, total)
        with localcontext(PRECISION):
            for node in self.tree.top_down():
                if node.children:
                    self.family(node)
        capacities = quota_capacities(self.plan)
        return Reconciliation(
            self.plan.settings.currency,
            self.periods,
            self.unit,
            self.max_shift,
            tuple(self.records(capacities)),
            tuple(self.relaxed),
            over_budget(self.plan),
            tuple(self.diagnostics),
        )

    # ---- one family

    def family(self, parent: Node) -> None:
        level = self.levels[self.tree[parent.children[0]].level]
        raw_pool = self.totals[parent.id] * (1 + level.over_assign)
        pool = to_units(raw_pool, self.unit) * self.unit
        pins = {c: self.pins[c] for c in parent.children if c in self.pins}
        free = [c for c in parent.children if c not in pins]
        rest = pool - sum(pins.values(), ZERO)
        self._check_pins(parent.id, pins, free, pool, rest)
        rest = max(rest, ZERO)
        shares = self.free_shares(parent.id, free, rest)
        weights: list[Weight] = [shares[c].amount for c in free]
        units = split_units(to_units(rest, self.unit), weights, free)
        for child, count in zip(free, units):
            self.totals[child] = count * self.unit
            self.shares[child] = shares[child]
        for child, pin in pins.items():
            self.totals[child] = pin
            self.shares[child] = _Share(pin, pin, pin, pin)

    def baselines(self, free: list[str], rest: Decimal) -> dict[str, Decimal]:
        """The free children's top-down shares rescaled to `rest` (even if they are all 0)."""
        if not free:
            return {}
        top_down = {c: self.td(c) for c in free}
        top_down_sum = sum(top_down.values(), ZERO)
        if top_down_sum == 0:
            return dict.fromkeys(free, rest / len(free))
        scale = rest / top_down_sum
        return {c: value * scale for c, value in top_down.items()}

    def free_shares(self, parent_id: str, free: list[str], rest: Decimal) -> dict[str, _Share]:
        baselines = self.baselines(free, rest)
        shift = self.max_shift
        lows = {c: max(b * (ONE - shift), ZERO) for c, b in baselines.items()}
        highs = {c: b * (ONE + shift) for c, b in baselines.items()}
        forecast, submitted = self.forecasts.totals, self.forecasts.submitted
        weights = {c: forecast[c] for c in free if submitted[c]}
        shares = {
            c: _Share(b, b, lows[c], highs[c]) for c, b in baselines.items() if c not in weights
        }
        pool = sum((baselines[c] for c in weights), ZERO)
        fill = water_fill(
            weights, {c: lows[c] for c in weights}, {c: highs[c] for c in weights}, pool
        )
        if fill.relaxed:
            self.relaxed.append(parent_id)
        for c in weights:
            shares[c] = _Share(fill.amounts[c], baselines[c], lows[c], highs[c], c in fill.clamped)
        return shares

    def _check_pins(
        self, parent: str, pins: dict[str, Decimal], free: list[str], pool: Decimal, rest: Decimal
    ) -> None:
        if not pins or (rest >= 0 and (free or rest == 0)):
            return
        first = next(iter(pins))
        pinned = sum(pins.values(), ZERO)
        message = (
            f"in the reconciled proposal, pins under {parent!r} ({', '.join(pins)}) take "
            f"{pinned}, but the pool is {pool}; the pins are kept, so the children do not "
            "add up to the pool"
        )
        self.diagnostics.append(report("SP413", message, self.plan.at_node(first, "quota"), first))

    # ---- records

    def records(self, capacities: dict[str, Decimal]) -> Iterator[ReconcileNode]:
        """Every node's record, top-down (names bound once: this runs per node)."""
        totals, shares, top_downs, pins = self.totals, self.shares, self.top_down, self.pins
        forecast, submitted, missing = (
            self.forecasts.totals,
            self.forecasts.submitted,
            self.forecasts.missing,
        )
        floor, minor, phase = self.floor, self.minor_unit, self.phase
        for node in self.tree.top_down():
            node_id = node.id
            total = totals[node_id]
            share = shares[node_id]
            top_down = top_downs.get(node_id, ZERO)
            bottom_up = forecast[node_id] if submitted[node_id] else None
            sandbagging = (
                bottom_up is not None and not missing[node_id] and bottom_up < top_down * floor
            )
            capacity = capacities.get(node_id) if node.is_rep else None
            yield ReconcileNode(
                node_id,
                node.level,
                node.parent,
                total,
                phase(node, total, top_down, bottom_up),
                node_id in pins,
                top_down,
                bottom_up,
                total / top_down - 1 if top_down else None,
                share.clamped,
                sandbagging,
                capacity is not None and total > capacity,
                # the guardrail to the currency's minor unit, for reports
                share.baseline.quantize(minor, ROUND_HALF_EVEN),
                share.low.quantize(minor, ROUND_HALF_EVEN),
                share.high.quantize(minor, ROUND_HALF_EVEN),
            )

    def phase(
        self, node: Node, total: Decimal, top_down: Decimal, bottom_up: Decimal | None
    ) -> tuple[Decimal, ...]:
        """A rep who submitted: by their forecast; otherwise like the node's top-down."""
        weights: Sequence[Weight]
        if node.is_rep and bottom_up:
            weights = self.forecasts.periods[node.id]
        else:
            quota_periods = self.quotas.periods_of(node.id)
            if (
                quota_periods is None
                or len(quota_periods) != len(self.periods)
                or not any(quota_periods)
            ):
                weights = [1] * len(self.periods)
            elif total == top_down and self.quotas_exact:
                return quota_periods  # the same split again
            else:
                weights = quota_periods
        unit = self.unit
        units = split_units(to_units(total, unit), weights, self.periods)
        return tuple([count * unit for count in units])


def reconcile(plan: Plan, quotas: Allocation, quota_source: str = "computed") -> Reconciliation:
    """The hybrid proposal: the top-down `quotas` moved toward the plan's submissions.

    `quota_source` only labels the result, like `rollup`'s."""
    return replace(_Reconciler(plan, quotas).run(), quota_source=quota_source)


def to_allocation(reconciliation: Reconciliation) -> Allocation:
    """The proposal as an `Allocation`, to be written in the quotas.yaml format."""
    nodes = [
        NodeQuota(n.id, n.level, n.parent, n.total, n.periods, n.pinned)
        for n in reconciliation.nodes
    ]
    return Allocation(reconciliation.currency, reconciliation.periods, reconciliation.unit, nodes)
