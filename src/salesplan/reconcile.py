"""Hybrid reconcile (docs/design.md, "Hybrid reconcile"): move the top-down split toward the bottom-up signal.

The guardrail bounds *amounts*: every unpinned node's proposal stays within its own
top-down quota x (1 ± max_shift), the band rounded inward to the rounding unit.

- Signal: a rep's submitted annual total (periods in which they are not employed left out);
  a rep who did not submit counts as having submitted their top-down quota; a pinned node's
  signal is its pin; a unit's the sum of its children's.
- Ranges, bottom-up: a pin is its own range; an unpinned node's range is its band, narrowed
  to the totals P whose pool round(P x (1 + o)) its children can fill within theirs, so that
  every family solved later is feasible. Where no P in the band qualifies, the node takes
  the band's nearest point and its family's guardrail widens (reported).
- Families, top-down: the root keeps its top-down total; each parent's pool is kept to the
  unit: pins keep their pins and the rest goes to the unpinned children, clamp(λ x signal,
  low, high) with the one λ that meets it (water-filling, exact fractions), then rounded by
  largest remainder. Rounding never leaves a range: its bounds are whole units.
- Flags: a child at an end of its range that it would pass (λ x signal or its signal lies
  beyond, or its parent is pushed that way) is *clamped* when that end is its own guardrail,
  *held* when it is a limit inside it that its own children set (`_Reconciler.push`).
- Phasing: exactly as allocate phases (seasonality x the rep's capacity per period).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from math import ceil, floor
from typing import TYPE_CHECKING, NamedTuple

from salesplan.adjustments import pin_where, plan_pins
from salesplan.allocate import Allocation, NodeQuota, allocate, plan_allocator
from salesplan.capacity import over_budget, quota_capacities
from salesplan.diagnostics import report
from salesplan.fiscal import ZERO
from salesplan.money import figure, split_scaled, split_units
from salesplan.rollup import employed_forecasts
from salesplan.waterfill import water_fill, whole_level

if TYPE_CHECKING:
    import pandas as pd

    from salesplan.diagnostics import Diagnostic
    from salesplan.model import Level
    from salesplan.plan import Plan
    from salesplan.tree import Node

NOTHING: Fraction = 0  # type: ignore[assignment]  # sums of whole units stay ints: fast


class ReconcileNode(NamedTuple):
    id: str
    level: str
    parent: str | None
    total: Decimal  # the proposal
    periods: tuple[Decimal, ...]
    pinned: bool
    top_down: Decimal  # the node's total in the top-down allocation
    bottom_up: Decimal | None  # forecast under the node; None when nobody under it submitted
    signal: Decimal  # what the proposal moves toward (silent reps count as their top-down)
    shift: Decimal | None  # total / top_down - 1; None when top_down is 0
    clamped: bool  # at an end of its own guardrail, pushed beyond it (see `_Reconciler.push`)
    held: bool  # at an end of its range inside its guardrail (its children's), pushed beyond it
    sandbagging: bool  # signal below top_down x (1 - max_shift)
    over_capacity: (
        bool  # a rep whose proposal is above their quota capacity (docs/design.md, "Capacity")
    )
    low: Decimal  # the range the proposal had to stay in (pins and the root: their total)
    high: Decimal


class Widened(NamedTuple):
    """A family whose guardrail had to widen to meet its pool."""

    parent: str
    max_shift: Fraction | None  # the smallest that admits the pool; None: no band can


@dataclass(frozen=True)
class Reconciliation:
    """The hybrid proposal (`salesplan reconcile`): every node's quota moved from its
    top-down amount toward its submitted signal within the guardrail, with the families
    whose guardrail widened and whether cost of sales breaks the budget."""

    currency: str
    periods: tuple[str, ...]
    unit: Decimal
    max_shift: Decimal
    nodes: tuple[ReconcileNode, ...]  # top-down order
    widened: tuple[Widened, ...]  # families whose guardrail widened to meet their pool
    budget_breach: bool  # cost of sales above budget.max_cost_of_sales
    diagnostics: tuple[Diagnostic, ...] = ()  # pins that no longer fit a reconciled pool
    quota_source: str = "computed"  # where the top-down came from: "quotas.yaml" | "computed"

    @property
    def relaxed(self) -> tuple[str, ...]:
        """The parents of the widened families."""
        return tuple(w.parent for w in self.widened)

    def by_id(self) -> dict[str, ReconcileNode]:
        return {n.id: n for n in self.nodes}

    def changed(self) -> list[ReconcileNode]:
        """The nodes whose proposal differs from their top-down quota."""
        return [n for n in self.nodes if n.total != n.top_down]

    def to_frame(self) -> pd.DataFrame:
        """One row per node as a pandas DataFrame (exact Decimals; one column per period)."""
        from salesplan.frames import rows_frame

        return rows_frame(self.nodes, self.periods)


class _Reconciler:
    def __init__(self, plan: Plan, quotas: Allocation, pins: dict[str, Decimal] | None) -> None:
        self.plan = plan
        self.tree = plan.tree
        self.unit = plan.unit
        self.max_shift = Fraction(plan.settings.reconcile.max_shift)
        self.over = {
            lv.name: Fraction(lv.over_assign).as_integer_ratio() for lv in plan.settings.levels
        }
        self.minor_unit = Decimal(1).scaleb(-plan.currency_exponent)
        per_unit = Fraction(self.unit) / Fraction(self.minor_unit)  # minor units in a unit
        self.per_unit = int(per_unit) if per_unit.denominator == 1 else per_unit
        self.levels: dict[str, Level] = {lv.name: lv for lv in plan.settings.levels}
        self.top_down = quotas.totals()
        self.td = self._top_down_units(quotas)
        self.pins = plan_pins(plan) if pins is None else pins
        self.forecasts = employed_forecasts(plan)
        self.signals = self._signals()
        # every signal, top-down amount and minor units per unit a whole number: families
        # can be shared out on integers (`_whole_family`)
        self.whole = isinstance(self.per_unit, int) and all(
            isinstance(v, int) for v in chain(self.signals.values(), self.td.values())
        )
        self.ranges: dict[str, tuple[Fraction, Fraction]] = {}
        self.totals: dict[str, Fraction] = {}  # in units
        self.pushed: dict[str, int] = {}  # +1: pushed up against its high; -1: down, its low
        self.clamped: set[str] = set()  # of the pushed, those at an end of their guardrail
        self.held: set[str] = set()  # and those at an end that their children's ranges set
        self.widened: list[Widened] = []
        self.diagnostics: list[Diagnostic] = []

    def units(self, amount: Decimal) -> Fraction:
        """An amount in rounding units: an int when it is a whole number of them (the usual
        case, and fast), else an exact fraction."""
        count, left = divmod(amount, self.unit)
        if not left:
            return int(count)  # type: ignore[return-value]
        return Fraction(amount) / Fraction(self.unit)

    def _top_down_units(self, quotas: Allocation) -> dict[str, Fraction]:
        """Every node's top-down total in units: as the allocator counted them when it
        split the target (`Allocation.total_units`), else each distinct amount worked out
        once (nodes alike are split alike: 1,712 amounts among the 11,011 nodes of the 10k
        plan)."""
        counted = quotas.total_units()  # every node of the tree
        if counted is not None:
            return counted  # type: ignore[return-value]
        found: dict[Decimal, Fraction] = {}
        td: dict[str, Fraction] = {}
        for node_id in self.tree.nodes:
            amount = self.top_down.get(node_id, ZERO)
            count = found.get(amount)
            if count is None:
                count = found[amount] = self.units(amount)
            td[node_id] = count
        return td

    def minor(self, amount: Decimal) -> Fraction:
        """An amount in the currency's minor units: an int unless it has more decimals."""
        count, left = divmod(amount, self.minor_unit)
        if not left:
            return int(count)  # type: ignore[return-value]
        return Fraction(amount) / Fraction(self.minor_unit)

    def _signals(self) -> dict[str, Fraction]:
        """Every node's signal in the currency's minor units (whole numbers, so the water
        level's arithmetic stays on integers; see the module's docstring). The reps first,
        team by team (a unit's children are all reps or all units), then the units only,
        bottom-up: no walk of every node."""
        signals: dict[str, Fraction] = {}
        totals, submitted = self.forecasts.totals, self.forecasts.submitted
        pins, td, per_unit, minor = self.pins, self.td, self.per_unit, self.minor
        for team in self.tree.teams:
            for rep_id in team:
                if rep_id in pins:
                    signals[rep_id] = minor(pins[rep_id])
                elif submitted[rep_id]:
                    signals[rep_id] = minor(totals[rep_id])
                else:
                    signals[rep_id] = td[rep_id] * per_unit
        for node in reversed(self.tree.units):
            node_id = node.id
            if node_id in pins:
                signals[node_id] = minor(pins[node_id])
            else:
                signals[node_id] = sum(map(signals.__getitem__, node.children), NOTHING)
        return signals

    # ---- ranges, bottom-up

    def band(self, node_id: str, shift: Fraction) -> tuple[Fraction, Fraction]:
        """top_down x (1 ± shift), rounded inward to whole units (never below 0)."""
        td = self.td[node_id]
        num, den = shift.as_integer_ratio()
        if isinstance(td, int):  # integer arithmetic: the usual case
            return max(-(-td * (den - num) // den), 0), td * (den + num) // den
        return max(ceil(td * (1 - shift)), 0), floor(td * (1 + shift))  # type: ignore[return-value]

    def pool(self, node: Node, total: Fraction | int) -> Fraction:
        """round(total x (1 + o)) in whole units, half-even (docs/design.md, "Money and rounding")."""
        level = self.tree[node.children[0]].level
        num, den = self.over[level]
        if isinstance(total, int):
            quotient, left = divmod(total * (den + num), den)
            if 2 * left > den or (2 * left == den and quotient % 2):
                quotient += 1
            return quotient  # type: ignore[return-value]
        return round(total * Fraction(den + num, den))  # type: ignore[return-value]

    def family_reach(self, node: Node) -> tuple[Fraction, Fraction]:
        """The pools that a node's children can fill, pins included."""
        low = high = NOTHING
        for child in node.children:
            child_low, child_high = self.ranges[child]
            low, high = low + child_low, high + child_high
        return low, high

    def narrow(self, node: Node) -> tuple[Fraction, Fraction]:
        low, high = self.band(node.id, self.max_shift)
        if not node.children or low > high:
            return low, high
        need_low, need_high = self.family_reach(node)
        # a pool is P x (1 + o) give or take half a unit: the searches start where it meets
        num, den = self.over[self.tree[node.children[0]].level]
        guesses = int(need_low * den // (den + num)), int(need_high * den // (den + num))
        first = self._first(node, int(low), int(high), lambda p: p >= need_low, guesses[0])
        last = self._last(node, int(low), int(high), lambda p: p <= need_high, guesses[1])
        if first is not None and last is not None and first <= last:
            return first, last  # type: ignore[return-value]
        # no total in the band lets the family meet its pool: the band's nearest point
        nearest = high if self.pool(node, high) < need_low else low
        return nearest, nearest

    def _first(
        self, node: Node, low: int, high: int, fits: Callable[[Fraction], bool], guess: int
    ) -> int | None:
        """The smallest P in [low, high] whose pool `fits` (pools rise with P): a bisection,
        narrowed first by `guess` and its neighbour (usually the answer)."""
        if not fits(self.pool(node, high)):
            return None
        if low < guess < high:
            if fits(self.pool(node, guess)):
                high = guess  # the answer is at most the guess,
                if not fits(self.pool(node, guess - 1)):
                    low = guess  # and exactly it
            else:
                low = guess + 1  # the answer is above the guess,
                if fits(self.pool(node, low)):
                    high = low  # and next to it
        while low < high:
            middle = (low + high) // 2
            if fits(self.pool(node, middle)):
                high = middle
            else:
                low = middle + 1
        return low

    def _last(
        self, node: Node, low: int, high: int, fits: Callable[[Fraction], bool], guess: int
    ) -> int | None:
        """The largest P in [low, high] whose pool `fits`, narrowed first like `_first`'s."""
        if not fits(self.pool(node, low)):
            return None
        if low < guess < high:
            if fits(self.pool(node, guess)):
                low = guess  # the answer is at least the guess,
                if not fits(self.pool(node, guess + 1)):
                    high = guess  # and exactly it
            else:
                high = guess - 1  # the answer is below the guess,
                if fits(self.pool(node, high)):
                    low = high  # and next to it
        while low < high:
            middle = (low + high + 1) // 2
            if fits(self.pool(node, middle)):
                low = middle
            else:
                high = middle - 1
        return low

    def compute_ranges(self) -> None:
        """Every node's range: the reps' first, team by team (the units whose children are
        reps), then the units only, bottom-up (no walk of every node). A rep's is their
        band, which only their top-down amount decides: one band per distinct amount (835
        among the 10,000 reps of the 10k plan)."""
        root, shift = self.tree.root, self.max_shift
        ranges, pins, td = self.ranges, self.pins, self.td
        bands: dict[Fraction, tuple[Fraction, Fraction]] = {}
        for team in self.tree.teams:
            for rep_id in team:
                if rep_id in pins:
                    pin = self.units(pins[rep_id])
                    ranges[rep_id] = (pin, pin)
                    continue
                amount = td[rep_id]
                band = bands.get(amount)
                if band is None:
                    band = bands[amount] = self.band(rep_id, shift)
                ranges[rep_id] = band
        for node in reversed(self.tree.units):
            node_id = node.id
            if node_id == root:
                ranges[root] = (td[root], td[root])
            elif node_id in pins:
                pin = self.units(pins[node_id])
                ranges[node_id] = (pin, pin)
            elif node.children:
                ranges[node_id] = self.narrow(node)
            else:  # a unit without reps yet
                ranges[node_id] = self.band(node_id, shift)

    # ---- families, top-down

    def run(self) -> Reconciliation:
        self.compute_ranges()
        root = self.tree.root
        self.totals[root] = self.td[root]
        for node in self.tree.units:  # top-down; reps have no family
            if node.children:
                self.family(node)
        capacities = quota_capacities(self.plan)
        return Reconciliation(
            self.plan.settings.currency,
            self.plan.periods,
            self.unit,
            self.plan.settings.reconcile.max_shift,
            tuple(self.records(capacities)),
            tuple(self.widened),
            over_budget(self.plan),
            tuple(self.diagnostics),
        )

    def family(self, parent: Node) -> None:
        pool = self.pool(parent, self.totals[parent.id])
        if self.whole and isinstance(pool, int) and self._whole_family(parent, pool):
            return
        pins = {c: self.units(self.pins[c]) for c in parent.children if c in self.pins}
        free = [c for c in parent.children if c not in pins]
        self.totals.update(pins)
        rest = pool - sum(pins.values(), NOTHING)
        if not free or rest < 0:
            if rest != 0:
                self._report_pins(parent.id, pins, pool)
            self.totals.update(dict.fromkeys(free, NOTHING))
            return
        lows = {c: self.ranges[c][0] for c in free}
        highs = {c: self.ranges[c][1] for c in free}
        widened = not sum(lows.values(), NOTHING) <= rest <= sum(highs.values(), NOTHING)
        if widened:
            lows, highs = self.widen(parent.id, free, rest)
        top_down = {c: self.td[c] for c in free}
        signals = {c: self.signals[c] for c in free}
        fill = water_fill(signals, lows, highs, rest, top_down)
        # split by the scaled amounts: a common factor changes no share
        counts = split_units(int(rest), [fill.scaled[c] for c in free], free)
        self.totals.update(zip(free, counts))  # type: ignore[arg-type]
        below = fill.clamped - fill.above
        bounds = [(c, lows[c], highs[c]) for c in free]
        self.push(parent.id, bounds, fill.above, below, widened)

    def _whole_family(self, parent: Node, pool: int) -> bool:
        """`family` for a family without pins, on whole numbers, in lists (`whole_level`):
        the same totals and flags, or False (nothing done) where it takes the plain way: a
        pin, a pool its ranges cannot meet, a λ that `whole_level` cannot tell."""
        pins, ranges, signals = self.pins, self.ranges, self.signals
        children = parent.children
        if pins and any(c in pins for c in children):
            return False
        lows = [ranges[c][0] for c in children]
        highs = [ranges[c][1] for c in children]
        if not sum(lows) <= pool <= sum(highs):
            return False
        wanted = [signals[c] for c in children]
        weights = wanted if any(wanted) else [self.td[c] for c in children]
        level = whole_level(weights, lows, highs, pool)  # type: ignore[arg-type]
        if level is None:
            return False
        p, q = level
        above: set[str] = set()  # at a bound that λ x weight lies beyond
        below: set[str] = set()
        scaled = []
        for child, w, low, high in zip(children, weights, lows, highs):
            value, low_q, high_q = p * w, low * q, high * q
            amount = value if value > low_q else low_q
            if amount >= high_q:
                amount = high_q
            if amount == high_q and value > high_q:
                above.add(child)
            elif amount == low_q and value < low_q:
                below.add(child)
            scaled.append(amount)
        self.totals.update(zip(children, split_scaled(pool, scaled, children)))  # type: ignore[arg-type]
        self.push(parent.id, zip(children, lows, highs), above, below, False)
        return True

    def push(
        self,
        parent: str,
        bounds: Iterable[tuple[str, Fraction, Fraction]],
        above: AbstractSet[str],
        below: AbstractSet[str],
        widened: bool,
    ) -> None:
        """The flags of a family's unpinned children, their totals settled (docs/design.md,
        "Hybrid reconcile", flags). A child is pushed up when its total is the high end of
        its range and it would take more: λ x signal lies above it (`above`), or its own
        signal does, or its parent is pushed up (the family's pool would grow, and only the
        children at their high could not take it). Pushed down likewise, at the low end.
        A pushed child at an end of its own guardrail (its band, or the widened band of a
        widened family) is *clamped*; one at an end inside it, which its own children's
        ranges and pins set ("Pins narrow upward"), is *held*."""
        inherited = self.pushed.get(parent, 0)
        totals, signals, per = self.totals, self.signals, self.per_unit
        for child, low, high in bounds:
            total = totals[child]
            if total != high and total != low:
                continue
            signal = signals[child]
            up = total == high and (child in above or signal > high * per or inherited > 0)
            down = total == low and (child in below or signal < low * per or inherited < 0)
            if up and down:  # a range of one point: λ says which way, else the signal
                up = child in above or (child not in below and signal > high * per)
            elif not up and not down:
                continue
            self.pushed[child] = 1 if up else -1
            if widened:
                self.clamped.add(child)
                continue
            band_low, band_high = self.band(child, self.max_shift)
            at_guardrail = total == (band_high if up else band_low)
            (self.clamped if at_guardrail else self.held).add(child)

    def widen(
        self, parent: str, free: list[str], rest: Fraction
    ) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
        """The family's bands at the smallest max_shift' >= max_shift that admits `rest`."""
        top_down = {c: self.td[c] for c in free}
        total = sum(top_down.values(), NOTHING)
        if total == 0:  # no band can: the rest goes by signal, else evenly, without bounds
            self.widened.append(Widened(parent, None))
            return dict.fromkeys(free, NOTHING), dict.fromkeys(free, rest)
        shift = max(self.max_shift, abs(Fraction(rest) / total - 1))
        while True:
            bands = {c: self.band(c, shift) for c in free}
            low = sum((b[0] for b in bands.values()), NOTHING)
            high = sum((b[1] for b in bands.values()), NOTHING)
            if low <= rest <= high:
                break
            # the next shift at which some bound moves by a unit
            if high < rest:
                steps = [
                    Fraction(b[1] + 1) / top_down[c] - 1 for c, b in bands.items() if top_down[c]
                ]
            else:
                steps = [1 - Fraction(b[0] - 1) / top_down[c] for c, b in bands.items() if b[0] > 0]
            shift = min(steps)
        self.widened.append(Widened(parent, shift))
        return {c: b[0] for c, b in bands.items()}, {c: b[1] for c, b in bands.items()}

    def _report_pins(self, parent: str, pins: Mapping[str, Fraction], pool: Fraction) -> None:
        first = next(iter(pins))
        pinned = sum(pins.values(), NOTHING) * Fraction(self.unit)
        pool_amount = pool * Fraction(self.unit)
        e = self.plan.currency_exponent
        message = (
            f"in the reconciled proposal, pins under {parent!r} ({', '.join(pins)}) take "
            f"{figure(Decimal(pinned.numerator) / pinned.denominator, e)}, but the pool is "
            f"{figure(Decimal(pool_amount.numerator) / pool_amount.denominator, e)}; the pins "
            "are kept, so the children do not add up to the pool"
        )
        where = pin_where(self.plan, first)
        self.diagnostics.append(report("SP413", message, where, first))

    # ---- records

    def signal_money(self, signal: Fraction | int) -> Decimal:
        if isinstance(signal, int):
            return signal * self.minor_unit
        return self.money(signal / self.per_unit)

    def money(self, units: Fraction) -> Decimal:
        if isinstance(units, int):
            return units * self.unit
        amount = units * Fraction(self.unit)
        return Decimal(amount.numerator) / amount.denominator

    def records(self, capacities: dict[str, Decimal]) -> Iterator[ReconcileNode]:
        """Every node's record, top-down. Each distinct amount in units is turned into money
        once, and nodes alike share it (1,782 proposals and 1,564 lows among the 11,011
        nodes of the 10k plan): a Decimal met again is hashed again for free."""
        forecast, submitted = self.forecasts.totals, self.forecasts.submitted
        # signal < top-down x (1 - max_shift), on integers: signal x den < top-down x floor
        # (top-down in units, signals in minor units)
        num, den = (1 - self.max_shift).as_integer_ratio()
        floor = num * self.per_unit
        allocator = plan_allocator(self.plan)
        phase, phased = allocator.phase, allocator.phase_all_units(self.totals)
        totals, ranges, signals, td = self.totals, self.ranges, self.signals, self.td
        amounts = {*totals.values(), *chain.from_iterable(ranges.values())}
        money = {units: self.money(units) for units in amounts}
        top_downs, pins, clamped, held = self.top_down, self.pins, self.clamped, self.held
        # a signal in whole minor units (the usual case) made money inline, without a call
        minor_unit, signal_money = self.minor_unit, self.signal_money
        new = tuple.__new__  # a NamedTuple from a tuple, as its own `_make` does
        for node in self.tree.top_down():
            node_id = node.id
            units = totals[node_id]
            total = money[units]
            top_down = top_downs.get(node_id, ZERO)
            capacity = capacities.get(node_id) if node.is_rep else None
            low, high = ranges[node_id]
            signal = signals[node_id]
            yield new(
                ReconcileNode,
                (
                    node_id,
                    node.level,
                    node.parent,
                    total,
                    phased.get(node_id) or phase(node, total),
                    node_id in pins,
                    top_down,
                    forecast[node_id] if submitted[node_id] else None,
                    signal * minor_unit if isinstance(signal, int) else signal_money(signal),
                    total / top_down - 1 if top_down else None,
                    node_id in clamped,
                    node_id in held,
                    signal * den < td[node_id] * floor,
                    capacity is not None and total > capacity,
                    money[low],
                    money[high],
                ),
            )


def reconcile(
    plan: Plan,
    quotas: Allocation,
    quota_source: str = "computed",
    pins: dict[str, Decimal] | None = None,
) -> Reconciliation:
    """The hybrid proposal: the top-down `quotas` moved toward the plan's submissions.

    `quota_source` only labels the result, like `rollup`'s; `pins` replaces the plan's pins
    (org.yaml and adjustments.yaml), to try out pins before they are written."""
    return replace(_Reconciler(plan, quotas, pins).run(), quota_source=quota_source)


def to_allocation(reconciliation: Reconciliation) -> Allocation:
    """The proposal as an `Allocation`, to be written in the quotas.yaml format."""
    nodes = [
        NodeQuota(n.id, n.level, n.parent, n.total, n.periods, n.pinned)
        for n in reconciliation.nodes
    ]
    return Allocation(reconciliation.currency, reconciliation.periods, reconciliation.unit, nodes)


def accepted_pins(plan: Plan, result: Reconciliation) -> dict[str, Decimal]:
    """The pins that make the proposal the plan (`reconcile --accept`): its changed nodes,
    then any node that `allocate` or a second `reconcile` would still place elsewhere, until
    `allocate` gives exactly the proposal and `reconcile` proposes no further change."""
    proposal = {n.id: n.total for n in result.nodes}
    root = plan.tree.root
    base = plan_pins(plan)
    added = {n.id: n.total for n in result.changed() if n.id not in base and n.id != root}
    for _ in range(len(proposal) + 1):
        pins = {**base, **added}
        allocation = allocate(plan, pins)
        totals = allocation.totals()
        differing = [i for i, total in proposal.items() if totals.get(i) != total]
        if not differing:
            again = reconcile(plan, allocation, pins=pins)
            differing = [n.id for n in again.nodes if n.total != proposal[n.id]]
        differing = [i for i in differing if i != root and i not in pins]
        if not differing:
            return _unpin_one_per_family(plan, base, added, proposal)
        added.update({i: proposal[i] for i in differing})
    return added


def _unpin_one_per_family(
    plan: Plan, base: dict[str, Decimal], added: dict[str, Decimal], proposal: dict[str, Decimal]
) -> dict[str, Decimal]:
    """`added` without one pin in each family it pins whole: the pool decides that child
    (pool minus its siblings' pins, which is its proposal), and a target that moves later
    lands there instead of making every pin of the family wrong (SP413). The child left
    free is the family's largest, among those `added` pins. Checked: if `allocate` then
    gives anything but the proposal, every pin stays."""
    freed: set[str] = set()
    for node in plan.tree.top_down():
        children = node.children
        if not children or not all(c in base or c in added for c in children):
            continue
        candidates = [c for c in children if c in added and c not in base]
        if candidates:
            freed.add(max(candidates, key=lambda c: proposal[c]))  # the first of equals
    if not freed:
        return added
    fewer = {i: quota for i, quota in added.items() if i not in freed}
    totals = allocate(plan, {**base, **fewer}).totals()
    if any(totals.get(i) != total for i, total in proposal.items()):
        return added
    return fewer
