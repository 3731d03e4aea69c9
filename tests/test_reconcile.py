from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings

from plan_strategies import plan_specs, write_plan
from salesplan import load_plan
from salesplan.allocate import allocate
from salesplan.money import to_units
from salesplan.reconcile import Reconciliation, reconcile, to_allocation, water_fill

D = Decimal

# Top-down: three teams split evenly, 400 000 each; reps by history with +10%, so each team's
# pool is 440 000: t1 -> a 176 000 (40), b 154 000 (35), g 110 000 (25); t2 -> p pinned at
# 50 000, the rest 390 000 -> c 234 000 (60), d 156 000 (40); t3 -> h, i 220 000 each.
# Guardrail ±10%. Capacity 220 000 per rep (full year, full productivity). Budget: a's OTE
# of 150 000 is 12.5% of the target, above 10%.
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
    return (node.top_down, node.bottom_up, node.total, node.clamped)


def test_root_family_one_child_clamped_the_rest_reshared(worked):
    n = worked.by_id()
    # The root's pool is the target, 1 200 000 (team over_assign 0). Bottom-up t1 600 000,
    # t2 300 000, t3 300 000: shares 600 000 / 300 000 / 300 000. Guardrail 400 000 ± 10%
    # = [360 000, 440 000]: t1 is held at 440 000, the other 760 000 re-shared 1:1 =
    # 380 000 each, inside their guardrails.
    assert _row(n["acme"]) == (D(1_200_000), D(1_200_000), D(1_200_000), False)
    assert _row(n["t1"]) == (D(400_000), D(600_000), D(440_000), True)
    assert _row(n["t2"]) == (D(400_000), D(300_000), D(380_000), False)
    assert _row(n["t3"]) == (D(400_000), D(300_000), D(380_000), False)
    assert (n["t1"].shift, n["t2"].shift) == (D("0.1"), D("-0.05"))
    # units are phased like their top-down periods (even): 440 000 / 4
    assert n["t1"].periods == (D(110_000),) * 4
    assert n["acme"].periods == (D(300_000),) * 4


def test_water_filling_reshares_until_the_pool_is_met(worked):
    n = worked.by_id()
    # t1's pool: 440 000 x 1.1 = 484 000. Baselines: top-down rescaled by 484 000 / 440 000
    # = 1.1: a 193 600, b 169 400, g 121 000; guardrails ±10%: a [174 240, 212 960],
    # b [152 460, 186 340], g [108 900, 133 100]. Bottom-up a 360 000, b 150 000, g 90 000:
    # first shares x 484/600: a 290 400 (above), b 121 000 (below), g 72 600 (below); those
    # three bounds sum to only 474 320. Water level λ: a held at 212 960, g at 108 900, and
    # b = 150 000 λ = 484 000 - 212 960 - 108 900 = 162 140 (λ = 1.0809), inside b's
    # guardrail, so b is not clamped. Largest remainder in units of 1000: 212.96, 162.14,
    # 108.9 -> 212 + 162 + 108 = 482, the two units left go to a (.96) and g (.9).
    assert _row(n["a"]) == (D(176_000), D(360_000), D(213_000), True)
    assert _row(n["b"]) == (D(154_000), D(150_000), D(162_000), False)
    assert _row(n["g"]) == (D(110_000), D(90_000), D(109_000), True)
    assert (n["a"].baseline, n["a"].low, n["a"].high) == (D(193_600), D(174_240), D(212_960))
    # a's forecast is even, so 213 000 is phased 53 250 each: 53 x 4 = 212, the last unit
    # to Q1 (equal remainders and weights: the first key)
    assert n["a"].periods == (D(54_000), D(53_000), D(53_000), D(53_000))
    # b forecasts only Q2, g only Q4
    assert n["b"].periods == (D(0), D(162_000), D(0), D(0))
    assert n["g"].periods == (D(0), D(0), D(0), D(109_000))
    # shift is against the top-down quota: 213 000 / 176 000 - 1
    assert n["a"].shift == D(213_000) / D(176_000) - 1


