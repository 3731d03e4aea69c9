from __future__ import annotations

import json
import math
import tempfile
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_strategies import plan_specs, write_plan
from salesplan import load_plan
from salesplan.allocate import _Allocator, allocate
from salesplan.money import to_units
from salesplan.reconcile import Reconciliation, _Reconciler, reconcile, to_allocation, water_fill
from salesplan.render import reconcile as view
from salesplan.waterfill import water_level, whole_level

D = Decimal

# Top-down: three teams split evenly, 400 000 each; reps by history with +10%, so each team's
# pool is 440 000: t1 -> a 176 000 (40), b 154 000 (35), g 110 000 (25); t2 -> p pinned at
# 50 000, the rest 390 000 -> c 234 000 (60), d 156 000 (40); t3 -> h, i 220 000 each.
# Guardrail ±10% of each node's own top-down amount, rounded inward to the unit (1000):
# a [159, 193], b [139, 169], g [99, 121], c [211, 257], d [141, 171], h and i [198, 242]
# (thousands). Quota capacity 220 000 per rep (full year, full productivity). Budget: a's
# OTE of 150 000 is 12.5% of the target, above 10%.
PLAN = {
    "salesplan.yaml": """
        salesplan: 1
        id: acme
        name: Reconcile example
        currency: USD
        fiscal_year: {start: 2027-02-01, periods: quarter}
        target: 1_200_000
        rounding: 1000
        levels:
          - {name: team, split: even}
          - {name: rep, split: history, over_assign: 0.1}
        capacity: {full_quota: 220_000}
        budget: {max_cost_of_sales: 0.1}
        reconcile: {max_shift: 0.1}
    """,
    "org.yaml": """
        units:
          - {id: t1, level: team}
          - {id: t2, level: team}
          - {id: t3, level: team}
        reps:
          - {id: a, parent: t1, metrics: {history: 40}, ote: {base: 100_000, variable: 50_000}}
          - {id: b, parent: t1, metrics: {history: 35}}
          - {id: g, parent: t1, metrics: {history: 25}}
          - {id: c, parent: t2, metrics: {history: 60}}
          - {id: d, parent: t2, metrics: {history: 40}}
          - {id: p, parent: t2, metrics: {history: 0}, quota: 50_000}
          - {id: h, parent: t3, metrics: {history: 50}}
          - {id: i, parent: t3, metrics: {history: 50}}
    """,
    "submissions/a.yaml": """
        rep: a
        forecast: {Q1: 90_000, Q2: 90_000, Q3: 90_000, Q4: 90_000}
    """,
    "submissions/rest.csv": """
        rep,period,amount
        b,Q2,150000
        g,Q4,90000
        c,Q1,100000
        c,Q3,150000
        p,Q1,50000
        h,Q1,100000
        i,Q1,50000
        i,Q4,150000
    """,
}


@pytest.fixture
def worked(write_tree) -> Reconciliation:
    plan = load_plan(write_tree(PLAN)).plan
    assert plan is not None
    return reconcile(plan, allocate(plan))


def _row(node):
    return (node.top_down, node.signal, node.total, _flag(node))


def _flag(node) -> str:
    """How a node meets the end of its range: "clamped" (its own guardrail), "held" (a limit
    its children set, inside its guardrail) or "" (not pushed against either)."""
    assert not (node.clamped and node.held)
    return "clamped" if node.clamped else "held" if node.held else ""


def _k(*values: int) -> tuple[Decimal, ...]:
    return tuple(D(v * 1000) for v in values)


def test_ranges_narrow_so_that_every_family_can_meet_its_pool(worked):
    n = worked.by_id()
    # t1's band is [360, 440]; its children reach [159 + 139 + 99, 193 + 169 + 121] =
    # [397, 483], and its pool is round(P x 1.1): 360 gives 396 (too little), 361 gives 397;
    # 439 gives 483, 440 gives 484 (too much). So t1 may take [361, 439].
    assert (n["t1"].low, n["t1"].high) == _k(361, 439)
    # t2: p's pin 50 + c [211, 257] + d [141, 171] = [402, 478]; 365 x 1.1 = 401.5 -> 402
    # (half-even), 364 -> 400; 435 x 1.1 = 478.5 -> 478, 436 -> 480. So [365, 435].
    assert (n["t2"].low, n["t2"].high) == _k(365, 435)
    # t3: [396, 484] is exactly its band x 1.1
    assert (n["t3"].low, n["t3"].high) == _k(360, 440)
    assert (n["a"].low, n["a"].high) == _k(159, 193)
    assert (n["p"].low, n["p"].high) == _k(50, 50)


