"""Top-down allocation (docs/design.md, "Money and rounding"): properties over random plans, worked examples,
`--explain`, the JSON shape, the allocation diagnostics and golden files of the example."""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from plans import PlanSpec, materialise, plan_specs
from salesplan import load_plan
from salesplan.allocate import allocate, explain
from salesplan.cli import app
from salesplan.fiscal import exact_sum, fraction_of_year
from salesplan.fiscal import productivity as fiscal_productivity
from salesplan.money import (
    ranked,
    round_to_unit,
    split_amount,
    split_in_order,
    split_ranked,
    split_units,
)
from salesplan.productivity import Productivity
from salesplan.quotas import quotas_yaml

GOLDEN = Path(__file__).parent / "golden"
SAME_DIGEST = "sha256:" + "0" * 64
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def clean_plan(folder: Path):
    loaded = load_plan(folder)
    assert [str(d) for d in loaded.diagnostics] == []
    assert loaded.plan is not None
    return loaded.plan


def amounts(allocation) -> dict[str, Decimal]:
    return {n.id: n.total for n in allocation.nodes}


def periods_of(allocation) -> dict[str, tuple[Decimal, ...]]:
    return {n.id: n.periods for n in allocation.nodes}


def D(*values: str | int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


# ---- properties over generated plans (STYLE item 10)


def _month_index(fy_start: date, day: date) -> int:
    return (day.year - fy_start.year) * 12 + day.month - fy_start.month


@PROPERTY
@given(plan_specs())
def test_allocation_arithmetic_holds_on_random_plans(spec: PlanSpec) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plan = clean_plan(materialise(spec.files(), folder))
    result = allocate(plan)
    assert result.diagnostics == []
    unit = plan.unit

    # asked one node at a time, in any order, before the whole list: the same quotas
    lazy = allocate(plan)
    asked = {n.id: lazy.periods_of(n.id) for n in reversed(list(plan.tree.top_down()))}
    assert lazy.totals() == {n.id: n.total for n in result.nodes}
    assert asked == {n.id: n.periods for n in result.nodes}
    # `nodes` phases in one walk by the totals in units: the same digits as node by node
    assert {k: list(map(str, v or ())) for k, v in asked.items()} == {
        n.id: list(map(str, n.periods)) for n in result.nodes
    }
    assert lazy.periods_of("nobody") is None
    nodes = result.by_id()
    over = {level.name: level.over_assign for level in plan.settings.levels}

    # the root carries the target rounded (half-even) to the unit
    assert result.nodes[0].total == round_to_unit(plan.settings.target, unit)
    # every node of the org is there, once, parents before children
    assert len(nodes) == len(result.nodes) == 1 + len(plan.org.units) + len(plan.org.reps)
    seen: set[str] = set()
    for node in result.nodes:
        assert node.parent is None or node.parent in seen
        seen.add(node.id)

    children: dict[str, list] = {}
    for node in result.nodes[1:]:
        children.setdefault(node.parent, []).append(node)
    for parent_id, family in children.items():
        pool = round_to_unit(nodes[parent_id].total * (1 + over[family[0].level]), unit)
        assert sum(c.total for c in family) == pool, parent_id

    pins = {u.id: u.quota for u in plan.org.units if u.quota is not None}
    pins |= {r.id: r.quota for r in plan.org.reps if r.quota is not None}
    for node in result.nodes:
        assert node.pinned == (node.id in pins)
        if node.id in pins:
            assert node.total == pins[node.id]
        assert node.total >= 0
        assert all(p >= 0 for p in node.periods)
        assert len(node.periods) == len(plan.periods)
        assert sum(node.periods) == node.total
        assert node.total % unit == 0
        assert all(p % unit == 0 for p in node.periods)

    months_per_period = 12 // len(plan.periods)
    fy_start = plan.settings.fiscal_year.start
    for rep in plan.org.reps:
        phased = nodes[rep.id].periods
        for i, amount in enumerate(phased):
            first, last = i * months_per_period, (i + 1) * months_per_period - 1
            if rep.start is not None and last < _month_index(fy_start, rep.start):
                assert amount == 0, (rep.id, "before start", i)
            if rep.end is not None and first > _month_index(fy_start, rep.end):
                assert amount == 0, (rep.id, "after end", i)

    # --explain tells the same story as the allocation
    rep = random.Random(len(result.nodes)).choice(plan.org.reps)
    why = explain(plan, result, rep.id)
    assert [s.child for s in why.steps] == plan.tree.chain(rep.id)[1:]
    for step in why.steps:
        assert step.result == nodes[step.child].total
        assert step.family.pool == round_to_unit(
            nodes[step.family.parent].total * (1 + step.family.over_assign), unit
        )


@PROPERTY
@given(plan_specs())
def test_reps_kind_by_kind_are_every_node_by_definition(spec: PlanSpec) -> None:
    """`Productivity.kinds` groups the tree's reps by their own (start, end, ramp, profile);
    time on board and capacity are then handed out a kind at a time. Node by node, from the
    calendar: a rep's own figures, a unit's from its children."""
    with tempfile.TemporaryDirectory() as folder:
        plan = clean_plan(materialise(spec.files(), folder))
    productivity, tree, reps = Productivity(plan), plan.tree, plan.reps_by_id
    kinds = productivity.kinds
    listed = [rep_id for ids in kinds.values() for rep_id in ids]
    assert sorted(listed) == sorted(n.id for n in tree.top_down() if n.is_rep)
    for own, ids in kinds.items():
        assert {productivity.own(reps[rep_id]) for rep_id in ids} == {own}
        assert ids == sorted(ids, key=tree.order_index.__getitem__)
    assert tree.units == [n for n in tree.top_down() if not n.is_rep]
    # `split_family` breaks ties by position: siblings are listed by id
    assert all(n.children == sorted(n.children) for n in tree.units)

    def has_reps(node_id: str) -> bool:
        node = tree[node_id]
        return node.is_rep or any(has_reps(c) for c in node.children)

    def on_board(node_id: str) -> bool:
        node = tree[node_id]
        if node.is_rep:
            rep = reps[node_id]
            return fraction_of_year(plan.calendar.on_board(rep.start, rep.end)) > 0
        return any(on_board(c) for c in node.children) or not has_reps(node_id)

    def capacity(node_id: str) -> Fraction:
        node = tree[node_id]
        if not node.is_rep:
            return sum((capacity(c) for c in node.children), Fraction(0))
        rep = reps[node_id]
        ramp = productivity.ramp_of(rep)
        months = sum(fiscal_productivity(plan.calendar, rep.start, rep.end, ramp), Fraction(0))
        full = productivity.full_quota(rep) if plan.settings.capacity.profiles else None
        return months * Fraction(full) if full else months

    assert productivity.node_on_board == {n: on_board(n) for n in tree.nodes}
    assert productivity.node_capacity == {n: capacity(n) for n in tree.nodes}


@PROPERTY
@given(plan_specs(), st.randoms(use_true_random=False))
def test_order_of_entries_changes_no_byte(spec: PlanSpec, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        first = clean_plan(materialise(spec.files(), a))
        shuffled = clean_plan(materialise(spec.files(rng), b))
        # The digest covers the file bytes, so it differs; everything else must not.
        assert quotas_yaml(first.allocation, SAME_DIGEST) == quotas_yaml(
            shuffled.allocation, SAME_DIGEST
        )


RUNNER = CliRunner()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_specs())
def test_allocate_write_then_check_is_clean(spec: PlanSpec) -> None:
    with tempfile.TemporaryDirectory() as folder:
        materialise(spec.files(), folder)
        written = RUNNER.invoke(app, ["allocate", folder, "--write"], catch_exceptions=False)
        assert written.exit_code == 0, written.stderr
        assert (Path(folder) / "quotas.yaml").is_file()
        checked = RUNNER.invoke(app, ["check", folder], catch_exceptions=False)
        assert (checked.exit_code, checked.stdout, checked.stderr) == (0, "", "")


# ---- worked examples

# Wikipedia, "Largest remainder method", section "Examples" (Hare quota): 100,000 votes for 10
# seats, so the Hare quota is 10,000 votes a seat. Yellows 47,000, Whites 16,000, Reds 15,800,
# Greens 12,000, Blues 6,100, Pinks 3,100 -> quotas 4.70, 1.60, 1.58, 1.20, 0.61, 0.31 ->
# automatic seats 4, 1, 1, 1, 0, 0 (7) -> the 3 seats left go to the largest remainders
# 0.70 (Yellows), 0.61 (Blues), 0.60 (Whites) -> 5, 2, 1, 1, 1, 0.
PARTIES = {
    "yellows": 47_000,
    "whites": 16_000,
    "reds": 15_800,
    "greens": 12_000,
    "blues": 6_100,
    "pinks": 3_100,
}
SEATS = {"yellows": 5, "whites": 2, "reds": 1, "greens": 1, "blues": 1, "pinks": 0}


def test_largest_remainder_textbook_example() -> None:
    assert split_units(10, list(PARTIES.values()), list(PARTIES)) == list(SEATS.values())
    # the same in money: 10 dollars by votes, and in cents
    assert split_amount(Decimal(10), list(PARTIES.values()), list(PARTIES), Decimal(1)) == list(
        D(5, 2, 1, 1, 1, 0)
    )
    cents = split_amount(Decimal(10), list(PARTIES.values()), list(PARTIES), Decimal("0.01"))
    # 1000 cents: 470, 160, 158, 120, 61, 31 exactly, nothing left over
    assert cents == list(D("4.70", "1.60", "1.58", "1.20", "0.61", "0.31"))


def _largest_remainder_by_the_book(total: int, weights: list, keys: list[str]) -> list[int]:
    """The rule as the docs state it, in fractions: floors of the exact shares, then one
    unit each to the largest remainders, ties to the larger weight, then the smaller key."""
    exact = [Fraction(w) for w in weights]
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(weights)
    shares = [total * w / sum(exact) for w in exact]
    parts = [math.floor(s) for s in shares]
    ranked = sorted(range(len(parts)), key=lambda i: (parts[i] - shares[i], -exact[i], keys[i]))
    for i in ranked[: total - sum(parts)]:
        parts[i] += 1
    return parts


# a weight and its key: small whole weights (many ties), decimals and fractions
WEIGHTED = st.tuples(
    st.one_of(
        st.integers(0, 4),
        st.decimals(0, 10**6, places=2),
        st.fractions(0, 50, max_denominator=12),
    ),
    st.sampled_from("abcdefgh"),
)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, 10**12),
    st.lists(
        WEIGHTED,
        min_size=1,
        max_size=14,
    ),
)
def test_largest_remainder_is_the_documented_rule(total: int, weighted: list) -> None:
    weights, keys = [w for w, _ in weighted], [k for _, k in weighted]
    parts = split_units(total, weights, keys)
    assert sum(parts) == total
    assert parts == _largest_remainder_by_the_book(total, weights, keys)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.integers(-(10**6), 10**12), min_size=1, max_size=4),
    st.lists(
        WEIGHTED,
        max_size=14,
    ),
)
def test_ranked_split_is_split_units(totals: list[int], weighted: list) -> None:
    """Weights ranked once (a node's periods, split for many totals) split every total as
    `split_units` does: ties, all-zero weights, equal keys and negative totals alike."""
    weights, keys = [w for w, _ in weighted], [k for _, k in weighted]
    once = ranked(weights, keys)
    for total in totals:
        assert split_ranked(total, once) == split_units(total, weights, keys)


