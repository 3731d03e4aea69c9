from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_strategies import PlanSpec, plan_specs, write_plan
from salesplan import load_plan
from salesplan.allocate import allocate
from salesplan.rollup import Rollup, rollup, select

D = Decimal

# Two teams split evenly, reps by history. 2027-02-01 starts the fiscal year, so it ends on
# 2028-02-01. Quotas: t1 500 000 -> a 300 000 (60), b 200 000 (40); t2 500 000 -> c 250 000
# (50), e 250 000 (100, on board half the year: 50), d and f 0 (history 0, not on board). Reps are phased by capacity: e starts in
# August, the first month of Q3, so e's 250 000 falls in Q3 and Q4.
PLAN = {
    "salesplan.yaml": """
        salesplan: 1
        id: acme
        name: Rollup example
        currency: USD
        fiscal_year: {start: 2027-02-01, periods: quarter}
        target: 1_000_000
        rounding: 1000
        levels:
          - {name: team, split: even}
          - {name: rep, split: history}
    """,
    "org.yaml": """
        units:
          - {id: t1, level: team}
          - {id: t2, level: team}
        reps:
          - {id: a, parent: t1, metrics: {history: 60}}
          - {id: b, parent: t1, metrics: {history: 40}}
          - {id: c, parent: t2, metrics: {history: 50}}
          # planned, starts on the day the fiscal year ends: not expected to submit
          - {id: d, parent: t2, status: planned, start: 2028-02-01, metrics: {history: 0}}
          # planned, starts in Q3 (half the year on board: its weight 100 is prorated to 50)
          - {id: e, parent: t2, status: planned, start: 2027-08-01, metrics: {history: 100}}
          # left before the fiscal year: not expected to submit
          - {id: f, parent: t2, start: 2020-01-01, end: 2027-01-15, metrics: {history: 0}}
    """,
    "submissions/a.yaml": """
        rep: a
        forecast: {Q1: 100_000, Q2: 50_000}
    """,
    # c's two Q1 rows add up; the ghost rep, the Q5 period and the negative amount are
    # reported by `check` and left out of the rollup.
    "submissions/team.csv": """
        rep,period,amount
        c,Q1,200000
        c,Q1,50000
        c,Q3,100000
        e,Q3,40000
        ghost,Q1,999
        c,Q5,7
        c,Q2,-10
    """,
}


@pytest.fixture
def worked(write_tree) -> Rollup:
    plan = load_plan(write_tree(PLAN)).plan
    assert plan is not None
    return rollup(plan, allocate(plan))