def test_root_family_one_water_level(worked):
    n = worked.by_id()
    # Signals: t1 600 (everyone submitted), t2 = c 250 + d 156 (d is silent: counts as its
    # top-down) + p's pin 50 = 456, t3 300. One λ with 439 (t1 at its high) + 456 λ + 360
    # (t3 at its low) = 1200: λ = 401/456, t2 = 401, inside [365, 435]. t1 would take more,
    # but 439 is what its children can fill, a unit inside its guardrail (440): held. t3
    # would take less than its guardrail's 360: clamped.
    assert _row(n["acme"]) == (D(1_200_000), D(1_356_000), D(1_200_000), "")
    assert _row(n["t1"]) == (D(400_000), D(600_000), D(439_000), "held")
    assert _row(n["t2"]) == (D(400_000), D(456_000), D(401_000), "")
    assert _row(n["t3"]) == (D(400_000), D(300_000), D(360_000), "clamped")
    assert n["t3"].shift == D("-0.1")
    # phased exactly as allocate phases a unit: by seasonality (even here)
    assert n["t1"].periods == _k(110, 110, 110, 109)
    assert n["acme"].periods == _k(300, 300, 300, 300)


def test_family_at_its_highs(worked):
    n = worked.by_id()
    # t1's pool: 439 x 1.1 = 482.9 -> 483 = the sum of its children's highs: a 193, b 169,
    # g 121. a and b would take more; g's λ x 90 is exactly its high, but t1 is held where
    # it is because its children are all at their guardrail's high: all three clamped.
    assert _row(n["a"]) == (D(176_000), D(360_000), D(193_000), "clamped")
    assert _row(n["b"]) == (D(154_000), D(150_000), D(169_000), "clamped")
    assert _row(n["g"]) == (D(110_000), D(90_000), D(121_000), "clamped")
    # phased as allocate phases a full-year rep: seasonality x capacity, even -> 48.25 each
    assert n["a"].periods == _k(49, 48, 48, 48)


def test_pins_and_a_silent_rep(worked):
    n = worked.by_id()
    # t2's pool: 401 x 1.1 = 441.1 -> 441; p keeps its pin of 50; 391 for c (signal 250) and
    # d (silent: signal = its top-down 156): λ = 391/406 -> c 240.76, d 150.24, inside
    # their bands -> 240 + 150, the unit left to c (.76).
    assert _row(n["p"]) == (D(50_000), D(50_000), D(50_000), "") and n["p"].pinned
    assert _row(n["c"]) == (D(234_000), D(250_000), D(241_000), "")
    assert _row(n["d"]) == (D(156_000), D(156_000), D(150_000), "")
    assert n["d"].bottom_up is None and n["c"].bottom_up == D(250_000)
    assert n["p"].periods == _k(13, 13, 12, 12)


def test_family_at_its_lows(worked):
    n = worked.by_id()
    # t3's pool 360 x 1.1 = 396 = h's and i's lows: both held there.
    assert _row(n["h"]) == (D(220_000), D(100_000), D(198_000), "clamped")
    assert _row(n["i"]) == (D(220_000), D(200_000), D(198_000), "clamped")
    assert worked.widened == ()


def test_flags(worked):
    n = worked.by_id()
    # sandbagging: signal below top-down x 0.9: g 90 < 99; h 100 < 198; t3 300 < 360. t2's
    # signal counts the silent d at its top-down: 456, not sandbagging.
    assert {k for k, v in n.items() if v.sandbagging} == {"g", "h", "t3"}
    # over capacity: proposals above the quota capacity of 220 000: c 241 000
    assert {k for k, v in n.items() if v.over_capacity} == {"c"}
    assert worked.budget_breach


def test_to_allocation(worked):
    allocation = to_allocation(worked)
    assert [q.id for q in allocation.nodes] == [n.id for n in worked.nodes]
    q = allocation.by_id()["c"]
    assert (q.total, q.periods, q.pinned, q.level, q.parent) == (
        D(241_000),
        _k(61, 60, 60, 60),
        False,
        "rep",
        "t2",
    )
    assert allocation.by_id()["p"].pinned


CONSERVE = {
    "salesplan.yaml": """
        salesplan: 1
        name: Pins above the reconciled pool
        currency: JPY
        fiscal_year: {start: 2027-01-01}
        target: 2000
        levels: [{name: region}, {name: rep}]
    """,
    "org.yaml": """
        units:
          - {id: r1, level: region}
          - {id: r2, level: region}
        reps:
          - {id: a, parent: r1, quota: 900}
          - {id: b, parent: r1}
          - {id: c, parent: r2}
    """,
    "submissions/all.csv": """
        rep,period,amount
        a,Q1,100
        b,Q1,100
        c,Q1,1000
    """,
}


def test_pins_constrain_their_parent_upward(write_tree):
    # The case: r1 may only take totals whose family is feasible with a's pin of
    # 900 and b within [85, 115]: [985, 1015]. Signals r1 = 900 (pin) + 100 = 1000,
    # r2 = 1000: the target splits 1000 / 1000 and every family adds up.
    plan = load_plan(write_tree(CONSERVE)).plan
    assert plan is not None
    result = reconcile(plan, allocate(plan))
    n = result.by_id()
    assert (n["r1"].low, n["r1"].high) == (D(985), D(1015))
    assert {k: v.total for k, v in n.items()} == {
        "company": D(2000), "r1": D(1000), "r2": D(1000), "a": D(900), "b": D(100), "c": D(1000)
    }  # fmt: skip
    assert n["r1"].total == n["a"].total + n["b"].total
    assert result.widened == () and result.diagnostics == ()