@settings(max_examples=400, deadline=None)
@given(st.integers(-(10**6), 10**12), st.lists(WEIGHTED, max_size=14))
def test_split_in_order_is_split_units_by_ascending_keys(total: int, weighted: list) -> None:
    """A family's children are listed by id: with the keys in ascending order, the position
    breaks ties as the key does (ties of remainder and weight, all-zero weights, equal
    keys, Fractions, Decimals and negative totals alike)."""
    weighted = sorted(weighted, key=lambda pair: pair[1])
    weights, keys = [w for w, _ in weighted], [k for _, k in weighted]
    assert split_in_order(total, weights) == split_units(total, weights, keys)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(0, 3), st.fractions(0, 2, max_denominator=31)),
        max_size=12,
    )
)
def test_exact_sum_is_sum(values: list) -> None:
    """Months on board or of productivity summed over one denominator: the number and the
    type (an int when every value is one) `sum` gives."""
    found, expected = exact_sum(values), sum(values, 0)
    assert found == expected
    assert type(found) is type(expected)


def test_largest_remainder_textbook_example_as_a_plan(write_tree) -> None:
    reps = "".join(
        f"  - {{id: {name}, metrics: {{history: {votes}}}}}\n" for name, votes in PARTIES.items()
    )
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Ten seats
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 10
                rounding: 1
                levels: [{name: rep, split: history}]
            """,
            "org.yaml": "reps:\n" + reps,
        }
    )
    result = clean_plan(folder).allocation
    assert amounts(result) == {"company": Decimal(10), **{k: Decimal(v) for k, v in SEATS.items()}}
    # Phasing by largest remainder too: 5 over four even quarters is 1.25 each -> 1, 1, 1, 1
    # and the one unit left goes to the tie broken by id (Q1); 2 -> 0.5 each -> Q1, Q2.
    phased = periods_of(result)
    assert phased["yellows"] == D(2, 1, 1, 1)
    assert phased["whites"] == D(1, 1, 0, 0)
    assert phased["reds"] == D(1, 0, 0, 0)
    assert phased["pinks"] == D(0, 0, 0, 0)


HAND_PLAN = {
    "salesplan.yaml": """
        salesplan: 1
        id: co
        name: Hand-computed plan
        currency: USD
        fiscal_year: {start: 2027-01-01, periods: month}
        target: 1_000_000
        seasonality: [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
        rounding: 1000
        levels:
          - {name: team, split: {history: 3, potential: 2}, over_assign: 0.12}
          - {name: rep, split: even, over_assign: 0.05}
    """,
    "org.yaml": """
        units:
          - {id: east, level: team, metrics: {history: 500, potential: 100}}
          - {id: west, level: team, metrics: {history: 250, potential: 150}}
          - {id: north, level: team, metrics: {history: 250, potential: 250}}
        reps:
          - {id: a, parent: east, quota: 100_000}
          - {id: b, parent: east}
          - {id: c, parent: east}
          - {id: d, parent: west}
          - {id: e, parent: north}
          - {id: f, parent: north, start: 2027-07-01}
    """,
}


def test_hand_computed_plan(write_tree) -> None:
    result = clean_plan(write_tree(HAND_PLAN)).allocation
    # Teams: blend {history: 3, potential: 2} -> beta 0.6 / 0.4 after normalising.
    #   history shares  east 500/1000 = .50, west .25, north .25
    #   potential shares east 100/500 = .20, west .30, north .50
    #   blended: east .6*.5 + .4*.2 = .38, west .15 + .12 = .27, north .15 + .20 = .35
    #   pool 1,000,000 x 1.12 = 1,120,000 = 1120 units of 1000
    #   exact 425.6, 302.4, 392.0 units -> floors 425 + 302 + 392 = 1119; the unit left goes
    #   to the largest remainder (east .6) -> east 426,000, west 302,000, north 392,000.
    # Reps (even, +5%):
    #   east: 426,000 x 1.05 = 447,300 -> pool 447,000 (rounded to 1000, half-even);
    #     pin a 100,000 taken out -> 347,000 = 347 units for b, c: 173.5 each -> 173 + 173,
    #     the unit left is a tie (same remainder, same weight) broken by id -> b 174,000.
    #   west: 302,000 x 1.05 = 317,100 -> d 317,000.
    #   north: 392,000 x 1.05 = 411,600 -> 412,000. f starts 2027-07-01: 6/12 of the year
    #     on board, so the even weights are prorated 1 : 0.5 -> 274.67 and 137.33 units ->
    #     274 + 137, the unit left to the larger remainder -> e 275,000, f 137,000.
    assert amounts(result) == {
        "co": Decimal(1_000_000),
        "east": Decimal(426_000), "a": Decimal(100_000), "b": Decimal(174_000), "c": Decimal(173_000),
        "north": Decimal(392_000), "e": Decimal(275_000), "f": Decimal(137_000),
        "west": Decimal(302_000), "d": Decimal(317_000),
    }  # fmt: skip
    assert [n.id for n in result.nodes] == [
        "co",
        "east",
        "a",
        "b",
        "c",
        "north",
        "e",
        "f",
        "west",
        "d",
    ]
    assert [n.id for n in result.nodes if n.pinned] == ["a"]
    k = Decimal(1000)
    phased = {node: tuple(p / k for p in values) for node, values in periods_of(result).items()}
    # Monthly seasonality 2,1,...,1,2 (sum 14). co: 1000 units -> 142.86 / 71.43 -> floors
    # 2x142 + 10x71 = 994; 6 left: remainders 12/14 (M01, M12) then 6/14 ties by id (M02-M05).
    assert phased["co"] == D(143, 72, 72, 72, 72, 71, 71, 71, 71, 71, 71, 143)
    # a (pinned 100 units): 14.29 / 7.14 -> 2x14 + 10x7 = 98; 2 left -> M01, M12 (4/14).
    assert phased["a"] == D(15, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 15)
    # e 275 units: 39.29 / 19.64 -> 2x39 + 10x19 = 268; 7 left: the weight-1 months have the
    # larger remainder (9/14 against 4/14), so M02-M08 get them, not M01/M12.
    assert phased["e"] == D(39, 20, 20, 20, 20, 20, 20, 20, 19, 19, 19, 39)
    # f starts 2027-07-01 (M07): weights 1,1,1,1,1,2 over M07-M12 (sum 7); 137 units ->
    # 19.57 / 39.14 -> 5x19 + 39 = 134; 3 left: M07, M08, M09 (4/7 beats 1/7).
    assert phased["f"] == D(0, 0, 0, 0, 0, 0, 20, 20, 20, 19, 19, 39)
    # d 317: 45.29 / 22.64 -> 90 + 220 = 310; 7 left -> M02..M08 (9/14 beats 4/14)
    assert phased["d"] == D(45, 23, 23, 23, 23, 23, 23, 23, 22, 22, 22, 45)


def test_jpy_has_no_decimals(write_tree, cli) -> None:
    reps = "".join(f"  - {{id: r{i}}}\n" for i in range(1, 8))
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Tokyo
                currency: JPY
                fiscal_year: {start: 2027-04-01}
                target: 123_456_789
                levels: [{name: rep, split: even}]
            """,
            "org.yaml": "reps:\n" + reps,
        }
    )
    plan = clean_plan(folder)
    assert plan.unit == 1
    # 123,456,789 yen / 7 = 17,636,684.14: floors sum to 123,456,788, the yen left over goes
    # to the first id (a tie on remainder and weight).
    totals = amounts(plan.allocation)
    assert totals["r1"] == 17_636_685
    assert all(totals[f"r{i}"] == 17_636_684 for i in range(2, 8))
    # r1 over four quarters: 4,409,171.25 each -> the one yen left goes to Q1
    assert plan.allocation.by_id()["r1"].periods == D(4_409_172, 4_409_171, 4_409_171, 4_409_171)
    doc = json.loads(cli("allocate", folder, "--format", "json").stdout)
    assert doc["currency"] == "JPY"
    assert doc["nodes"][0]["total"] == "123456789"
    assert doc["nodes"][1]["periods"] == ["4409172", "4409171", "4409171", "4409171"]
    assert cli("allocate", folder, "--write").exit_code == 0
    assert (
        "total: 17636685, periods: [4409172, 4409171, 4409171, 4409171]}"
        in (folder / "quotas.yaml").read_text()
    )