def test_worked_example(worked):
    nodes = worked.by_id()
    assert sorted(nodes) == ["a", "acme", "b", "c", "d", "e", "f", "t1", "t2"]
    assert worked.periods == ("Q1", "Q2", "Q3", "Q4")
    # a: 100 000 + 50 000 = 150 000 against 300 000: gap 150 000, coverage 0.5
    a = nodes["a"]
    assert a.forecast_periods == (D(100_000), D(50_000), D(0), D(0))
    assert (a.forecast_total, a.quota_total, a.gap, a.coverage) == (
        D(150_000),
        D(300_000),
        D(150_000),
        D("0.5"),
    )
    assert a.quota_periods == (D(75_000),) * 4
    # b submitted nothing: forecast 0, gap = the whole quota, listed as missing
    b = nodes["b"]
    assert (b.forecast_total, b.gap, b.coverage, b.missing) == (D(0), D(200_000), D(0), ("b",))
    # c: Q1 200 000 + 50 000, Q3 100 000 = 350 000 against 250 000: gap -100 000, 1.4
    c = nodes["c"]
    assert c.forecast_periods == (D(250_000), D(0), D(100_000), D(0))
    assert (c.forecast_total, c.gap, c.coverage) == (D(350_000), D(-100_000), D("1.4"))
    # d: quota 0, so no coverage; not expected to submit
    d = nodes["d"]
    assert (d.quota_total, d.gap, d.coverage, d.missing) == (D(0), D(0), None, ())
    # e: 40 000 against 250 000 (phased 0, 0, 125 000, 125 000): coverage 0.16
    e = nodes["e"]
    assert e.quota_periods == (D(0), D(0), D(125_000), D(125_000))
    assert (e.forecast_total, e.gap, e.coverage) == (D(40_000), D(210_000), D("0.16"))
    assert nodes["f"].missing == ()
    # t1 = a + b = 150 000 against 500 000: coverage 0.3; t2 = c + e = 390 000: 0.78
    t1, t2 = nodes["t1"], nodes["t2"]
    assert (t1.forecast_total, t1.gap, t1.coverage, t1.missing) == (
        D(150_000),
        D(350_000),
        D("0.3"),
        ("b",),
    )
    assert (t2.forecast_total, t2.gap, t2.coverage, t2.missing) == (
        D(390_000),
        D(110_000),
        D("0.78"),
        (),
    )
    # acme: Q1 100 000 + 250 000, Q2 50 000, Q3 100 000 + 40 000 = 540 000 of 1 000 000
    acme = worked.root
    assert acme.forecast_periods == (D(350_000), D(50_000), D(140_000), D(0))
    assert (acme.forecast_total, acme.gap, acme.coverage) == (D(540_000), D(460_000), D("0.54"))
    assert acme.missing == ("b",)
    assert (acme.submitted, t1.submitted, t2.submitted, b.submitted) == (3, 1, 2, 0)


def test_select_level_and_period(worked):
    # Q3: t1 forecast 0 against 125 000; t2 forecast 100 000 + 40 000 = 140 000 against
    # 125 000, so the gap is -15 000 and the coverage 1.12.
    view = select(worked, level="team", period="Q3")
    assert view.periods == ("Q3",)
    t1, t2 = view.nodes
    assert (t1.id, t1.forecast_total, t1.quota_total, t1.gap, t1.coverage) == (
        "t1",
        D(0),
        D(125_000),
        D(125_000),
        D(0),
    )
    assert (t2.id, t2.forecast_total, t2.quota_total, t2.gap, t2.coverage) == (
        "t2",
        D(140_000),
        D(125_000),
        D(-15_000),
        D("1.12"),
    )
    assert t2.forecast_periods == (D(140_000),) and t2.quota_periods == (D(125_000),)
    assert [n.id for n in select(worked, level="rep").nodes] == list("abcdef")
    assert select(worked, period="Q1").root.forecast_total == D(350_000)
    assert select(worked) == worked


def test_select_rejects_unknown_names(worked):
    with pytest.raises(ValueError, match=r"unknown level 'area'.*company, team, rep"):
        select(worked, level="area")
    with pytest.raises(ValueError, match=r"unknown period 'Q5'.*Q1, Q2, Q3, Q4"):
        select(worked, period="Q5")


def test_node_without_quota(write_tree):
    plan = load_plan(write_tree(PLAN)).plan
    assert plan is not None
    quotas = allocate(plan)
    quotas.nodes = [n for n in quotas.nodes if n.id != "c"]
    c = rollup(plan, quotas).by_id()["c"]
    assert (c.quota_total, c.quota_periods, c.gap, c.coverage) == (None, None, None, None)
    assert c.forecast_total == D(350_000)
    assert select(rollup(plan, quotas), period="Q1").by_id()["c"].quota_total is None


def test_example_plan(example):
    plan = load_plan(example).plan
    assert plan is not None
    result = rollup(plan, allocate(plan))
    root = result.root
    assert root.forecast_total == sum((e.amount for e in plan.submissions), D(0))
    # planned hires are not missing submissions: only active reps are expected to submit
    assert root.missing == ("dev",)
    assert root.quota_total == plan.settings.target


# ---- properties over generated plans