def test_pins_keep_a_parent_inside_what_its_family_can_meet(write_tree):
    # b now signals 1000: r1's signal 1900 against r2's 1000 would take r1 to +15% (1150),
    # but with a pinned at 900 and b at most 115, r1 can take at most 1015.
    subs = {"submissions/all.csv": "rep,period,amount\na,Q1,100\nb,Q1,1000\nc,Q1,1000\n"}
    plan = load_plan(write_tree({**CONSERVE, **subs})).plan
    assert plan is not None
    n = reconcile(plan, allocate(plan)).by_id()
    assert (n["r1"].total, n["r2"].total) == (D(1015), D(985))
    assert (n["a"].total, n["b"].total, n["c"].total) == (D(900), D(115), D(985))
    # r1 sits 1.5% above its top-down, where a's pin and b's guardrail hold it: held, not
    # clamped; b is at its guardrail's high
    assert (_flag(n["r1"]), _flag(n["b"]), _flag(n["r2"])) == ("held", "clamped", "")


def test_widened_family_is_reported_and_conserves(write_tree):
    # Pins tried out (not written) that no band can carry: p at 300 000 under t2, whose
    # children c and d need at least 211 + 141: t2 would need a pool of 652 000, far above
    # its band. t2 takes its band's nearest point, 440 000 (pool 484 000); c and d share
    # 184 000, so their guardrail widens uniformly to the smallest max_shift' that admits
    # it: 1 - 110/234 (c's low becomes 110, d's 74: 184).
    plan = load_plan(write_tree(PLAN)).plan
    assert plan is not None
    pins = {"p": D(300_000)}
    result = reconcile(plan, allocate(plan), pins=pins)
    n = result.by_id()
    [family] = result.widened
    assert family.parent == "t2" and family.max_shift == Fraction(124, 234)
    assert (n["t2"].total, n["p"].total, n["c"].total, n["d"].total) == _k(440, 300, 110, 74)
    assert n["c"].total + n["d"].total + n["p"].total == to_units(n["t2"].total * D("1.1"), D(1))
    text = "\n".join(view.summary_lines(result))
    assert "Warning: the guardrail of the children of t2 widened to ±52.99%" in text


def test_zero_signals_follow_the_top_down(write_tree):
    # Everyone submitted 0 (and nobody is pinned, so every signal is 0): λ applies to the
    # top-down amounts, nothing moves.
    subs = {"submissions/s.csv": "rep,period,amount\n" + "".join(f"{r},Q1,0\n" for r in "abgcdhip")}
    org = PLAN["org.yaml"].replace(", quota: 50_000", "")
    plan_text = PLAN["salesplan.yaml"]
    plan = load_plan(write_tree({"salesplan.yaml": plan_text, "org.yaml": org, **subs})).plan
    assert plan is not None
    result = reconcile(plan, allocate(plan))
    assert all(n.total == n.top_down for n in result.nodes)


def test_children_with_signal_zero_take_the_rest_by_top_down(write_tree):
    # One family, pool 100 000: x signals 1 000 000 (band [9, 11] thousand), y and z signal
    # 0 (bands [40.5, 49.5] and [40.5, 49.5] -> [41, 49]). x at its high, 11; no λ lifts y
    # and z, so they take the rest, 89, in proportion to their top-down 45 : 45 -> 44.5
    # each -> 44 + 44, the unit left to y (a tie: the first id).
    tree = {
        "salesplan.yaml": """
            salesplan: 1
            name: Zero signals
            currency: USD
            fiscal_year: {start: 2027-01-01}
            target: 100_000
            rounding: 1000
            levels: [{name: rep, split: history}]
            reconcile: {max_shift: 0.1}
        """,
        "org.yaml": """
            reps:
              - {id: x, metrics: {history: 10}}
              - {id: y, metrics: {history: 45}}
              - {id: z, metrics: {history: 45}}
        """,
        "submissions/s.csv": "rep,period,amount\nx,Q1,1000000\ny,Q1,0\nz,Q1,0\n",
    }
    plan = load_plan(write_tree(tree)).plan
    assert plan is not None
    n = reconcile(plan, allocate(plan)).by_id()
    assert (n["x"].total, n["y"].total, n["z"].total) == _k(11, 45, 44)
    assert n["x"].clamped and n["y"].sandbagging and n["z"].sandbagging


def test_a_node_with_zero_top_down_stays_at_zero(write_tree):
    # f has history 0: top-down 0, band [0, 0], whatever it submits.
    tree = {
        "salesplan.yaml": """
            salesplan: 1
            name: Zero top-down
            currency: USD
            fiscal_year: {start: 2027-01-01}
            target: 100_000
            rounding: 1000
            levels: [{name: rep, split: history}]
        """,
        "org.yaml": "reps:\n  - {id: e, metrics: {history: 1}}\n  - {id: f, metrics: {history: 0}}\n",
        "submissions/s.csv": "rep,period,amount\ne,Q1,1\nf,Q1,900000\n",
    }
    plan = load_plan(write_tree(tree)).plan
    assert plan is not None
    n = reconcile(plan, allocate(plan)).by_id()
    assert (n["e"].total, n["f"].total) == (D(100_000), D(0))