KWD_PLAN = """
    salesplan: 1
    name: Kuwait
    currency: KWD
    fiscal_year: {start: 2027-01-01}
    target: %s
    levels: [{name: rep, split: even}]
"""


def test_kwd_has_three_decimals(write_tree, cli) -> None:
    folder = write_tree(
        {"salesplan.yaml": KWD_PLAN % "100_000", "org.yaml": "reps: [{id: x}, {id: y}, {id: z}]\n"}
    )
    plan = clean_plan(folder)
    assert plan.unit == Decimal("0.001")
    # 100,000.000 KWD = 100,000,000 fils / 3 = 33,333,333.33 -> x gets the fils left over.
    assert amounts(plan.allocation) == {
        "company": Decimal("100000.000"),
        "x": Decimal("33333.334"),
        "y": Decimal("33333.333"),
        "z": Decimal("33333.333"),
    }
    # x: 33,333,334 fils / 4 = 8,333,333.5 -> 2 fils left, to Q1 and Q2 (ties by id)
    assert plan.allocation.by_id()["x"].periods == D("8333.334", "8333.334", "8333.333", "8333.333")
    doc = json.loads(cli("allocate", folder, "--format", "json").stdout)
    assert doc["nodes"][0]["total"] == "100000.000"
    assert doc["nodes"][1]["total"] == "33333.334"
    assert doc["nodes"][1]["periods"] == ["8333.334", "8333.334", "8333.333", "8333.333"]