def test_pins_and_children_without_submissions(worked):
    n = worked.by_id()
    # t2's pool: 380 000 x 1.1 = 418 000; p keeps its pin of 50 000; the rest, 368 000, is
    # shared like the top-down 234 000 : 156 000 -> baselines c 220 800, d 147 200. d has no
    # submission and keeps its baseline; c is the only child with submissions, so its
    # bottom-up share is all of the 220 800 left. Rounding: 220.8 + 147.2 -> 220 + 147,
    # the unit left goes to c (.8).
    assert _row(n["p"]) == (D(50_000), D(50_000), D(50_000), False) and n["p"].pinned
    assert _row(n["c"]) == (D(234_000), D(250_000), D(221_000), False)
    assert _row(n["d"]) == (D(156_000), None, D(147_000), False)
    assert (n["c"].baseline, n["d"].baseline) == (D(220_800), D(147_200))
    # c phased by its forecast 100 000 : 150 000 -> 88.4 : 132.6 -> 88 000, 133 000
    assert n["c"].periods == (D(88_000), D(0), D(133_000), D(0))
    # d phased like its top-down (even): 147 / 4 = 36.75 -> 36 each, three units left
    assert n["d"].periods == (D(37_000), D(37_000), D(37_000), D(36_000))
    assert n["p"].periods == (D(50_000), D(0), D(0), D(0))


def test_both_children_clamped_and_rounding(worked):
    n = worked.by_id()
    # t3's pool 418 000; baselines 209 000 each, guardrail [188 100, 229 900]. Bottom-up
    # shares 1 : 2 = 139 333 and 278 667: h held at its low, i at its high, and they meet
    # the pool exactly. Rounding: 188.1 + 229.9 -> 188 + 229, the unit left goes to i (.9),
    # so i ends 100 above its guardrail: rounding may cross a bound by less than one unit.
    assert _row(n["h"]) == (D(220_000), D(100_000), D(188_000), True)
    assert _row(n["i"]) == (D(220_000), D(200_000), D(230_000), True)
    assert worked.relaxed == ()


def test_flags(worked):
    n = worked.by_id()
    # sandbagging: bottom-up below top-down x 0.9. g 90 000 < 99 000; h 100 000 < 198 000;
    # t3 300 000 < 360 000 with everyone submitted. t2's 300 000 is as low, but d has not
    # submitted, so t2 is not flagged.
    assert {k for k, v in n.items() if v.sandbagging} == {"g", "h", "t3"}
    # over capacity: proposals above 220 000: c 221 000 and i 230 000
    assert {k for k, v in n.items() if v.over_capacity} == {"c", "i"}
    assert worked.budget_breach


def test_to_allocation(worked):
    allocation = to_allocation(worked)
    assert [q.id for q in allocation.nodes] == [n.id for n in worked.nodes]
    q = allocation.by_id()["c"]
    assert (q.total, q.periods, q.pinned, q.level, q.parent) == (
        D(221_000),
        (D(88_000), D(0), D(133_000), D(0)),
        False,
        "rep",
        "t2",
    )
    assert allocation.by_id()["p"].pinned
    assert (allocation.currency, allocation.periods, allocation.unit) == (
        "USD",
        ("Q1", "Q2", "Q3", "Q4"),
        D(1000),
    )


INFEASIBLE = {
    "salesplan.yaml": """
        salesplan: 1
        id: acme
        name: Infeasible
        currency: USD
        fiscal_year: {start: 2027-02-01, periods: quarter}
        target: 100_000
        rounding: 1000
        levels:
          - {name: rep, split: history}
        reconcile: {max_shift: 0.1}
    """,
    "org.yaml": """
        reps:
          - {id: x, metrics: {history: 1}}
          - {id: y, metrics: {history: 9}}
    """,
    "submissions/s.csv": """
        rep,period,amount
        x,Q1,50000
        y,Q1,0
    """,
}


def test_infeasible_family_is_relaxed_and_keeps_its_pool(write_tree):
    plan = load_plan(write_tree(INFEASIBLE)).plan
    assert plan is not None
    result = reconcile(plan, allocate(plan))
    n = result.by_id()
    # Top-down x 10 000, y 90 000. y submitted 0, so its share is 0 and it sits at its low,
    # 81 000; x can take at most 11 000: 92 000 < 100 000. Relaxed: both scaled by
    # 100 000 / 92 000 -> x 11 956.52, y 88 043.48 -> 11 + 88 units, the one left to x.
    assert result.relaxed == ("acme",)
    assert (n["x"].total, n["y"].total) == (D(12_000), D(88_000))
    assert n["x"].clamped and n["y"].clamped
    assert n["y"].bottom_up == D(0) and n["y"].sandbagging
    assert not result.budget_breach
    assert not any(v.over_capacity for v in n.values())  # no capacity policy: no flag