LATE = {
    "salesplan.yaml": """
        salesplan: 1
        name: A rep starting mid-year
        currency: USD
        fiscal_year: {start: 2027-01-01}
        target: 1_000_000
        rounding: 1000
        levels: [{name: rep}]
    """,
    "org.yaml": """
        reps:
          - {id: early, start: 2020-01-01}
          - {id: late, start: 2027-07-01, status: planned}
    """,
    "submissions/s.csv": """
        rep,period,amount
        early,Q1,200000
        early,Q2,200000
        early,Q3,200000
        early,Q4,200000
        late,Q1,100000
        late,Q3,150000
        late,Q4,150000
    """,
}


def test_phased_like_allocate_never_before_the_start(write_tree):
    # late is on board 6/12 of the year: top-down 1 000 000 x 0.5 / 1.5 = 333 000. Its Q1
    # row is outside its employment: a warning, and left out of its signal (300 000).
    loaded = load_plan(write_tree(LATE))
    assert [d.code for d in loaded.diagnostics] == ["SP609"]
    plan = loaded.plan
    assert plan is not None
    n = reconcile(plan, allocate(plan)).by_id()
    assert n["late"].top_down == D(333_000) and n["late"].signal == D(300_000)
    assert n["late"].periods[:2] == (D(0), D(0))
    assert (
        n["late"].periods == allocate(plan).periods_of("late")
        or sum(n["late"].periods) == n["late"].total
    )
    # phased by capacity per period, like allocate: Q3 and Q4 even
    assert n["late"].periods[2] - n["late"].periods[3] in (D(0), D(1000), D(-1000))


def test_example_plan(example):
    plan = load_plan(example).plan
    assert plan is not None
    quotas = allocate(plan)
    result = reconcile(plan, quotas)
    assert result == replace(_Plain(plan, quotas, None).run(), quota_source="computed")
    plain = _Allocator(plan)  # phased node by node from the Decimal totals
    assert all(r.periods == plain.phase(plan.tree[r.id], r.total) for r in result.nodes)
    n = result.by_id()
    assert n["acme"].total == quotas.nodes[0].total == D(12_800_000)
    assert n["ana"].total == D(1_500_000) and n["ana"].pinned
    # the guardrail bounds amounts: nobody moves more than 15% of their own top-down, and
    # dev, who did not submit, counts as having submitted their top-down
    for node in result.nodes:
        if node.top_down and not node.pinned:
            assert abs(node.total / node.top_down - 1) <= D("0.15"), node.id
    assert n["dev"].bottom_up is None and n["dev"].signal == n["dev"].top_down
    assert result.widened == () and result.diagnostics == ()


def test_a_team_held_by_a_pin_is_not_clamped_and_a_rep_at_its_guardrail_is(example, cli):
    """The example with a target of 13,100,000, ben moved to amer-com and ana pinned at
    1,400,000: amer-ent (+6.2%) can take no more than ana's pin and tbh-amer-1 at its
    guardrail's high (1,143,000 = 994,000 x 1.15, rounded down) make: held, not clamped;
    tbh-amer-1, pushed there by amer-ent, is clamped (its own signal is its top-down)."""
    settings_file, org = example / "salesplan.yaml", example / "org.yaml"
    settings_file.write_text(
        settings_file.read_text().replace("target: 12_800_000", "target: 13_100_000")
    )
    text = org.read_text().replace("quota: 1_500_000", "quota: 1_400_000")
    org.write_text(
        text.replace(
            "id: ben\n    name: Ben Carter\n    parent: amer-ent",
            "id: ben\n    name: Ben Carter\n    parent: amer-com",
        )
    )
    assert "parent: amer-com\n    start: 2023-09-01" in org.read_text()
    result = cli("reconcile", example, "--format", "json")
    assert result.exit_code == 0, result.stderr
    nodes = {n["id"]: n for n in json.loads(result.stdout)["nodes"]}
    flagged = {i: (n["clamped"], n["held"]) for i, n in nodes.items() if n["clamped"] or n["held"]}
    assert flagged == {
        "amer-ent": (False, True),
        "carla": (True, False),
        "tbh-amer-1": (True, False),
        "hana": (True, False),
        "felix": (True, False),
    }
    assert (nodes["tbh-amer-1"]["total"], nodes["tbh-amer-1"]["high"]) == ("1143000.00",) * 2
    lines = cli("reconcile", example).stdout.splitlines()
    assert "Clamped at the guardrail: carla, tbh-amer-1, hana, felix." in lines
    assert "Held inside the guardrail by the pins and guardrails below them: amer-ent." in lines
    row = next(line for line in lines if line.split()[:1] == ["amer-ent"])
    assert row.endswith(" held")


def test_water_fill_directly():
    # signals 1 : 1 : 2 over a pool of 100, each within [20, 40]: c held at 40, a and b 30.
    F = Fraction
    fill = water_fill(
        {"a": F(1), "b": F(1), "c": F(2)},
        dict.fromkeys("abc", F(20)),
        dict.fromkeys("abc", F(40)),
        F(100),
        dict.fromkeys("abc", F(30)),
    )
    assert fill.amounts == {"a": 30, "b": 30, "c": 40} and fill.clamped == {"c"}
    # exact: thirds stay thirds (no 40-digit rounding noise decides a tie)
    fill = water_fill(
        {"a": F(1), "b": F(1), "c": F(1)},
        dict.fromkeys("abc", F(0)),
        dict.fromkeys("abc", F(100)),
        F(100),
        dict.fromkeys("abc", F(1)),
    )
    assert fill.amounts == dict.fromkeys("abc", F(100, 3))