@pytest.mark.parametrize(
    ("target", "root"),
    [("100000.005", "100000.000"), ("100000.015", "100000.020"), ("100000.025", "100000.020")],
)
def test_pool_is_rounded_half_even_to_the_unit(write_tree, target, root) -> None:
    # whole fils rounded to a unit of 10 fils (a target finer than the fils is SP412)
    plan = KWD_PLAN % target + "    rounding: 0.01\n"
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": "reps: [{id: x}]\n"})
    assert clean_plan(folder).allocation.nodes[0].total == Decimal(root)


def test_ties_go_to_the_larger_weight_then_the_smaller_id(write_tree) -> None:
    # exact 0.5 and 1.5 units: equal remainders; the larger weight (3) wins the unit
    assert split_units(2, [1, 3], ["b", "a"]) == [0, 2]
    assert split_units(2, [3, 1], ["a", "b"]) == [2, 0]
    # equal weights and remainders: the smaller id wins, wherever it stands
    assert split_units(1, [1, 1], ["b", "a"]) == [0, 1]
    assert split_units(3, [1, 1, 1, 1], ["d", "c", "b", "a"]) == [0, 1, 1, 1]
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Ties
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 3000
                rounding: 1000
                levels:
                  - {name: team, split: even}
                  - {name: rep, split: history}
            """,
            "org.yaml": """
                units:
                  - {id: zulu, level: team}
                  - {id: alpha, level: team}
                reps:
                  - {id: zed, parent: alpha, metrics: {history: 3}}
                  - {id: amy, parent: alpha, metrics: {history: 1}}
                  - {id: solo, parent: zulu, metrics: {history: 1}}
            """,
        }
    )
    totals = amounts(clean_plan(folder).allocation)
    # teams: 3 units evenly -> 1.5 each; the unit left goes to the smaller id, alpha
    assert (totals["alpha"], totals["zulu"]) == (Decimal(2000), Decimal(1000))
    # alpha's 2 units by history 1:3 -> 0.5 / 1.5; the tie goes to zed (weight 3), not amy
    assert (totals["zed"], totals["amy"]) == (Decimal(2000), Decimal(0))


# ---- --explain and the JSON shape


def test_explain_tells_why(write_tree, cli) -> None:
    folder = write_tree(HAND_PLAN)
    result = cli("allocate", folder, "--explain", "b")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for fragment in [
        "co -> east",  # each parent on the chain
        "east -> b",
        "team split: blend history 3, potential 2",
        "1,000,000 x (1 + 0.12) = 1,120,000.00, pool 1,120,000",
        "share 38.0% of 1,120,000 = 425,600.00 exactly",
        "426,000 (+400.00)",  # the rounding adjustment
        "426,000 x (1 + 0.05) = 447,300.00, pool 447,000",
        "pins taken out: a 100,000; 347,000 left to split",
        "weight 1 of 2 -> share 50.0% of 347,000 = 173,500.00 exactly",
        "174,000 (+500.00)",
        "M01: weight 2 (14.3%) -> 25,000",
    ]:
        assert fragment in text, fragment
    pinned = cli("allocate", folder, "--explain", "a").stdout
    assert "a is pinned at 100,000" in pinned
    late = cli("allocate", folder, "--explain", "f").stdout
    assert "M06: weight 0 " in late and "M07: weight 1 " in late


def test_explain_json_parses(write_tree, cli) -> None:
    folder = write_tree(HAND_PLAN)
    doc = json.loads(cli("allocate", folder, "--explain", "c", "--format", "json").stdout)
    assert (doc["id"], doc["total"]) == ("c", "173000.00")
    chain = doc["chain"]
    assert [(s["parent"], s["child"]) for s in chain] == [("co", "east"), ("east", "c")]
    assert chain[1]["pool"] == "447000.00"
    assert chain[1]["pins"] == {"a": "100000.00"}
    assert chain[1]["share"] == 0.5
    assert [p["amount"] for p in doc["phasing"]][:5] == [
        "25000.00",
        "13000.00",
        "13000.00",
        "13000.00",
        "12000.00",
    ]
    root = json.loads(cli("allocate", folder, "--explain", "co", "--format", "json").stdout)
    assert (root["total"], root["chain"]) == ("1000000.00", [])
    unknown = cli("allocate", folder, "--explain", "nobody")
    assert unknown.exit_code == 2 and "nobody" in unknown.stderr


def test_allocate_json_shape(write_tree, cli) -> None:
    folder = write_tree(HAND_PLAN)
    result = cli("allocate", folder, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # docs/design.md, "Plan files": {"currency", "periods", "nodes": [{"id", "level", "parent", "total", "periods",
    # "pinned"}]}; the code adds "source" and "over_assignment" at the top (see the report).
    assert {"currency", "periods", "nodes"} <= set(doc)
    assert doc["currency"] == "USD"
    assert doc["periods"] == [f"M{m:02d}" for m in range(1, 13)]
    for node in doc["nodes"]:
        assert list(node) == ["id", "level", "parent", "total", "periods", "pinned"]
    root, east, a = doc["nodes"][:3]
    assert root == {
        "id": "co",
        "level": "company",
        "parent": None,
        "total": "1000000.00",
        "periods": ["143000.00", *["72000.00"] * 4, *["71000.00"] * 6, "143000.00"],
        "pinned": False,
    }
    assert (east["id"], east["level"], east["parent"], east["total"]) == (
        "east",
        "team",
        "co",
        "426000.00",
    )
    assert (a["id"], a["parent"], a["total"], a["pinned"]) == ("a", "east", "100000.00", True)


# ---- diagnostics


def codes(folder: Path) -> list[str]:
    return [d.code for d in load_plan(folder).diagnostics]


PINNED_TOO_HIGH = {
    "salesplan.yaml": """
        salesplan: 1
        name: Too high
        currency: USD
        fiscal_year: {start: 2027-01-01}
        target: 100_000
        levels: [{name: rep, split: even, over_assign: 0.1}]
    """,
    "org.yaml": """
        reps:
          - id: a
          - id: b
            quota: 150_000
    """,
}


def test_pin_above_its_pool(write_tree, cli) -> None:
    folder = write_tree(PINNED_TOO_HIGH)
    [found] = load_plan(folder).diagnostics
    assert found.code == "SP413" and found.is_error
    # points at the pin's value: line 4, column 12 of org.yaml
    assert (Path(found.file).name, found.line, found.column) == ("org.yaml", 4, 12)
    assert "take 150,000, more than the pool of 110,000" in found.message
    result = cli("check", folder)
    assert result.exit_code == 1
    assert "org.yaml:4:12: SP413 " in result.stdout


def test_pins_that_leave_nothing_and_fill_nothing(write_tree) -> None:
    # every child pinned, but the pins do not add up to the pool
    folder = write_tree(
        {
            "salesplan.yaml": PINNED_TOO_HIGH["salesplan.yaml"],
            "org.yaml": "reps:\n  - {id: a, quota: 10_000}\n  - {id: b, quota: 20_000}\n",
        }
    )
    [found] = load_plan(folder).diagnostics
    assert (found.code, found.line) == ("SP413", 2)
    assert "unpin one child" in found.message


def test_all_zero_weights_warn_and_split_evenly(write_tree, cli) -> None:
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Zero
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 90_000
                levels:
                  - {name: team, split: history}
                  - {name: rep, split: history}
            """,
            "org.yaml": """
                units:
                  - {id: new, level: team, metrics: {history: 1}}
                  - {id: old, level: team}
                reps:
                  - {id: x, parent: new, metrics: {history: 0}}
                  - {id: y, parent: new, metrics: {history: 0}}
                  - {id: z, parent: new, metrics: {history: 0}}
                  - {id: w, parent: old, metrics: {history: 2}}
            """,
        }
    )
    loaded = load_plan(folder)
    [found] = loaded.diagnostics
    assert (found.code, found.severity.value, found.line) == ("SP414", "warning", 2)
    assert "'new'" in found.message and "evenly" in found.message
    totals = amounts(loaded.plan.allocation)
    assert totals["new"] == Decimal(30_000)
    assert totals["x"] == totals["y"] == totals["z"] == Decimal(10_000)
    assert cli("check", folder).exit_code == 0
    assert cli("check", folder, "--strict").exit_code == 1