def _expected_forecasts(plan) -> dict[str, list[Decimal]]:
    """Each rep's forecast straight from the entries, independently of the engine."""
    labels = list(plan.periods)
    rows: dict[str, list[Decimal]] = defaultdict(lambda: [D(0)] * len(labels))
    for entry in plan.submissions:
        if entry.period in labels and entry.amount >= 0 and entry.rep in plan.reps_by_id:
            rows[entry.rep][labels.index(entry.period)] += entry.amount
    return rows


def _check_sums_of_leaves(spec: PlanSpec, folder: Path) -> Rollup:
    plan = load_plan(write_plan(spec, folder)).plan
    assert plan is not None
    quotas = allocate(plan)
    result = rollup(plan, quotas)
    tree = plan.tree
    leaves = _expected_forecasts(plan)
    zero = [D(0)] * len(plan.periods)
    submitted = {r.id for r in spec.reps if r.forecast is not None}
    quota_of = quotas.by_id()
    assert [n.id for n in result.nodes] == tree.order
    for node in result.nodes:
        reps = tree.reps_under(node.id)
        expected = [sum(col, D(0)) for col in zip(zero, *(leaves.get(r, zero) for r in reps))]
        assert list(node.forecast_periods) == expected
        assert node.forecast_total == sum(expected, D(0))
        assert node.submitted == len(submitted.intersection(reps))
        assert set(node.missing) <= set(reps) - submitted
        assert list(node.missing) == [r for r in reps if r in node.missing]
        quota = quota_of[node.id]
        assert node.quota_total == quota.total
        assert node.gap == quota.total - node.forecast_total
        if quota.total:
            assert node.coverage == node.forecast_total / quota.total
        else:
            assert node.coverage is None
    # active reps on board before the year ends (2028-02-01; ISO dates compare as text) who
    # have not submitted; planned hires are never missing submissions
    expected = {
        r.id
        for r in spec.reps
        if r.id not in submitted
        and r.status == "active"
        and (r.start is None or r.start < "2028-02-01")
        and (r.end is None or r.end >= "2027-02-01")
    }
    assert set(result.root.missing) == expected
    return result


@settings(max_examples=40, deadline=None)
@given(plan_specs())
def test_rollup_of_every_node_is_the_sum_of_its_leaves(spec):
    with tempfile.TemporaryDirectory() as tmp:
        result = _check_sums_of_leaves(spec, Path(tmp))
    for period in result.periods:
        view = select(result, period=period)
        for node, whole in zip(view.nodes, result.nodes):
            i = result.periods.index(period)
            assert node.forecast_total == whole.forecast_periods[i]


@settings(max_examples=15, deadline=None)
@given(plan_specs())
def test_yaml_csv_and_xlsx_submissions_roll_up_the_same(spec):
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for fmt in ("yaml", "csv", "xlsx"):
            plan = load_plan(write_plan(spec, Path(tmp) / fmt, fmt)).plan
            assert plan is not None
            results.append(rollup(plan, allocate(plan)))
    assert results[0] == results[1] == results[2]


def test_shown_forecasts_add_up(example, cli) -> None:
    """Forecasts in cents, shown in whole units (rounding: 1000): each family's shown
    forecasts add up to its parent's, in the table people read; CSV keeps the cents."""
    for name in ("ana", "ben"):
        path = example / "submissions" / f"{name}.yaml"
        path.write_text(re.sub(r"Q1: ([0-9_]+)", r"Q1: \g<1>.40", path.read_text(), count=1))
    markdown = cli("rollup", example, "--format", "markdown").stdout
    shown = {}
    for line in markdown.splitlines():
        cells = [c.replace("&nbsp;", "").strip().strip("*") for c in line.strip("|").split("|")]
        if len(cells) > 3 and cells[2][:1].isdigit():
            shown[cells[0]] = Decimal(cells[2].replace(",", ""))
    plan = load_plan(example).plan
    for node in plan.tree.top_down():
        if node.children:
            assert sum(shown[c] for c in node.children) == shown[node.id], node.id
    assert shown["amer-ent"] == 2_700_001  # 2,700,000.80, rounded once
    reps = cli("rollup", example, "--level", "rep", "--format", "markdown").stdout
    for line in reps.splitlines():  # one level shows each node as the whole tree does
        cells = [c.replace("&nbsp;", "").strip().strip("*") for c in line.strip("|").split("|")]
        if len(cells) > 3 and cells[2][:1].isdigit():
            assert Decimal(cells[2].replace(",", "")) == shown[cells[0]], cells[0]
    csv = cli("rollup", example, "--format", "csv").stdout
    assert "amer-ent,team,2700000.80," in csv


