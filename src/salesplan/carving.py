"""Shown figures that add up (docs/design.md, "Money and rounding"): exact figures turned
into whole units of the currency. The total is rounded once, half-even; every part is carved
out of it by largest remainder (`money.split_scaled`), so the parts add up to the total.

A table of rows by periods (expected bookings per rep and period) adds up both ways: the
rows and the periods are each carved from the total, and each cell is its exact figure
rounded down or up so that every row adds up to its row and every period to its period
(`carve_table`).

Exact figures are Decimals; `per` says how many of them make one of the currency (12 for
figures kept in twelfths). Arithmetic is on integers: the figures scaled by one power of ten.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from fractions import Fraction
from functools import reduce
from typing import NamedTuple

from salesplan.money import split_scaled

# Scaling or adding a plan's figures (a few dozen digits at most) never rounds them; were
# one ever to, Inexact stops the command (exit 3) rather than carve a rounded sum.
WIDE = Context(prec=200, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
ZERO = Decimal(0)


def _whole(values: Sequence[Decimal]) -> tuple[list[int], int]:
    """The values as whole numbers, all scaled by 10 ** shift (exact), and the shift (never
    below 0: `1.2E+6`, written with an exponent, is a whole number already): the exact sum
    from 0 has the smallest exponent of them all (and of 0). Equal values (the figures of
    reps alike) are scaled once."""
    shift = -int(exact_sum(values).as_tuple().exponent)
    scaled = {v: int(v.scaleb(shift, WIDE)) for v in set(values)}
    return [scaled[v] for v in values], shift


def exact_sum(values: Sequence[Decimal]) -> Decimal:
    """The sum of `values` from 0, exact however many digits it takes (within WIDE's 200:
    a plan's figures have a few dozen at most); its exponent is the smallest of theirs and 0."""
    return reduce(WIDE.add, values, ZERO)


class _Scaled(NamedTuple):
    """Rows of figures as whole numbers: each distinct row once (`vectors`), and the
    distinct row each row is (`kind_of`)."""

    vectors: list[list[int]]
    kind_of: list[int]
    shift: int


def _scaled(rows: Sequence[Sequence[Decimal]]) -> _Scaled:
    """Rows that are one object (reps alike share their figures) are scaled once."""
    kinds: dict[int, int] = {}
    distinct: list[Sequence[Decimal]] = []
    kind_of = []
    for row in rows:
        kind = kinds.get(id(row))
        if kind is None:
            kind = kinds[id(row)] = len(distinct)
            distinct.append(row)
        kind_of.append(kind)
    flat, shift = _whole([v for row in distinct for v in row])
    vectors, start = [], 0
    for row in distinct:
        vectors.append(flat[start : start + len(row)])
        start += len(row)
    return _Scaled(vectors, kind_of, shift)


def _units(total: int, shift: int, quantum: Decimal, per: int) -> int:
    """A scaled total in whole `quantum`s, rounded half-even (Python's round)."""
    return round(Fraction(total, 10**shift * per) / Fraction(quantum))


def split_alike(total: int, scaled: Sequence[int], keys: Sequence[str]) -> list[int]:
    """`money.split_scaled` (the same parts, ties alike) for many parts of few distinct
    weights (the reps of an org, a few hundred kinds): each distinct weight's share and
    remainder computed once, and only the weights at the cut ranked by key."""
    weight_sum = sum(scaled)
    if weight_sum == 0:
        return split_scaled(total, scaled, keys)
    alike: dict[int, list[int]] = {}  # weight -> the parts that have it, in order
    for i, w in enumerate(scaled):
        alike.setdefault(w, []).append(i)
    share = {w: total * w // weight_sum for w in alike}
    parts = [share[w] for w in scaled]
    leftover = total - sum(share[w] * len(members) for w, members in alike.items())
    # the remainders, ranked: largest first, then the larger weight, then the smaller key
    for w in sorted(alike, key=lambda w: (-(total * w % weight_sum), -w)):
        if leftover <= 0:
            break
        members = alike[w]
        if len(members) > leftover:
            members = sorted(members, key=lambda i: keys[i])[:leftover]
        for i in members:
            parts[i] += 1
        leftover -= len(members)
    return parts


def carve(
    values: Sequence[Decimal], keys: Sequence[str], quantum: Decimal, per: int = 1
) -> tuple[Decimal, list[Decimal]]:
    """(The total of `values` rounded once, half-even, to `quantum`; each value carved from
    it by largest remainder, ties to the larger value, then the smaller key.)"""
    weights, shift = _whole(values)
    units = _units(sum(weights), shift, quantum, per)
    return units * quantum, [p * quantum for p in split_alike(units, weights, keys)]


class CarvedTable(NamedTuple):
    total: Decimal  # the exact total, rounded once
    columns: list[Decimal]  # per period: carved from the total
    rows: list[Decimal]  # per row: carved from the total
    cells: list[tuple[Decimal, ...]]  # per row and period: adding up to both
    fitted: bool  # False: no cells add up to both; the columns are then the cells' sums
    exact_total: Decimal  # the sum of the figures, exact


def carve_table(
    rows: Sequence[Sequence[Decimal]],
    keys: Sequence[str],
    labels: Sequence[str],
    quantum: Decimal,
    per: int = 1,
) -> CarvedTable:
    """Rows of figures per period (`labels`), non-negative, carved into a table that adds up.

    The total is rounded once; the rows and the columns are each carved from it by largest
    remainder. A cell's exact share is its figure's part of that rounded total (its figure
    x total / exact total): the cell is that share rounded down, plus one unit for the
    largest remainders of its row, as many as the row needs. The columns then rarely add up:
    units move within rows, from the periods that have too many to those that have too few,
    along the cheapest chains of moves (a move costs the remainder given up less the one
    gained), so every cell stays its share rounded down or up, and no cell of a period
    without a figure is ever filled. When no such cells exist (rounding ties between rows
    with no period in common), the columns are the sums of the cells."""
    width = len(labels)
    scaled = _scaled(rows)
    counts = [0] * len(scaled.vectors)
    for kind in scaled.kind_of:
        counts[kind] += 1
    sums = [sum(v) for v in scaled.vectors]
    exact_total = sum(sums[k] * n for k, n in enumerate(counts))
    exact_columns = [
        sum(v[j] * n for v, n in zip(scaled.vectors, counts) if n) for j in range(width)
    ]
    units = _units(exact_total, scaled.shift, quantum, per)
    totals = split_alike(units, [sums[k] for k in scaled.kind_of], keys)
    columns = split_scaled(units, exact_columns, labels) if width else []
    exact = Decimal(exact_total).scaleb(-scaled.shift, WIDE)
    if exact_total == 0:  # nothing to carve: every figure is 0
        zero = tuple([0 * quantum] * width)
        shown = [c * quantum for c in columns]
        totals_shown = [t * quantum for t in totals]
        return CarvedTable(units * quantum, shown, totals_shown, [zero] * len(rows), True, exact)
    cells, fitted = _Cells(scaled, counts, totals, units, exact_total, keys).fit(columns)
    if not fitted:
        columns = [sum(column) for column in zip(*cells)]
    quantized: dict[int, tuple[Decimal, ...]] = {}  # rows alike share their cells
    for c in cells:
        if id(c) not in quantized:
            quantized[id(c)] = tuple([v * quantum for v in c])
    return CarvedTable(
        units * quantum,
        [c * quantum for c in columns],
        [t * quantum for t in totals],
        [quantized[id(c)] for c in cells],
        fitted,
        exact,
    )


class _Cells:
    """The cells of a carved table, row by row: each cell's share rounded down, plus one
    unit on as many of the row's largest remainders as the row has units left (its extras).
    Rows alike (the same figures, the same extras) form one class and move together."""

    def __init__(
        self,
        scaled: _Scaled,
        counts: list[int],
        totals: list[int],
        units: int,
        exact_total: int,
        keys: Sequence[str],
    ) -> None:
        self.width = width = len(scaled.vectors[0])
        self.floors = [[units * v // exact_total for v in row] for row in scaled.vectors]
        self.remainders = [[units * v % exact_total for v in row] for row in scaled.vectors]
        # ties between remainders go to the larger figure, then the earlier period
        ranked = [
            sorted((j for j in range(width) if rem[j]), key=lambda j: (-rem[j], -row[j], j))
            for rem, row in zip(self.remainders, scaled.vectors)
        ]
        self.order = sorted(range(len(keys)), key=keys.__getitem__)  # rows by key
        self.rank = [0] * len(counts)  # a kind's rank: that of its first row by key
        seen: set[int] = set()
        for position, row in enumerate(self.order):
            kind = scaled.kind_of[row]
            if kind not in seen:
                seen.add(kind)
                self.rank[kind] = position
        # a class: (kind, mask of the periods holding an extra) -> its rows' positions by key
        self.classes: dict[tuple[int, int], list[int]] = {}
        floored = [sum(floors) for floors in self.floors]
        masks: dict[tuple[int, int], int] = {}  # (kind, extras) -> mask
        for position, row in enumerate(self.order):
            kind = scaled.kind_of[row]
            extras = totals[row] - floored[kind]
            mask = masks.get((kind, extras))
            if mask is None:
                mask = masks[kind, extras] = sum(1 << j for j in ranked[kind][:extras])
            self.classes.setdefault((kind, mask), []).append(position)
        self.counts = counts
        self.moves: list[list[list[tuple[int, int, int, int]]]] = [
            [[] for _ in range(width)] for _ in range(width)
        ]  # [a][b]: a heap of (cost, rank, mask, kind) of the classes that can move a -> b
        for kind, mask in self.classes:
            self._offer(kind, mask)

    def _offer(self, kind: int, mask: int) -> None:
        """Put a class's moves on offer: an extra from a period that has one to a period
        with a remainder that has none, at the cost of the remainder given up less the one
        gained (in units of 1 / the exact total)."""
        rem = self.remainders[kind]
        given = [a for a in range(self.width) if mask >> a & 1]
        taken = [b for b in range(self.width) if rem[b] and not mask >> b & 1]
        rank = self.rank[kind]
        for a in given:
            for b in taken:
                heapq.heappush(self.moves[a][b], (rem[a] - rem[b], rank, mask, kind))

    def _cheapest(self, a: int, b: int) -> tuple[int, int, int, int] | None:
        offers = self.moves[a][b]
        while offers and not self.classes.get((offers[0][3], offers[0][2])):
            heapq.heappop(offers)  # a class whose rows have all moved on
        return offers[0] if offers else None

    def surplus(self, columns: Sequence[int]) -> list[int]:
        """Per period, the extras its cells hold less those its column needs."""
        surplus = [-c for c in columns]
        for (kind, mask), members in self.classes.items():
            n = len(members)
            for j, floor in enumerate(self.floors[kind]):
                surplus[j] += n * (floor + (mask >> j & 1))
        return surplus

    def fit(self, columns: Sequence[int]) -> tuple[list[tuple[int, ...]], bool]:
        """The cells, per row, with every column adding up to `columns` (True), or as close
        as moves within rows allow (False)."""
        surplus = self.surplus(columns)
        exact = True
        while any(s > 0 for s in surplus):
            path = self._path(surplus)
            if path is None:
                exact = False
                break
            self._move(path, surplus)
        return self._cells(), exact

    def _path(self, surplus: list[int]) -> list[tuple[int, int, tuple[int, int, int, int]]] | None:
        """The cheapest chain of moves from a period with too many extras to one with too
        few (Bellman-Ford over the periods; no chain of moves back and forth costs less than
        nothing, as each row starts on its largest remainders)."""
        width = self.width
        offers = [[self._cheapest(a, b) for b in range(width)] for a in range(width)]
        dist: list[int | None] = [0 if s > 0 else None for s in surplus]
        via: list[tuple[int, tuple[int, int, int, int]] | None] = [None] * width
        for _ in range(width):
            changed = False
            for a in range(width):
                start = dist[a]
                if start is None:
                    continue
                for b, offer in enumerate(offers[a]):
                    if offer is not None:
                        cost = start + offer[0]
                        known = dist[b]
                        if known is None or cost < known:
                            dist[b], via[b], changed = cost, (a, offer), True
            if not changed:
                break
        ends = [(d, b) for b, d in enumerate(dist) if d is not None and surplus[b] < 0]
        if not ends:
            return None
        node = min(ends)[1]
        path: list[tuple[int, int, tuple[int, int, int, int]]] = []
        while (step := via[node]) is not None:
            assert len(path) < width, "a chain of moves that costs less than nothing"
            path.append((step[0], node, step[1]))
            node = step[0]
        return path[::-1]

    def _move(
        self, path: list[tuple[int, int, tuple[int, int, int, int]]], surplus: list[int]
    ) -> None:
        """Move as many units along `path` as its ends and its classes allow: each class
        on it gives its last rows by key (a class on two moves gives the same rows to both:
        they share no period)."""
        source, sink = path[0][0], path[-1][1]
        flips: dict[tuple[int, int], int] = {}
        for a, b, (_, _, mask, kind) in path:
            flips[(kind, mask)] = flips.get((kind, mask), mask) & ~(1 << a) | (1 << b)
        count = min(surplus[source], -surplus[sink], *(len(self.classes[c]) for c in flips))
        leaving = {}
        for key in flips:
            members = self.classes[key]
            leaving[key] = members[len(members) - count :]
            del members[len(members) - count :]
        for (kind, mask), moved in leaving.items():
            target = self.classes.setdefault((kind, flips[(kind, mask)]), [])
            offered = bool(target)
            target.extend(moved)
            target.sort()
            if not offered:
                self._offer(kind, flips[(kind, mask)])
        surplus[source] -= count
        surplus[sink] += count

    def _cells(self) -> list[tuple[int, ...]]:
        cells: list[tuple[int, ...]] = [()] * len(self.order)
        for (kind, mask), members in self.classes.items():
            row = tuple(f + (mask >> j & 1) for j, f in enumerate(self.floors[kind]))
            for position in members:
                cells[self.order[position]] = row
        return cells