def test_zero_capacity_under_a_capacity_split(write_tree) -> None:
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Capacity
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 100_000
                levels: [{name: rep, split: capacity}]
            """,
            "org.yaml": """
                reps:
                  - {id: now, start: 2020-01-01}
                  - {id: later, start: 2028-03-01, status: planned}
                  - {id: gone, start: 2019-01-01, end: 2026-06-30}
            """,
        }
    )
    loaded = load_plan(folder)
    found = [(d.code, d.severity.value, d.line) for d in loaded.diagnostics]
    # neither has a day on board: listed with 0 (SP422), not as a zero-capacity rep (SP417)
    assert found == [("SP422", "warning", 3), ("SP422", "warning", 4)]
    assert amounts(loaded.plan.allocation) == {
        "company": Decimal(100_000),
        "gone": Decimal(0),
        "later": Decimal(0),
        "now": Decimal(100_000),
    }


def test_rep_with_no_productive_month_carries_nothing_before_starting(write_tree) -> None:
    # Under an even split a rep hired in M11 on a three-month zero ramp has no capacity in
    # the year but gets a quota for their 2/12 of the year on board (weights 1 : 1/6 ->
    # 17,142.86 -> 17,143), phased over the months on board, never before them.
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Late
                currency: USD
                fiscal_year: {start: 2027-01-01, periods: month}
                target: 120_000
                rounding: 1
                levels: [{name: rep, split: even}]
                capacity: {ramp: {slow: [0, 0, 0, 0.5]}, default_ramp: slow}
            """,
            "org.yaml": "reps:\n  - {id: early, start: 2020-01-01}\n  - {id: late, start: 2027-11-01}\n",
        }
    )
    late = clean_plan(folder).allocation.by_id()["late"]
    assert late.total == 17_143
    assert late.periods == (Decimal(0),) * 10 + D(8_572, 8_571)


