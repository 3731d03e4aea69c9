"""Shown figures that add up (docs/design.md, "Capacity", "Exact until shown"): a table of
exact figures by rows and periods carved into whole units, properties and edge cases."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from salesplan.carving import carve, carve_table, exact_sum, split_alike
from salesplan.money import split_scaled

CENT = Decimal("0.01")
FIGURES = st.one_of(
    st.just(Decimal(0)),
    st.sampled_from([Decimal("0.005"), Decimal("0.004"), Decimal("0.5"), Decimal("33.333333")]),
    st.integers(0, 10**8).map(lambda n: Decimal(n) / 7),
    st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-3)),
)


@st.composite
def tables(draw) -> tuple[list[tuple[Decimal, ...]], int]:
    """Rows of figures per period; rows alike share one tuple, as reps alike do."""
    width = draw(st.sampled_from([1, 2, 4, 12]))
    kinds = draw(st.lists(st.tuples(*[FIGURES] * width), min_size=1, max_size=4))
    rows = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=9))
    return rows, width


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from([1, 12]), st.randoms(use_true_random=False))
def test_a_carved_table_adds_up(table, per, rng) -> None:
    rows, width = table
    keys = [f"rep{i}" for i in range(len(rows))]
    labels = [f"M{j + 1:02d}" for j in range(width)]
    carved = carve_table(rows, keys, labels, CENT, per)
    exact = sum(Fraction(v) for row in rows for v in row)
    assert Fraction(carved.exact_total) == exact
    assert carved.total == round(exact / per / Fraction(CENT)) * CENT  # half-even, once
    assert sum(carved.rows) == sum(carved.columns) == carved.total
    for row, total, cells in zip(rows, carved.rows, carved.cells):
        assert sum(cells) == total
        for figure, cell in zip(row, cells):
            share = Fraction(figure) * Fraction(carved.total) / exact if exact else Fraction(0)
            units = share / Fraction(CENT)
            assert math.floor(units) <= cell / CENT <= math.ceil(units)
            assert figure or not cell  # nothing where there is no figure
    for j, column in enumerate(carved.columns):
        assert sum(cells[j] for cells in carved.cells) == column
    if carved.fitted:  # the columns are carved from the total, as the rows are
        columns = [exact_sum([r[j] for r in rows]) for j in range(width)]
        assert carved.columns == carve(columns, labels, CENT, per)[1]
        assert carved.rows == carve([exact_sum(r) for r in rows], keys, CENT, per)[1]
    # the order of the rows changes nothing
    order = list(range(len(rows)))
    rng.shuffle(order)
    again = carve_table([rows[i] for i in order], [keys[i] for i in order], labels, CENT, per)
    assert again.columns == carved.columns
    assert [
        again.cells[k] for k in sorted(range(len(order)), key=order.__getitem__)
    ] == carved.cells


def test_reps_alike_differ_by_a_unit_at_most() -> None:
    # three reps with a third of a cent in each of two periods: the year is 2 cents, carved
    # 1 + 1 + 0 over the reps and 1 + 1 over the periods; no rep gets both
    third = Decimal(1) / 300
    row = (third, third)
    carved = carve_table([row, row, row], ["a", "b", "c"], ["Q1", "Q2"], CENT)
    assert carved.rows == [CENT, CENT, 0]
    assert carved.columns == [CENT, CENT]
    assert carved.cells == [(CENT, 0), (0, CENT), (0, 0)]
    assert carved.fitted


def test_a_table_that_cannot_add_up_both_ways() -> None:
    # half a cent each: a works only in Q2, b only in Q1. The cent of the year goes to a (tie:
    # the smaller id) and, among the periods, to Q1 (the earlier): a's cent can only be in
    # Q2. The periods then are the sums of the reps'.
    half = Decimal("0.005")
    carved = carve_table([(Decimal(0), half), (half, Decimal(0))], ["a", "b"], ["Q1", "Q2"], CENT)
    assert carved.rows == [CENT, 0]
    assert carved.cells == [(0, CENT), (0, 0)]
    assert carved.columns == [0, CENT]
    assert not carved.fitted


def test_no_figures_at_all() -> None:
    carved = carve_table([(Decimal(0),) * 4] * 3, ["a", "b", "c"], ["Q1", "Q2", "Q3", "Q4"], CENT)
    assert carved.total == 0 and carved.rows == [0] * 3 and carved.columns == [0] * 4
    assert carved.cells == [(0,) * 4] * 3


def test_a_big_table_of_reps_alike_is_fast_enough() -> None:
    # 20,000 reps of 40 kinds over 12 months: the moves are made by classes of reps alike
    rng = random.Random(7)
    kinds = [tuple(Decimal(rng.randint(0, 10**9)) / 7 for _ in range(12)) for _ in range(40)]
    rows = [rng.choice(kinds) for _ in range(20_000)]
    carved = carve_table(
        rows, [f"r{i:05d}" for i in range(20_000)], [f"M{m}" for m in range(12)], CENT
    )
    assert carved.fitted
    assert [sum(c[j] for c in carved.cells) for j in range(12)] == carved.columns


def test_figures_written_with_an_exponent() -> None:
    """`1.2E+6` (YAML `1.2e6`, Excel's `1.0E+05`) is a whole number: no float, no crash."""
    total, parts = carve([Decimal("1.2E+6"), Decimal("6E+5")], ["a", "b"], Decimal("0.01"))
    assert (total, parts) == (Decimal("1800000.00"), [Decimal("1200000.00"), Decimal("600000.00")])
    assert exact_sum([Decimal("1E+3"), Decimal("0.5")]) == Decimal("1000.5")


@settings(max_examples=500, deadline=None)
@given(
    st.integers(0, 10**6),
    st.lists(st.sampled_from([0, 1, 2, 3, 7, 10**9, 10**12 + 1]), min_size=1, max_size=30),
    st.randoms(use_true_random=False),
)
def test_splitting_weights_alike_is_the_largest_remainder_split(total, weights, rng) -> None:
    """`split_alike` (one share per distinct weight) gives the parts `split_scaled` gives,
    ties at the cut to the smaller key whatever the order of the keys."""
    keys = [f"rep{i:03d}" for i in range(len(weights))]
    rng.shuffle(keys)
    assert split_alike(total, weights, keys) == split_scaled(total, weights, keys)