def _reference_level(weights, lows, highs, pool):
    """λ with Σ clamp(λ·w, low, high) = pool, by exact evaluation at every breakpoint."""

    def filled(level):
        return sum(min(max(level * w, lows[k]), highs[k]) for k, w in weights.items())

    points = sorted(
        {Fraction(0)} | {Fraction(b[k]) / w for k, w in weights.items() if w for b in (lows, highs)}
    )
    for a, b in pairwise(points):
        fa, fb = filled(a), filled(b)
        if fa <= pool <= fb and fb != fa:
            return a + (b - a) * (pool - fa) / (fb - fa)
    return None


@st.composite
def families(draw):
    size = draw(st.integers(1, 6))
    keys = [f"c{i}" for i in range(size)]
    whole = draw(st.booleans())
    number = st.integers(0, 50) if whole else st.fractions(0, 50, max_denominator=7)
    lows = {k: draw(number) for k in keys}
    highs = {k: lows[k] + draw(number) for k in keys}
    weights = {
        k: draw(st.integers(1, 9) if whole else st.fractions(1, 9, max_denominator=5)) for k in keys
    }
    low, high = sum(lows.values()), sum(highs.values())
    pool = low + (high - low) * Fraction(draw(st.integers(0, 8)), 8)
    return weights, lows, highs, pool


@given(families())
def test_water_fill_is_clamp_of_one_level(family):
    """Exact, on whole units (integers) and on fractions: the amounts are clamp(λ·w) for the
    one λ that fills the pool, and clamped are those at a bound λ lies beyond."""
    weights, lows, highs, pool = family
    fill = water_fill(weights, lows, highs, pool, dict.fromkeys(weights, 1))
    assert sum(fill.amounts.values()) == pool
    level = _reference_level(weights, lows, highs, pool)
    if level is None:
        return  # the pool is a flat stretch of f (every child at a bound): any λ there
    for k, w in weights.items():
        assert fill.amounts[k] == min(max(level * w, lows[k]), highs[k])
    step = Fraction(1, 10**9)
    below = sum(min(max((level - step) * w, lows[k]), highs[k]) for k, w in weights.items())
    above = sum(min(max((level + step) * w, lows[k]), highs[k]) for k, w in weights.items())
    if not below < pool < above:
        return  # λ is not unique (a flat stretch): "beyond" depends on which one is taken
    beyond = {
        k
        for k, w in weights.items()
        if (fill.amounts[k] == highs[k] and level * w > highs[k])
        or (fill.amounts[k] == lows[k] and level * w < lows[k])
    }
    assert fill.clamped == beyond


@st.composite
def whole_families(draw):
    """Families on whole numbers, as most are: weights 0 included (silent signals), equal
    bounds, pools at either end of what the ranges can meet."""
    size = draw(st.integers(1, 8))
    weights = [draw(st.integers(0, 9)) for _ in range(size)]
    lows = [draw(st.integers(0, 40)) for _ in range(size)]
    highs = [low + draw(st.sampled_from([0, 1, 3, 25])) for low in lows]
    pool = draw(st.integers(sum(lows), sum(highs)))
    return weights, lows, highs, pool


@settings(max_examples=400, deadline=None)
@given(whole_families())
def test_whole_level_is_the_water_level(family):
    """On whole numbers `whole_level` finds `water_level`'s λ (the smallest that fills the
    pool), or leaves the family to it."""
    weights, lows, highs, pool = family
    found = whole_level(weights, lows, highs, pool)
    if found is not None:
        keys = [f"c{i}" for i in range(len(weights))]

        def named(values):
            return dict(zip(keys, values))

        level = water_level(named(weights), named(lows), named(highs), pool)
        assert Fraction(*found) == level


@st.composite
def whole_family_inputs(draw):
    """A family as the reconciler holds it: signals in minor units (`per` to a unit), ranges
    and top-down amounts in units; small numbers, so that λ x signal meets a bound exactly
    now and then, and a signal lies beyond a bound that λ x signal only meets."""
    weights, lows, highs, pool = draw(whole_families())
    per = draw(st.sampled_from([1, 2, 100]))
    signals = [w * draw(st.sampled_from([1, per])) for w in weights]
    top_down = [draw(st.integers(0, 9)) for _ in weights]
    return signals, top_down, lows, highs, pool, per