def test_pin_not_a_multiple_of_the_rounding(write_tree) -> None:
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Odd pin
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 100_000
                rounding: 1000
                levels: [{name: rep, split: even}]
            """,
            "org.yaml": "reps:\n  - id: a\n    quota: 1500\n  - id: b\n",
        }
    )
    [found] = load_plan(folder).diagnostics
    assert (found.code, found.line, found.column) == ("SP419", 3, 12)
    assert "1000" in found.message


def test_money_finer_than_the_currency_is_refused_where_it_is_given(write_tree) -> None:
    """Target, full quotas and OTEs (in org.yaml or reps.csv) are never rounded to the cent
    without a word (SP412); a pin finer than the cent is not a multiple of the rounding unit
    (SP419), in org.yaml and adjustments.yaml alike."""
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Sub-cent
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 100_000.005
                levels: [{name: rep, split: even}]
                capacity:
                  full_quota: 50_000.001
                  profiles: {smb: {full_quota: 40_000.1234}}
                files: {reps: reps.csv}
            """,
            "org.yaml": "units: []\n",
            "reps.csv": "id,ote_base,ote_variable,quota\na,60000.50,40000.125,\nb,,,1000.005\nc,,,\n",
            "adjustments.yaml": "pins:\n  - {id: c, quota: 20_000.001, reason: x}\n",
        }
    )
    found = [(d.code, Path(d.file).name, d.line, d.column) for d in load_plan(folder).diagnostics]
    assert found == [
        ("SP419", "adjustments.yaml", 2, 20),
        ("SP412", "reps.csv", 2, 12),
        ("SP419", "reps.csv", 3, 5),
        ("SP412", "salesplan.yaml", 5, 9),
        ("SP412", "salesplan.yaml", 8, 15),
        ("SP412", "salesplan.yaml", 9, 32),
    ]
    messages = [d.message for d in load_plan(folder).diagnostics if d.code == "SP412"]
    assert messages == [
        "variable OTE of 'a' 40000.125 has more decimals than USD has (2); write a multiple"
        " of 0.01, e.g. 40000.12 or 40000.13",
        "target 100000.005 has more decimals than USD has (2); write a multiple of 0.01,"
        " e.g. 100000.00 or 100000.01",
        "full_quota 50000.001 has more decimals than USD has (2); write a multiple of 0.01,"
        " e.g. 50000.00 or 50000.01",
        "full_quota of profile 'smb' 40000.1234 has more decimals than USD has (2); write a"
        " multiple of 0.01, e.g. 40000.12 or 40000.13",
    ]
    plan_file = folder / "salesplan.yaml"
    plan_file.write_text(
        plan_file.read_text()
        .replace("USD", "JPY")
        .replace("100_000.005", "100_000.5")
        .replace("50_000.001", "50_000")
        .replace("40_000.1234", "40_000")
    )
    (folder / "reps.csv").write_text("id,ote_base,ote_variable\na,60000.00,40000\nb,,\nc,,\n")
    (folder / "adjustments.yaml").unlink()
    [found] = load_plan(folder).diagnostics
    assert found.message == (
        "target 100000.5 has more decimals than JPY has (0); write a whole number,"
        " e.g. 100000 or 100001"
    )