def test_pins_that_no_longer_fit_are_reported(write_tree):
    plan_text = PLAN["salesplan.yaml"].replace("max_shift: 0.1", "max_shift: 0.5")
    org = PLAN["org.yaml"].replace("quota: 50_000", "quota: 300_000")
    subs = {"submissions/t.csv": "rep,period,amount\na,Q1,1000000\nc,Q1,1\n"}
    plan = load_plan(write_tree({"salesplan.yaml": plan_text, "org.yaml": org, **subs})).plan
    assert plan is not None
    result = reconcile(plan, allocate(plan))
    n = result.by_id()
    # t3 has no submission and keeps 400 000; t1 (forecast 1 000 000) and t2 (1) share the
    # other 800 000: t1 is held at its +50% bound, 600 000, t2 at its low, 200 000. t2's
    # pool, 220 000, is below p's pin of 300 000: p keeps its pin, c and d get 0, and the
    # family is reported.
    assert (n["t1"].total, n["t2"].total, n["t3"].total) == (D(600_000), D(200_000), D(400_000))
    assert (n["p"].total, n["c"].total, n["d"].total) == (D(300_000), D(0), D(0))
    assert [d.code for d in result.diagnostics] == ["SP413"]
    assert "'t2'" in result.diagnostics[0].message


def test_example_plan(example):
    plan = load_plan(example).plan
    assert plan is not None
    quotas = allocate(plan)
    result = reconcile(plan, quotas)
    n = result.by_id()
    assert n["acme"].total == quotas.nodes[0].total == D(12_800_000)
    assert n["ana"].total == D(1_500_000) and n["ana"].pinned
    assert n["dev"].bottom_up is None and n["dev"].baseline == n["carla"].baseline
    assert result.relaxed == () and result.diagnostics == ()


def test_water_fill_directly():
    # weights 1 : 1 : 2 over a pool of 100, each within [20, 30]: shares 25, 25, 50 -> the
    # third is held at 30 and the other two share 70 equally, 35 each, above 30 -> every
    # child ends at 30 + 30 + 30 = 90 < 100: no level meets the pool, so it is relaxed.
    fill = water_fill(
        {"a": D(1), "b": D(1), "c": D(2)},
        dict.fromkeys("abc", D(20)),
        dict.fromkeys("abc", D(30)),
        D(100),
    )
    assert fill.relaxed and fill.clamped == {"a", "b", "c"}
    assert abs(sum(fill.amounts.values()) - 100) < D("1e-20")
    # within [20, 40]: c held at 40, a and b 30 each.
    fill = water_fill(
        {"a": D(1), "b": D(1), "c": D(2)},
        dict.fromkeys("abc", D(20)),
        dict.fromkeys("abc", D(40)),
        D(100),
    )
    assert fill.amounts == {"a": 30, "b": 30, "c": 40} and fill.clamped == {"c"}
    assert not fill.relaxed


# ---- properties over generated plans


def _floor(amount: Decimal, unit: Decimal) -> Decimal:
    return amount - amount % unit


def _check_reconcile(folder: Path) -> None:
    plan = load_plan(folder).plan
    assert plan is not None
    quotas = allocate(plan)
    result = reconcile(plan, quotas)
    n = result.by_id()
    unit = plan.unit
    tree = plan.tree
    levels = {lv.name: lv for lv in plan.settings.levels}
    pins = {r.id: r.quota for r in plan.org.reps if r.quota is not None}
    reported = " ".join(d.message for d in result.diagnostics)
    assert n[tree.root].total == quotas.nodes[0].total
    for node in tree.top_down():
        record = n[node.id]
        assert record.total >= 0 and all(p >= 0 for p in record.periods)
        assert sum(record.periods, D(0)) == record.total
        if node.id in pins:
            assert record.pinned and record.total == pins[node.id]
        elif record.parent is not None and record.parent not in result.relaxed:
            # rounding to the unit may cross a bound by less than one unit (the bounds are
            # shown to the currency's minor unit)
            assert record.low - unit <= record.total <= record.high + unit
        if node.is_rep and record.bottom_up is None and not record.pinned:
            assert abs(record.total - record.baseline) <= unit  # keeps its rescaled share
        if not node.children:
            continue
        over = levels[n[node.children[0]].level].over_assign
        pool = to_units(record.total * (1 + over), unit) * unit
        children = sum((n[c].total for c in node.children), D(0))
        if children != pool:  # only pins can break a pool, and that is reported
            assert any(c in pins for c in node.children) and repr(node.id) in reported
        if node.id in result.relaxed:  # only when no level within the guardrails meets it
            free = [n[c] for c in node.children if not n[c].pinned and n[c].bottom_up is not None]
            reach = sum((c.high if c.bottom_up else c.low for c in free), D(0))
            slack = len(free) * D("0.01")  # the bounds are shown to the cent
            assert reach < sum((c.baseline for c in free), D(0)) + slack


@settings(max_examples=40, deadline=None)
@given(plan_specs())
def test_reconcile_conserves_pools_within_guardrails(spec):
    with tempfile.TemporaryDirectory() as tmp:
        _check_reconcile(write_plan(spec, Path(tmp)))