def _family_by(kind, signals, top_down, lows, highs, pool, per):
    """(totals, pushed, clamped, held) of one family shared out by a reconciler of `kind`, its pool given."""
    from types import SimpleNamespace

    children = [f"c{i}" for i in range(len(signals))]
    r = kind.__new__(kind)
    r.pins, r.per_unit, r.max_shift, r.whole = {}, per, Fraction(1, 10), True
    r.ranges = {c: (low, high) for c, low, high in zip(children, lows, highs)}
    r.signals, r.td = dict(zip(children, signals)), dict(zip(children, top_down))
    r.tree = {c: SimpleNamespace(level="rep") for c in children}
    r.over = {"rep": (0, 1)}
    r.totals, r.widened, r.diagnostics = {"p": pool}, [], []
    r.pushed, r.clamped, r.held = {}, set(), set()
    r.family(SimpleNamespace(id="p", children=children))
    return r.totals, r.pushed, r.clamped, r.held


@settings(max_examples=500, deadline=None)
@given(whole_family_inputs())
def test_a_whole_family_is_shared_as_the_plain_way_shares_it(family):
    """`_whole_family` (lists, integers) gives every child the total and the clamped flag
    that the plain way (`water_fill` on dicts) gives."""
    assert _family_by(_Reconciler, *family) == _family_by(_Plain, *family)


# ---- accepting the proposal


def test_accept_then_allocate_gives_the_proposal(example, cli):
    """Also with the example's what-if, which raises the target: a family whose children
    would all be pinned keeps its largest free, so a moved target lands there (the pins
    fit the scenario) while the base plan is still exactly the proposal."""
    proposal = json.loads(cli("reconcile", example, "--format", "json").stdout)
    result = cli("reconcile", example, "--accept")
    assert result.exit_code == 0, result.stderr
    assert "Accepted" in result.stderr
    adjustments = (example / "adjustments.yaml").read_text()
    assert "hybrid proposal accepted" in adjustments
    assert cli("check", example).stdout == ""
    pinned = {
        line.split(",")[0].split("id: ")[1] for line in adjustments.splitlines() if "id: " in line
    }
    assert "amer" not in pinned and "emea" in pinned  # amer, the largest region, stays free
    allocated = json.loads(cli("allocate", example, "--format", "json").stdout)
    assert [(n["id"], n["total"], n["periods"]) for n in allocated["nodes"]] == [
        (n["id"], n["total"], n["periods"]) for n in proposal["nodes"]
    ]
    again = json.loads(cli("reconcile", example, "--format", "json").stdout)
    assert all(n["total"] == n["top_down"] for n in again["nodes"])
    # a pin in both places is an error
    assert "{id: dev, quota: " in adjustments
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("id: dev\n", "id: dev\n    quota: 1000\n", 1))
    assert "SP420" in cli("check", example).stdout


def test_output_file_is_the_proposal_in_the_quotas_format(example, cli, tmp_path):
    target = tmp_path / "proposal.yaml"
    assert cli("reconcile", example, "-o", target).exit_code == 0
    assert "salesplan reconcile -o" in target.read_text()
    refused = cli("reconcile", example, "-o", target)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert cli("reconcile", example, "-o", target, "--force").exit_code == 0


# ---- properties over generated plans


def _band(top_down: Decimal, shift: Decimal, unit: Decimal) -> tuple[Decimal, Decimal]:
    low = max(math.ceil(Fraction(top_down / unit) * (1 - Fraction(shift))), 0)
    high = math.floor(Fraction(top_down / unit) * (1 + Fraction(shift)))
    return low * unit, high * unit


def _employed_periods(plan, rep_id: str) -> list[bool]:
    from salesplan.productivity import plan_productivity

    rep = plan.reps_by_id[rep_id]
    return [bool(share) for share in plan_productivity(plan).on_board_periods(rep)]


class _Plain(_Reconciler):
    """The reconciler without its fast ways, to hold them to the plain ones."""

    def _whole_family(self, parent, pool):
        return False


def _check_reconcile(folder: Path) -> None:
    loaded = load_plan(folder)
    plan = loaded.plan
    assert plan is not None
    if any(d.is_error for d in loaded.diagnostics):
        return  # no command reconciles a plan with errors (pins above a pool, SP413)
    quotas = allocate(plan)
    result = reconcile(plan, quotas)
    n = result.by_id()
    unit = plan.unit
    tree = plan.tree
    levels = {lv.name: lv for lv in plan.settings.levels}
    pins = {r.id: r.quota for r in plan.org.reps if r.quota is not None}
    widened = set(result.relaxed)
    shift = plan.settings.reconcile.max_shift
    assert n[tree.root].total == quotas.nodes[0].total
    for node in tree.top_down():
        record = n[node.id]
        assert record.total >= 0 and all(p >= 0 for p in record.periods)
        assert sum(record.periods, D(0)) == record.total
        if node.is_rep:  # no amount in a period outside employment
            for amount, employed in zip(record.periods, _employed_periods(plan, node.id)):
                assert employed or amount == 0, (node.id, record.periods)
        if node.id in pins:
            assert record.pinned and record.total == pins[node.id]
        elif record.parent is not None and record.parent not in widened:
            low, high = _band(record.top_down, shift, unit)
            assert low <= record.total <= high, (node.id, record.top_down, record.total)
        if not node.children:
            continue
        over = levels[n[node.children[0]].level].over_assign
        pool = to_units(record.total * (1 + over), unit) * unit
        children = sum((n[c].total for c in node.children), D(0))
        assert children == pool, node.id