def with_quotas(folder: Path, cli) -> Path:
    """The example with its quotas.yaml written as `salesplan allocate --write` does."""
    result = cli("allocate", folder, "--write")
    assert result.exit_code == 0, result.stderr
    assert codes(folder) == []
    return folder / "quotas.yaml"


def test_stale_quotas(example, cli) -> None:
    with_quotas(example, cli)
    settings_file = example / "salesplan.yaml"
    settings_file.write_text(
        settings_file.read_text().replace("target: 12_800_000", "target: 13_000_000")
    )
    [found] = load_plan(example).diagnostics
    assert found.code == "SP415" and found.is_error
    assert Path(found.file).name == "quotas.yaml" and found.line == 4
    assert "salesplan allocate --write" in found.message
    assert cli("check", example).exit_code == 1
    # commands still run, on quotas computed afresh
    assert cli("allocate", example, "--format", "json").exit_code == 0
    with_quotas(example, cli)


def test_stale_quotas_are_not_read_further(example, cli) -> None:
    """A quotas.yaml written for other inputs is regenerated, not repaired: its `inputs:` line
    is enough to say so, and what follows it (here a hand edit) is not parsed."""
    quotas = with_quotas(example, cli)
    settings_file = example / "salesplan.yaml"
    settings_file.write_text(
        settings_file.read_text().replace("target: 12_800_000", "target: 13_000_000")
    )
    quotas.write_text(quotas.read_text() + "  - {id: [unclosed\n")
    [found] = load_plan(example).diagnostics
    assert (found.code, found.line, found.column) == ("SP415", 4, 9)
    result = cli("rollup", example, "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["quota_source"] == "computed"


def test_quotas_edited_by_hand(example, cli) -> None:
    """A hand edit is found by comparing with the allocation computed now, at the first line
    that differs, whatever else in the file was made to look consistent."""
    quotas = with_quotas(example, cli)
    lines = quotas.read_text().splitlines(keepends=True)
    ben = next(i for i, line in enumerate(lines) if line.startswith("  - {id: ben,"))
    # one number changed, consistently within ben's own line (periods still sum to the total)
    lines[ben] = lines[ben].replace(
        "total: 1593000, periods: [319000", "total: 1594000, periods: [320000"
    )
    quotas.write_text("".join(lines))
    [found] = load_plan(example).diagnostics
    assert (found.code, found.line) == ("SP416", ben + 1)
    assert "the entry of 'ben' differs from what allocate computes" in found.message
    assert cli("check", example).exit_code == 1


def test_forged_quotas_pass_no_checksum(example, cli) -> None:
    """No checksum in the file can make a hand edit pass: the header lines are compared too."""
    quotas = with_quotas(example, cli)
    text = quotas.read_text()
    text = text.replace("total: 1500000, periods: [300000", "total: 1499000, periods: [299000")
    quotas.write_text(text + "content: sha256:" + "0" * 64 + "\n")
    codes = [(d.code, d.message) for d in load_plan(example).diagnostics]
    assert [c for c, _ in codes] == ["SP416"] and "'ana'" in codes[0][1]


def test_commands_never_read_numbers_from_quotas_yaml(example, cli) -> None:
    quotas = with_quotas(example, cli)
    before = cli("rollup", example, "--format", "json").stdout
    quotas.write_text(quotas.read_text().replace("total: 1593000,", "total: 7777000,"))
    assert cli("check", example).exit_code == 1
    assert cli("rollup", example, "--format", "json").stdout == before


# ---- golden files of the example plan


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SALESPLAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run with SALESPLAN_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; review, then SALESPLAN_UPDATE_GOLDEN=1"
    )