def test_a_long_list_of_reps_not_submitted_is_counted(example: Path, cli) -> None:
    """rollup's note and report's summary name the first ten reps who have not submitted
    and count the rest, as capacity's and reconcile's notes do (render.table.some_of):
    rollup listed all of them, thousands of ids on a real org."""
    org = example / "org.yaml"
    reps = "".join(f"  - {{id: late-{i:02d}, parent: amer-ent}}\n" for i in range(15))
    org.write_text(org.read_text().replace("reps:\n", "reps:\n" + reps, 1))
    result = cli("rollup", example)
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    note = text[text.index("have not submitted: ") :]
    names = note.split(": ", 1)[1].split(" and ")[0].split(", ")
    assert len(names) == 10, note
    assert " more (the table flags each)." in note, note
    summary = " ".join(cli("report", example).stdout.split())
    assert "late-07, late-08 and 6 more quotas.yaml" in summary  # Missing submissions


@given(
    st.text(),
    st.none() | st.text(),
    st.none() | st.decimals(-(10**12), 10**12, allow_nan=False, allow_infinity=False, places=2),
    st.lists(st.text(), max_size=3),
)
def test_rollup_node_records_are_the_encoders(
    node_id: str, parent: str | None, quota: Decimal | None, missing: list[str]
) -> None:
    """rollup writes its node records by template (render.json.EncodedRecords): each is exactly
    what the encoder writes for the record it holds."""
    import json
    from types import SimpleNamespace

    from salesplan.render import rollup as view
    from salesplan.render.json import chunks, safe
    from salesplan.rollup import RollupNode

    periods = (D("1"), D("-0"), D("2.5"))
    node = RollupNode(
        node_id, 'te"am\n', parent, D("3.5"), periods, quota,
        None if quota is None else (quota,), None if quota is None else D("1E+3"),
        None if not quota else D(1) / D(3), tuple(missing), len(missing),
    )  # fmt: skip
    plan = SimpleNamespace(currency_exponent=2)
    record = view._node_json(plan)(node)  # type: ignore[arg-type]
    assert "".join(chunks([json.loads(record)])) == safe(f"[{record}]\n")  # as chunks writes it


# Reps on board part of the year who forecast periods they are not employed in: g from
# mid-May (not employed in Q1), h until mid-June (not in Q3 or Q4), i left before the year,
# j a planned hire from Q4. Amounts in cents, some with fewer decimals, one rejected (-1).
PART_YEAR = {
    **PLAN,
    "org.yaml": PLAN["org.yaml"]
    + """
          - {id: g, parent: t1, start: 2027-05-15, metrics: {history: 10}}
          - {id: h, parent: t1, start: 2019-05-01, end: 2027-06-14, metrics: {history: 10}}
          - {id: i, parent: t2, start: 2019-05-01, end: 2026-12-31, metrics: {history: 10}}
          - {id: j, parent: t2, status: planned, start: 2027-11-01, metrics: {history: 10}}
    """,
    "submissions/part.csv": """
        rep,period,amount
        g,Q1,1000.50
        g,Q2,2000.5
        g,Q2,0.25
        h,Q2,300
        h,Q3,400.10
        h,Q4,-1
        i,Q1,70.07
        j,Q3,5
        j,Q4,6.60
        a,Q4,0.10
    """,
}


