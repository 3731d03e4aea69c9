"""Water-filling (docs/design.md, "Hybrid reconcile"): share a pool as clamp(λ x signal, low, high), exactly.

One λ meets the pool: the sum is continuous and non-decreasing in λ. Amounts are exact
fractions (in rounding units); the caller rounds them by largest remainder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

NOTHING: Fraction = 0  # type: ignore[assignment]  # sums of whole units stay ints: fast


class Fill(NamedTuple):
    """One family's unpinned children after water-filling: exact amounts in units, kept as
    `scaled[k] / scale` with one common denominator (whole numbers, usually), which is how
    the caller splits them."""

    scaled: dict[str, Fraction]
    scale: int
    clamped: frozenset[str]  # at a bound that the water level lies beyond
    above: frozenset[str] = frozenset()  # those of `clamped` held at their high

    @property
    def amounts(self) -> dict[str, Fraction]:
        """The amounts themselves, as fractions."""
        return {k: Fraction(v) / self.scale for k, v in self.scaled.items()}


def water_level(
    weights: Mapping[str, Fraction],
    lows: Mapping[str, Fraction],
    highs: Mapping[str, Fraction],
    pool: Fraction,
) -> Fraction | None:
    """The λ with Σ clamp(λ·w, low, high) = pool, exactly; None when no λ reaches it."""
    found = _level_fill(weights, lows, highs, pool)
    return None if found is None else found[0]


def _level_fill(
    weights: Mapping[str, Fraction],
    lows: Mapping[str, Fraction],
    highs: Mapping[str, Fraction],
    pool: Fraction,
) -> tuple[Fraction, Fill] | None:
    """The λ with Σ clamp(λ·w, low, high) = pool and the fill at it, exactly; None when no
    λ reaches it.

    The sum is continuous and non-decreasing in λ: one walk over the sorted breakpoints
    (where a child leaves its low, where it reaches its high) finds it."""
    const = sum(lows.values(), NOTHING)
    if const >= pool:
        return (NOTHING, _clamped_fill(weights, lows, highs, NOTHING)) if const == pool else None
    positive = {k: w for k, w in weights.items() if w > 0}
    total = sum(positive.values(), NOTHING)
    if total:  # the usual case: nobody at a bound (those with weight 0 stay at their low)
        idle = sum((lows[k] for k in weights if k not in positive), NOTHING)
        level = Fraction(pool - idle, total)
        p, q = level.numerator, level.denominator  # compared on integers: fast
        if all(lows[k] * q <= p * w <= highs[k] * q for k, w in positive.items()):
            return level, _clamped_fill(weights, lows, highs, level)
    # breakpoints ordered by a float key first (fast), the fill then checked exactly
    for exact_order in (False, True):
        found = _walk(positive, lows, highs, pool, const, exact_order)
        if found is None:
            return None
        fill = _clamped_fill(weights, lows, highs, found)
        if sum(fill.scaled.values(), NOTHING) == pool * fill.scale:
            return found, fill
    return None


def _walk(
    weights: Mapping[str, Fraction],
    lows: Mapping[str, Fraction],
    highs: Mapping[str, Fraction],
    pool: Fraction,
    const: Fraction,
    exact_order: bool,
) -> Fraction | None:
    """One walk over the breakpoints (where a child leaves its low, where it reaches its
    high): f(λ) = const + slope·λ between them. A breakpoint is bound/weight; f reaches the
    pool there when const·weight + slope·bound >= pool·weight (weights are positive), so
    whole units stay on integers."""
    slope = NOTHING
    events: list[tuple[object, int, str]] = []
    for key, weight in weights.items():
        if exact_order:
            events.append((Fraction(lows[key]) / weight, 0, key))
            events.append((Fraction(highs[key]) / weight, 1, key))
        else:
            events.append((float(lows[key]) / float(weight), 0, key))
            events.append((float(highs[key]) / float(weight), 1, key))
    events.sort()
    for _, kind, key in events:
        bound, weight = (lows[key] if kind == 0 else highs[key]), weights[key]
        if const * weight + slope * bound >= pool * weight:
            return Fraction(pool - const, slope) if slope else Fraction(bound, weight)
        if kind == 0:
            const -= bound
            slope += weight
        else:
            const += bound
            slope -= weight
    if const < pool:
        return None
    last = events[-1] if events else None
    return NOTHING if last is None else Fraction(highs[last[2]]) / weights[last[2]]


def whole_level(
    weights: Sequence[int], lows: Sequence[int], highs: Sequence[int], pool: int
) -> tuple[int, int] | None:
    """`water_level` for a family on whole numbers (whole units and signals, the usual
    case), in lists: λ as (p, q), p / q, not reduced (a common factor changes no share and
    no comparison), or None when this way cannot tell (the caller then takes the plain
    way: `water_fill`).

    No sort: λ is first the level at which nobody is at a bound; while some are beyond one,
    the side that the pool says λ lies on holds them there (the sum overshoots: those below
    their low stay at it; it falls short: those above their high stay at it), and λ is
    worked out again, a few rounds at most. The λ found is then checked as `_level_fill`'s
    own: it fills the pool exactly and is the smallest that does (some child with a weight
    is strictly inside its range just below it), else None."""
    floor = sum(lows)
    if floor >= pool:  # λ = 0: every child at its low, as `_level_fill` has it
        return (0, 1) if floor == pool else None
    free = [k for k, w in enumerate(weights) if w > 0]
    held = pool - sum(lows[k] for k, w in enumerate(weights) if w <= 0)  # at their low
    weight = sum(weights[k] for k in free)
    while free:
        p, q = held, weight
        under = [k for k in free if p * weights[k] < lows[k] * q]
        over = [k for k in free if p * weights[k] > highs[k] * q]
        if not under and not over:
            break
        # Σ clamp(λ x w) - pool over the free, times q: > 0 when λ is above the answer;
        # its sign names a side with someone beyond, so every round holds one more child
        excess = sum(lows[k] * q - p * weights[k] for k in under) - sum(
            p * weights[k] - highs[k] * q for k in over
        )
        if excess == 0:
            break
        bounds, leaving = (lows, under) if excess > 0 else (highs, over)
        held -= sum(bounds[k] for k in leaving)
        weight -= sum(weights[k] for k in leaving)
        gone = set(leaving)
        free = [k for k in free if k not in gone]
    else:
        return None
    total, rising = 0, False
    for w, low, high in zip(weights, lows, highs):
        value, low_q, high_q = p * w, low * q, high * q
        amount = value if value > low_q else low_q
        total += amount if amount < high_q else high_q
        rising = rising or (w > 0 and low_q < value <= high_q)
    return (p, q) if rising and total == pool * q else None


def _clamps(
    weights: Mapping[str, Fraction],
    lows: Mapping[str, Fraction],
    highs: Mapping[str, Fraction],
    level: Fraction,
) -> Iterator[tuple[str, Fraction, Fraction, Fraction, Fraction]]:
    """(child, level x w, low, high, clamp(level x w, low, high)), each scaled by the level's
    denominator: on integers when the bounds and weights are whole units (the usual case)."""
    p, q = level.numerator, level.denominator
    for k, w in weights.items():
        value, low_q, high_q = p * w, lows[k] * q, highs[k] * q
        scaled = value if value > low_q else low_q
        yield k, value, low_q, high_q, (scaled if scaled < high_q else high_q)


def water_fill(
    signals: Mapping[str, Fraction],
    lows: Mapping[str, Fraction],
    highs: Mapping[str, Fraction],
    pool: Fraction,
    top_down: Mapping[str, Fraction],
) -> Fill:
    """Share `pool` (with Σ lows <= pool <= Σ highs) as clamp(λ x signal, low, high).

    If every signal is 0, λ applies to the top-down amounts. If no λ reaches the pool because
    children with signal 0 sit at their low, those children take the rest in proportion to
    their top-down amounts, within their bounds (and evenly if those are all 0 too)."""
    weights = dict(signals) if any(signals.values()) else dict(top_down)
    found = _level_fill(weights, lows, highs, pool)
    if found is not None:
        return found[1]
    else:
        amounts = {k: (highs[k] if w > 0 else lows[k]) for k, w in weights.items()}
        idle = [k for k, w in weights.items() if w == 0]
        rest = pool - sum(amounts.values(), NOTHING) + sum((lows[k] for k in idle), NOTHING)
        for fallback in ({k: top_down[k] for k in idle}, dict.fromkeys(idle, Fraction(1))):
            second = water_level(fallback, {k: lows[k] for k in idle}, highs, rest)
            if second is not None:
                for k in idle:
                    amounts[k] = min(max(second * fallback[k], lows[k]), highs[k])
                break
    # clamped: at a bound (no water level reaches the pool); above: at a high that a weight,
    # or the rest of the pool, holds them at (a child of weight 0 is held down, at its low)
    clamped = frozenset(k for k, amount in amounts.items() if amount in (highs[k], lows[k]))
    above = frozenset(
        k for k in clamped if amounts[k] == highs[k] and (weights[k] > 0 or highs[k] != lows[k])
    )
    return Fill(amounts, 1, clamped, above)


def _clamped_fill(
    weights: Mapping[str, Fraction],
    lows: Mapping[str, Fraction],
    highs: Mapping[str, Fraction],
    level: Fraction,
) -> Fill:
    """clamp(level x w, low, high) for each child, scaled by the level's denominator, and
    those at a bound that the water level lies beyond (and which of them at their high)."""
    amounts: dict[str, Fraction] = {}
    clamped: list[str] = []
    above: list[str] = []
    for k, value, low_q, high_q, scaled in _clamps(weights, lows, highs, level):
        amounts[k] = scaled
        if scaled == high_q and value > high_q:
            clamped.append(k)
            above.append(k)
        elif scaled == low_q and value < low_q:
            clamped.append(k)
    return Fill(amounts, level.denominator, frozenset(clamped), frozenset(above))