def _masked_digest(text: str) -> str:
    # The digests hash the template files byte for byte (comments too) and the version, so
    # they are not part of what the golden file pins down; the quotas are.
    return "\n".join(
        f"{line.split(':')[0]}: sha256:<digest>" if line.startswith("inputs: sha256:") else line
        for line in text.split("\n")
    )


def test_golden_example_quotas(example, cli) -> None:
    committed = example / "quotas.yaml"
    from_init = committed.read_text() if committed.exists() else None
    text = with_quotas(example, cli).read_text()
    if from_init is not None:  # what `salesplan init` writes is what allocate writes
        assert from_init == text
    assert_golden("acme-quotas.yaml", _masked_digest(text))


@pytest.mark.parametrize(
    ("fmt", "name"), [("csv", "acme-allocate.csv"), ("markdown", "acme-allocate.md")]
)
def test_golden_example_tables(example, cli, fmt, name) -> None:
    result = cli("allocate", example, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert_golden(name, result.stdout)


def test_quotas_stay_fresh_with_crlf_and_bom(example, cli) -> None:
    """A checkout with CRLF line endings (git's autocrlf on Windows) or a BOM has the same
    inputs: quotas.yaml written on Linux stays fresh there, and the other way round."""
    quotas = with_quotas(example, cli)
    written = quotas.read_bytes()
    for name in ("salesplan.yaml", "org.yaml", "territories.yaml", "metrics.csv"):
        path = example / name
        path.write_bytes(
            b"\xef\xbb\xbf" * (name == "org.yaml") + path.read_bytes().replace(b"\n", b"\r\n")
        )
    assert codes(example) == []
    assert cli("allocate", example, "--write").exit_code == 0
    assert quotas.read_bytes() == written
    settings_file = example / "salesplan.yaml"
    settings_file.write_bytes(settings_file.read_bytes().replace(b"12_800_000", b"13_000_000"))
    assert codes(example) == ["SP415"]  # a changed input is still seen