@settings(max_examples=60, deadline=None)
@given(plan_specs())
def test_reconcile_conserves_pools_within_guardrails(spec):
    with tempfile.TemporaryDirectory() as tmp:
        _check_reconcile(write_plan(spec, Path(tmp)))


def _check_allocate(folder: Path) -> None:
    loaded = load_plan(folder)
    plan = loaded.plan
    assert plan is not None
    if any(d.is_error for d in loaded.diagnostics):
        return
    allocation = allocate(plan)
    n = allocation.by_id()
    levels = {lv.name: lv for lv in plan.settings.levels}
    for node in plan.tree.top_down():
        record = n[node.id]
        if node.is_rep:
            for amount, employed in zip(record.periods, _employed_periods(plan, node.id)):
                assert employed or amount == 0, (node.id, record.periods)
        if node.children:
            over = levels[n[node.children[0]].level].over_assign
            pool = to_units(record.total * (1 + over), plan.unit) * plan.unit
            assert sum((n[c].total for c in node.children), D(0)) == pool


@settings(max_examples=60, deadline=None)
@given(plan_specs())
def test_allocate_keeps_quota_inside_employment(spec):
    with tempfile.TemporaryDirectory() as tmp:
        _check_allocate(write_plan(spec, Path(tmp)))


def test_the_order_of_the_files_entries_changes_no_byte(write_tree, tmp_path, cli):
    first = write_tree(PLAN)
    lines = PLAN["org.yaml"].strip("\n").splitlines()
    units, reps = lines[1:4], lines[5:]
    shuffled = "\n".join([lines[0], *reversed(units), lines[4], *reversed(reps)]) + "\n"
    rows = PLAN["submissions/rest.csv"].strip("\n").splitlines()
    other = tmp_path / "shuffled"
    other.mkdir()
    for name, text in {
        **PLAN,
        "org.yaml": shuffled,
        "submissions/rest.csv": "\n".join([rows[0], *reversed(rows[1:])]) + "\n",
    }.items():
        (other / name).parent.mkdir(parents=True, exist_ok=True)
        (other / name).write_text(dedent(text).lstrip("\n"))
    for command in ("allocate", "reconcile"):
        a = cli(command, first, "--format", "json")
        b = cli(command, other, "--format", "json")
        assert a.exit_code == b.exit_code == 0, b.stderr
        assert a.stdout == b.stdout and '"nodes"' in a.stdout, command


def test_adjustments_outside_the_plan_are_neither_read_nor_written(write_tree, tmp_path, cli):
    plan_text = (
        PLAN["salesplan.yaml"].rstrip() + "\n        files: {adjustments: ../outside.yaml}\n"
    )
    folder = write_tree({**PLAN, "salesplan.yaml": plan_text})
    outside = folder.parent / "outside.yaml"
    outside.write_text("pins:\n  - {id: a, quota: 1000}\n")
    checked = cli("check", folder)
    assert (
        "SP114 files.adjustments '../outside.yaml' leads out of the plan folder" in checked.stdout
    )
    before = outside.read_text()
    refused = cli("reconcile", folder, "--accept")
    assert refused.exit_code in (1, 2) and outside.read_text() == before


def test_a_scenario_proposal_is_not_accepted_into_the_plan(example, cli):
    """--accept writes the plan's own adjustments.yaml: a scenario's proposal (pins for a
    hire only the scenario has) would break the base plan, so it is refused."""
    result = cli("reconcile", example, "--scenario", "stretch", "--accept")
    assert result.exit_code == 2 and "scenarios apply" in result.stderr
    assert not (example / "adjustments.yaml").exists()


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12
    )
    | st.sampled_from([Decimal("-0"), Decimal("0E-7"), Decimal("-0.00"), Decimal("1E+3")]),
    st.integers(0, 6),
    st.sampled_from([0, 2, 3]),
)
def test_equal_amounts_have_one_text(amount, zeros, exponent):
    """The JSON view writes a node's signal by its forecast's text when the two are equal
    (a submitter's): equal amounts, however many trailing zeros or whichever zero's sign,
    have one text."""
    from salesplan.money import AmountTexts

    same = amount + Decimal(0).scaleb(-zeros)  # the same number, more decimals
    assert same == amount
    text = AmountTexts(exponent)
    assert text.fresh(same) == text.fresh(amount) == text.fresh(amount if amount else -amount)


@settings(max_examples=40, deadline=None)
@given(plan_specs(), st.data())
def test_total_units_are_the_totals_in_units(spec, data):
    """`Allocation.total_units`, the units the allocator counted as it split, are every
    node's total divided by the rounding unit (an int when whole, else the exact Fraction),
    pins of any amount included (what reconcile's `_top_down_units` worked out itself)."""
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_plan(write_plan(spec, Path(tmp)))
    plan = loaded.plan
    assert plan is not None
    reps = sorted(n.id for n in plan.tree.top_down() if n.is_rep)
    chosen = data.draw(st.lists(st.sampled_from(reps), unique=True, max_size=3)) if reps else []
    amounts = st.decimals(0, 100_000, places=2, allow_nan=False, allow_infinity=False)
    pins = {rep_id: data.draw(amounts) for rep_id in chosen}
    for allocation in (allocate(plan), allocate(plan, pins)):
        counted = allocation.total_units()
        assert counted is not None
        expected = {}
        for node_id, total in allocation.totals().items():
            count = Fraction(total) / Fraction(plan.unit)
            expected[node_id] = int(count) if count.denominator == 1 else count
        assert counted == expected
        assert [type(v) for v in counted.values()] == [type(v) for v in expected.values()]
        assert counted.keys() == plan.tree.nodes.keys()