def test_employed_forecasts_are_forecast_trees_totals(write_tree):
    """Reconcile's lean path gives `forecast_tree(employed_only=True)`'s totals to the last
    digit and exponent, and its counts of reps who submitted."""
    from salesplan.rollup import employed_forecasts, forecast_tree

    plan = load_plan(write_tree(PART_YEAR)).plan
    assert plan is not None
    lean, full = employed_forecasts(plan), forecast_tree(plan, employed_only=True)
    assert {k: str(v) for k, v in lean.totals.items()} == {
        k: str(v) for k, v in full.totals.items()
    }
    assert lean.submitted == full.submitted
    # g's Q1, h's Q3, i's Q1 and j's Q3 are left out; i still counts as submitted
    totals = lean.totals
    assert (str(totals["g"]), str(totals["h"]), str(totals["i"]), str(totals["j"])) == (
        "2000.75",
        "300",
        "0",
        "6.60",
    )
    assert (lean.submitted["i"], lean.submitted["b"], lean.submitted["acme"]) == (1, 0, 7)


def test_employed_forecasts_never_sum_in_another_order_when_that_rounds(write_tree):
    """Sums past the 28 digits of Decimal's default precision round, so their order counts:
    then the totals are `forecast_tree`'s own. (a's total first, then b's, would give the
    root 28 nines; Q2's column first, as `forecast_tree` adds, gives 10^28.) A plan file
    cannot hold such amounts (SP412: at most 10^15), so they are put in after loading."""
    from salesplan.rollup import employed_forecasts, forecast_tree

    files = {**PLAN, "submissions/team.csv": "rep,period,amount\na,Q1,1\na,Q2,1\nb,Q2,1\n"}
    del files["submissions/a.yaml"]
    plan = load_plan(write_tree(files)).plan
    assert plan is not None
    (batch,) = plan.submissions.batches
    batch.amounts[:] = [D("9999999999999999999999999999"), D("0.4"), D("0.4")]
    lean, full = employed_forecasts(plan), forecast_tree(plan, employed_only=True)
    assert str(full.totals["acme"]) == "1.000000000000000000000000000E+28"
    assert {k: str(v) for k, v in lean.totals.items()} == {
        k: str(v) for k, v in full.totals.items()
    }
    assert lean.submitted == full.submitted


def _outside_employment(plan) -> list[tuple[str, str, Decimal]]:
    """The (rep, period, amount) SP609 reports, worked out rep by rep from their time on
    board, independently of `check_outside_employment`'s grouping."""
    from salesplan.productivity import plan_productivity

    productivity = plan_productivity(plan)
    found = []
    for entry in plan.submissions:
        rep = plan.reps_by_id.get(entry.rep)
        if rep is None or entry.rep not in plan.tree or entry.period not in plan.periods:
            continue
        share = productivity.on_board_periods(rep)[plan.periods.index(entry.period)]
        if not share and entry.amount > 0:
            found.append((entry.rep, entry.period, entry.amount))
    return found


def _rep_and_period(diagnostic) -> tuple[str, str]:
    """The rep and period of an SP609: `g forecasts 1000.50 for Q1, when ...`."""
    words = diagnostic.message.split()
    return words[0], words[4].rstrip(",")


def test_outside_employment_rows(write_tree):
    from salesplan.rollup import check_outside_employment

    plan = load_plan(write_tree(PART_YEAR)).plan
    assert plan is not None
    found = list(check_outside_employment(plan))
    expected = _outside_employment(plan)
    assert [_rep_and_period(d) for d in found] == [(r, p) for r, p, _ in expected]
    assert expected == [
        ("g", "Q1", D("1000.50")),
        ("h", "Q3", D("400.10")),
        ("i", "Q1", D("70.07")),
        ("j", "Q3", D(5)),
    ]
    assert found[0].message == (
        "g forecasts 1000.50 for Q1, when they are not employed (starts on 2027-05-15); "
        "reconcile leaves it out"
    )