def _plan_with_pins(spec, data):
    """The plan of `spec` and pins of up to four of its nodes (any node), cents included."""
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_plan(write_plan(spec, Path(tmp)))
    plan = loaded.plan
    assert plan is not None
    ids = sorted(plan.tree.nodes)
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=4))
    amounts = st.decimals(0, 100_000, places=2, allow_nan=False, allow_infinity=False)
    return plan, {node_id: data.draw(amounts) for node_id in chosen}


@settings(max_examples=80, deadline=None)
@given(plan_specs(), st.data())
def test_clamped_is_at_its_own_guardrail_and_held_inside_it(spec, data):
    """docs/design.md, "Hybrid reconcile", flags: a node flagged clamped is at an end of its
    own band; one flagged held is a unit at an end of its range inside its band; and a node
    at an end of its band (a range of more than one point) that its signal lies beyond, or
    whose parent is pushed that way, is flagged clamped. Families whose guardrail widened
    have other bands: only the first two are asked of them."""
    plan, pins = _plan_with_pins(spec, data)
    result = reconcile(plan, allocate(plan), pins=pins)
    n = result.by_id()
    widened = set(result.relaxed)

    def pushed(record, end: str) -> bool:
        """Flagged at its range's `end` ("low" or "high"), a range of more than one point,
        in a family whose ranges are the records' own."""
        return (
            (record.clamped or record.held)
            and record.low != record.high
            and record.total == getattr(record, end)
            and record.parent not in widened
        )

    for node in plan.tree.top_down():
        r = n[node.id]
        assert not (r.clamped and r.held), node.id
        if r.parent is None or r.pinned:
            assert not r.clamped and not r.held, node.id
            continue
        low, high = _band(r.top_down, result.max_shift, plan.unit)
        if r.parent in widened:
            continue
        if r.clamped:
            assert r.total in (low, high), (node.id, r.total, low, high)
        if r.held:
            assert node.children, node.id
            assert (r.total == r.high < high) or (r.total == r.low > low), node.id
        if r.low == r.high:
            continue
        parent = n[r.parent]
        if r.total == high and (r.signal > high or pushed(parent, "high")):
            assert r.clamped, (node.id, r.total, r.signal, parent.id)
        if r.total == low and (r.signal < low or pushed(parent, "low")):
            assert r.clamped, (node.id, r.total, r.signal, parent.id)


@settings(max_examples=40, deadline=None)
@given(plan_specs(), st.data())
def test_signals_are_each_nodes_by_its_definition(spec, data):
    """`_Reconciler._signals`, reps team by team and then the units: every node's signal as
    a walk of every node, bottom-up, gives it (a pin's amount; a rep's employed forecast if
    they submitted, else their top-down; a unit's the sum of its children's), with pins of
    any node, cents included."""
    plan, pins = _plan_with_pins(spec, data)
    engine = _Reconciler(plan, allocate(plan), pins)
    minor = Fraction(1, 10**plan.currency_exponent)
    expected: dict[str, Fraction] = {}
    for node in plan.tree.bottom_up():
        if node.id in pins:
            expected[node.id] = Fraction(pins[node.id]) / minor
        elif node.is_rep:
            submitted = engine.forecasts.submitted[node.id]
            amount = engine.forecasts.totals[node.id] if submitted else None
            if amount is None:
                amount = engine.top_down.get(node.id, D(0))
            expected[node.id] = Fraction(amount) / minor
        else:
            expected[node.id] = sum((expected[c] for c in node.children), Fraction(0))
    assert engine.signals == expected


@settings(max_examples=40, deadline=None)
@given(plan_specs(), st.data())
def test_ranges_are_each_nodes_by_its_definition(spec, data):
    """`_Reconciler.compute_ranges`, reps team by team and then the units: every node's
    range as a walk of every node, bottom-up, gives it (the root's top-down; a pin's
    amount; a unit's narrowed band; a rep's or an empty unit's band), with pins of any
    node, cents included."""
    plan, pins = _plan_with_pins(spec, data)
    engine = _Reconciler(plan, allocate(plan), pins)
    engine.compute_ranges()
    walked = _Reconciler(plan, allocate(plan), pins)
    for node in plan.tree.bottom_up():
        if node.id == plan.tree.root:
            walked.ranges[node.id] = (walked.td[node.id], walked.td[node.id])
        elif node.id in pins:
            walked.ranges[node.id] = (walked.units(pins[node.id]),) * 2
        elif node.children:
            walked.ranges[node.id] = walked.narrow(node)
        else:
            walked.ranges[node.id] = walked.band(node.id, walked.max_shift)
    assert engine.ranges == walked.ranges