@settings(max_examples=25, deadline=None)
@given(plan_specs())
def test_employed_forecasts_and_outside_employment_on_random_plans(spec):
    from salesplan.rollup import check_outside_employment, employed_forecasts, forecast_tree

    with tempfile.TemporaryDirectory() as tmp:
        plan = load_plan(write_plan(spec, Path(tmp))).plan
    assert plan is not None
    lean, full = employed_forecasts(plan), forecast_tree(plan, employed_only=True)
    assert {k: str(v) for k, v in lean.totals.items()} == {
        k: str(v) for k, v in full.totals.items()
    }
    assert lean.submitted == full.submitted
    found = [_rep_and_period(d) for d in check_outside_employment(plan)]
    assert found == [(r, p) for r, p, _ in _outside_employment(plan)]


def _forecasts_entry_by_entry(plan) -> dict[str, list[Decimal]]:
    """`submitted_forecasts` as it reads entry by entry: the reference for its blocks."""
    index = {label: i for i, label in enumerate(plan.periods)}
    reps = {node.id for node in plan.tree.nodes.values() if node.is_rep}
    found: dict[str, list[Decimal]] = {}
    for entry in plan.submissions:
        period = index.get(entry.period)
        if entry.rep not in reps or period is None or entry.amount < 0:
            continue
        row = found.setdefault(entry.rep, [D(0)] * len(index))
        row[period] += entry.amount
    return found


TEMPLATE = "rep,period,amount\n" + "".join(
    f"{rep},{period},{amount}\n"
    for rep, amounts in (("a", (100, 200.5, 0, 300)), ("b", (5, 6, 7, 8)), ("c", (1, 1, 1, 1)))
    for period, amount in zip(("Q1", "Q2", "Q3", "Q4"), amounts)
)


@pytest.mark.parametrize(
    "files",
    [
        {"submissions/team.csv": TEMPLATE},  # the template's layout: taken in blocks
        {"submissions/team.csv": TEMPLATE + "a,Q1,1\na,Q2,2\na,Q3,3\na,Q4,4\n"},  # a again
        {"submissions/team.csv": TEMPLATE.replace("b,Q3,7", "b,Q3,-7")},  # a negative amount
        {"submissions/team.csv": TEMPLATE.replace("c,", "ghost,")},  # an unknown rep
        {"submissions/team.csv": TEMPLATE.replace("b,Q3", "b,Q5")},  # an unknown period
        {"submissions/team.csv": TEMPLATE.replace("b,Q3", "b,Q4").replace("b,Q4,8", "b,Q3,8")},
        {"submissions/team.csv": TEMPLATE.replace("c,Q4", "b,Q4")},  # c's block is b's too
        {"submissions/team.csv": TEMPLATE, "submissions/z.csv": TEMPLATE},  # two files
        {"submissions/a.yaml": "rep: a\nforecast: {Q1: 1, Q2: 2, Q3: 3, Q4: 4}\n"},
        {
            "submissions/a.yaml": "rep: a\nforecast: {Q1: 1, Q2: 2, Q3: 3, Q4: 4}\n",
            "submissions/team.csv": TEMPLATE,  # a again, in the second file read
        },
    ],
)
def test_submissions_taken_in_blocks_are_as_entry_by_entry(write_tree, files):
    """A batch laid out as the submission template lays it out is taken in blocks, without
    a loop over its rows; any other layout entry by entry. Both give the same forecasts."""
    from salesplan.rollup import submitted_forecasts

    tree = {k: v for k, v in PLAN.items() if not k.startswith("submissions/")}
    plan = load_plan(write_tree({**tree, **files})).plan
    assert plan is not None
    found = submitted_forecasts(plan)
    expected = _forecasts_entry_by_entry(plan)
    assert found.keys() == expected.keys()
    assert {k: [str(a) for a in v] for k, v in found.items()} == {
        k: [str(a) for a in v] for k, v in expected.items()
    }
