"""Capacity (docs/design.md, "Capacity"): ramp-adjusted capacity per period, attrition, hires needed,
cost of sales and the per-rep quota economics, on examples worked out by hand."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans import materialise, plan_specs
from salesplan import load_plan
from salesplan.allocate import Allocation, NodeQuota
from salesplan.capacity import (
    EXACT,
    capacity_report,
    cost_of_sales,
    plan_capacity,
    quota_capacities,
)
from salesplan.carving import exact_sum
from salesplan.render import capacity as view
from salesplan.render.json import chunks, safe
from salesplan.render.table import display_decimals, quantized
from salesplan.scaffold import scaffold

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def D(*values: str | int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def clean_plan(folder: Path):
    loaded = load_plan(folder)
    assert [str(d) for d in loaded.diagnostics] == []
    return loaded.plan


# A ramp of 0% / 50% / 100% by quarter of tenure: tenure months 1-3 produce nothing, months
# 4-6 half, from month 7 on everything. full_quota 1,200,000 is 100,000 a month; attainment 1;
# no attrition. Calendar year, quarterly periods; target 5,000,000, even seasonality.
SETTINGS = """
    salesplan: 1
    name: Capacity worked example
    currency: USD
    fiscal_year: {start: 2027-01-01, periods: quarter}
    target: %(target)s
    levels: [{name: rep, split: even}]
    capacity:
      full_quota: 1_200_000
      attainment: %(attainment)s
      ramp: {quarterly: [0, 0, 0, 0.5, 0.5, 0.5]}
      default_ramp: quarterly
      attrition: %(attrition)s
    budget: {max_cost_of_sales: %(budget)s}
"""
REPS = [
    # two tenured reps: 100,000 every month -> 300,000 a quarter each
    "{id: t1, start: 2019-05-01, ote: {base: 100_000, variable: 100_000}}",
    "{id: t2, start: 2022-09-12, ote: {base: 100_000, variable: 100_000}}",
    # hired on the first day of the year: Jan-Mar 0, Apr-Jun 50%, Jul-Dec 100%
    #   -> Q1 0, Q2 150,000, Q3 300,000, Q4 300,000 = 750,000 (7.5 productive months)
    "{id: h1, start: 2027-01-01, ote: {base: 80_000, variable: 80_000}}",
    # planned hire starting in month 4: Apr-Jun 0, Jul-Sep 50%, Oct-Dec 100%
    #   -> Q1 0, Q2 0, Q3 150,000, Q4 300,000 = 450,000 (4.5 productive months)
    "{id: p1, start: 2027-04-01, status: planned, ote: {base: 80_000, variable: 80_000}}",
    # leaves mid-year: `end` is the last working day, inclusive, so June counts in full
    #   -> Q1 300,000, Q2 300,000, Q3 0, Q4 0 = 600,000 (6 months)
    "{id: l1, start: 2018-02-01, end: 2027-06-30, ote: {base: 90_000, variable: 90_000}}",
]
# Capacity per quarter:
#   Q1 = 300 + 300 +   0 +   0 + 300 =   900,000
#   Q2 = 300 + 300 + 150 +   0 + 300 = 1,050,000
#   Q3 = 300 + 300 + 300 + 150 +   0 = 1,050,000
#   Q4 = 300 + 300 + 300 + 300 +   0 = 1,200,000      year 4,200,000 against 5,000,000
# Gap 800,000; a hire on 2027-01-01 adds 750,000 (like h1) -> 2 hires (1 is not enough).
# OTE pro rata by months employed: t1 200,000; t2 200,000; h1 160,000 (12 months);
#   p1 160,000 x 9/12 = 120,000; l1 180,000 x 6/12 = 90,000 -> 770,000 / 5,000,000 = 15.4%.


def worked_example(
    write_tree, target="5_000_000", attainment="1", attrition="0", budget="0.2", extra=()
) -> Path:
    values = {"target": target, "attainment": attainment, "attrition": attrition, "budget": budget}
    org = "reps:\n" + "".join(f"  - {rep}\n" for rep in [*REPS, *extra])
    return write_tree({"salesplan.yaml": SETTINGS % values, "org.yaml": org})


def test_worked_capacity_example(write_tree) -> None:
    plan = clean_plan(worked_example(write_tree))
    report = capacity_report(plan, plan.allocation)
    assert report.periods == ("Q1", "Q2", "Q3", "Q4")
    assert report.target == D(1_250_000, 1_250_000, 1_250_000, 1_250_000)
    assert report.capacity == D(900_000, 1_050_000, 1_050_000, 1_200_000)
    assert (report.total_target, report.total_capacity) == (Decimal(5_000_000), Decimal(4_200_000))
    assert report.gap == Decimal(800_000)
    assert report.coverage == Decimal("0.84")
    assert report.hire_start == date(2027, 1, 1)
    assert report.hire_capacity == Decimal(750_000)
    assert report.hires_needed == 2
    assert report.total_ote == Decimal(770_000)
    assert report.cost_of_sales == Decimal("0.154")
    assert not report.over_budget

    reps = {r.id: r for r in report.reps}
    assert {k: r.periods for k, r in reps.items()} == {
        "t1": D(300_000, 300_000, 300_000, 300_000),
        "t2": D(300_000, 300_000, 300_000, 300_000),
        "h1": D(0, 150_000, 300_000, 300_000),
        "p1": D(0, 0, 150_000, 300_000),
        "l1": D(300_000, 300_000, 0, 0),
    }
    assert {k: r.months_on_board for k, r in reps.items()} == {
        "t1": 12,
        "t2": 12,
        "h1": 12,
        "p1": 9,
        "l1": 6,
    }
    assert {k: r.productive_months for k, r in reps.items()} == dict(
        zip(["t1", "t2", "h1", "p1", "l1"], D(12, 12, "7.5", "4.5", 6))
    )
    assert {k: r.ote for k, r in reps.items()} == dict(
        zip(["t1", "t2", "h1", "p1", "l1"], D(200_000, 200_000, 160_000, 120_000, 90_000))
    )
    # Quotas: an even split of 5,000,000 prorated by the fraction of the year on board,
    # weights 1, 1, 1, 9/12, 6/12 (sum 4.25): t1, t2, h1 1,176,470.59; p1 882,352.94;
    # l1 588,235.29 (cents by largest remainder: they add up to 5,000,000.00).
    assert [(r.id, r.quota) for r in report.reps] == list(  # the tree's order: by id
        zip(
            ["h1", "l1", "p1", "t1", "t2"],
            D("1176470.59", "588235.29", "882352.94", "1176470.59", "1176470.59"),
        )
    )
    # Commission rate = variable (pro rata) / quota; quota/OTE = quota / OTE (pro rata):
    #   t1 100,000 / 1,176,470.59 = 8.5%; p1 60,000 / 882,352.94 = 6.8%; l1 45,000 /
    #   588,235.29 = 7.65%: proration keeps the rates comparable.
    assert round(reps["t1"].commission_rate, 6) == Decimal("0.085")
    assert round(reps["p1"].commission_rate, 6) == Decimal("0.068")
    assert round(reps["p1"].quota_to_ote, 20) == round(Decimal("882352.94") / 120_000, 20)
    assert round(reps["l1"].commission_rate, 6) == Decimal("0.0765")
    # Over capacity: quota above full_quota x productive months / 12 (attainment aside):
    #   t1, t2 1,200,000 and l1 600,000 carry their quotas; h1 750,000 and p1 450,000 do not
    assert {k: r.quota_capacity for k, r in reps.items()} == dict(
        zip(["t1", "t2", "h1", "p1", "l1"], D(1_200_000, 1_200_000, 750_000, 450_000, 600_000))
    )
    assert [r.id for r in report.reps if r.over_capacity] == ["h1", "p1"]


def test_attainment_scales_capacity(write_tree) -> None:
    plan = clean_plan(worked_example(write_tree, attainment="0.8"))
    report = capacity_report(plan, plan.allocation)
    # 80% of 900,000 / 1,050,000 / 1,050,000 / 1,200,000; a hire adds 80% of 750,000
    assert report.capacity == D(720_000, 840_000, 840_000, 960_000)
    assert report.hire_capacity == Decimal(600_000)
    assert report.hires_needed == 3  # gap 1,640,000 / 600,000 = 2.73
    # the over-capacity flag compares with quota capacity, not expected bookings
    assert [r.id for r in report.reps if r.over_capacity] == ["h1", "p1"]


@pytest.mark.parametrize(
    ("hire_start", "hire_capacity", "hires"),
    [
        # hired 2026-10-01: Oct-Dec (before the year) 0, Jan-Mar 50%, Apr-Dec 100%
        #   -> 150,000 + 900,000 = 1,050,000: one hire closes the 800,000 gap
        ("2026-10-01", "1050000.00", 1),
        ("2027-01-01", "750000.00", 2),  # like h1: 750,000 -> 800/750 -> 2
        ("2027-04-01", "450000.00", 2),  # like p1: 450,000 -> 1.78 -> 2
        ("2027-07-01", "150000.00", 6),  # Jul-Sep 0, Oct-Dec 50%: 150,000 -> 5.33 -> 6
        ("2027-10-20", "0.00", None),  # still in the zero quarter of the ramp at year end
        ("2028-01-01", "0.00", None),  # after the year: no hire can close the gap
    ],
)
def test_hires_needed(write_tree, cli, hire_start, hire_capacity, hires) -> None:
    folder = worked_example(write_tree)
    result = cli("capacity", folder, "--hire-start", hire_start, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["hire_start"], doc["hire_capacity"]) == (hire_start, hire_capacity)
    assert doc["hires_needed"] == hires
    if hires is None:
        assert '"hires_needed": null' in result.stdout
        text = cli("capacity", folder, "--hire-start", hire_start).stdout
        assert "cannot be closed by hiring" in text


@pytest.mark.parametrize("hire_start", ["2026-10-01", "2027-01-01", "2027-04-01", "2027-07-01"])
@pytest.mark.parametrize("attrition", ["0", "0.3"])
def test_hires_needed_is_the_fewest_that_close_the_gap(write_tree, hire_start, attrition) -> None:
    """Adding `hires_needed` reps starting then to org.yaml closes the gap; one fewer does not."""
    plan = clean_plan(worked_example(write_tree, attrition=attrition))
    needed = capacity_report(plan, hire_start=date.fromisoformat(hire_start)).hires_needed
    assert needed is not None and needed > 0

    def gap_with(count: int) -> Decimal:
        hires = [f"{{id: hire{i}, start: {hire_start}, status: planned}}" for i in range(count)]
        grown = clean_plan(worked_example(write_tree, attrition=attrition, extra=hires))
        return capacity_report(grown).gap

    assert gap_with(needed) <= 0
    assert gap_with(needed - 1) > 0


@pytest.mark.parametrize("target", ["4_000_000", "4_200_000"])
def test_no_hire_when_capacity_covers_the_target(write_tree, target) -> None:
    plan = clean_plan(worked_example(write_tree, target=target))
    report = capacity_report(plan, plan.allocation)
    assert report.gap <= 0
    assert report.hires_needed == 0


def test_attrition_applies_to_reps_on_board_at_the_start(write_tree) -> None:
    folder = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: Attrition
                currency: USD
                fiscal_year: {start: 2027-01-01, periods: month}
                target: 4_000_000
                levels: [{name: rep, split: even}]
                capacity: {full_quota: 1_200_000, attrition: 0.2}
            """,
            "org.yaml": """
                reps:
                  - {id: old, start: 2020-01-01}
                  - {id: first-day, start: 2027-01-01}
                  - {id: mid-january, start: 2027-01-15}
                  - {id: april, start: 2027-04-01}
            """,
        }
    )
    plan = clean_plan(folder)
    report = capacity_report(plan)
    reps = {r.id: r for r in report.reps}
    # retention in fiscal month m = (1 - 0.2)^(m/12), m = 1..12, on 100,000 a month:
    #   M01 100,000 x 0.8^(1/12) = 98,157.65   M03 0.8^(3/12) -> 94,574.16
    #   M06 0.8^(6/12) = 0.894427191 -> 89,442.72   M12 0.8 -> 80,000.00; year 1,065,571.82
    retained = D(
        "98157.65", "96349.25", "94574.16", "92831.78", "91121.49", "89442.72",
        "87794.87", "86177.39", "84589.70", "83031.27", "81501.54", "80000.00",
    )  # fmt: skip
    for m, amount in enumerate(retained, start=1):
        formula = (Decimal(100_000) * Decimal("0.8") ** (Decimal(m) / 12)).quantize(Decimal("0.01"))
        assert amount == formula
    assert reps["old"].periods == retained
    assert reps["old"].capacity == Decimal("1065571.82")
    # on board on the first day of the year: retention applies too. The same figures as
    # `old`, the same year; a month may differ by a cent, as the months of all reps are
    # carved so that each adds up to the month's total
    assert reps["first-day"].capacity == reps["old"].capacity
    cent = Decimal("0.01")
    assert all(abs(a - b) <= cent for a, b in zip(reps["first-day"].periods, retained))
    # joined after the start of the year: no attrition applied; the first month counts
    # pro rata by days (January 15-31: 17/31 of 100,000 = 54,838.71)
    assert reps["mid-january"].periods == D("54838.71", *[100_000] * 11)
    assert reps["april"].periods == D(0, 0, 0, *[100_000] * 9)
    assert report.total_capacity == 2 * Decimal("1065571.82") + Decimal("1154838.71") + Decimal(
        900_000
    )
    # a hire on the first day is on board at the start like `first-day`: same capacity
    assert report.hire_capacity == Decimal("1065571.82")
    later = capacity_report(plan, hire_start=date(2027, 4, 1))
    assert later.hire_capacity == Decimal(900_000)


def test_over_capacity_is_strictly_above(write_tree) -> None:
    plan = clean_plan(worked_example(write_tree))
    quotas = {
        "t1": "1200000.00",
        "t2": "1200000.01",
        "h1": "750000.00",
        "p1": "0",
        "l1": "600000.01",
    }
    nodes = [
        NodeQuota(
            "company",
            "company",
            None,
            Decimal(5_000_000),
            D(1_250_000, 1_250_000, 1_250_000, 1_250_000),
        )
    ]
    nodes += [NodeQuota(k, "rep", "company", Decimal(v), D(v, 0, 0, 0)) for k, v in quotas.items()]
    allocation = Allocation("USD", plan.periods, Decimal("0.01"), nodes)
    report = capacity_report(plan, allocation)
    assert [r.id for r in report.reps if r.over_capacity] == ["l1", "t2"]
    p1 = next(r for r in report.reps if r.id == "p1")
    assert (p1.quota, p1.commission_rate, p1.quota_to_ote) == (Decimal(0), None, Decimal(0))


def test_cost_of_sales_above_budget_warns(write_tree, cli) -> None:
    folder = worked_example(write_tree, budget="0.15")
    [found] = load_plan(folder).diagnostics
    assert (found.code, found.severity.value, found.line, found.column) == (
        "SP504",
        "warning",
        13,
        29,
    )
    assert "15.4%" in found.message and "15.0%" in found.message
    assert cli("check", folder).exit_code == 0
    assert "OVER BUDGET" in cli("capacity", folder).stdout


def test_capacity_json_shape(write_tree, cli) -> None:
    folder = worked_example(write_tree)
    result = cli("capacity", folder, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    # docs/design.md, "Plan files"; the code adds the gap, budget, OTE, hire details and per-rep rows.
    design = ["currency", "periods", "target", "capacity", "total_target", "total_capacity"]
    design += ["coverage", "cost_of_sales", "hires_needed"]
    assert set(design) <= set(doc)
    assert {k: doc[k] for k in design} == {
        "currency": "USD",
        "periods": ["Q1", "Q2", "Q3", "Q4"],
        "target": ["1250000.00"] * 4,
        "capacity": ["900000.00", "1050000.00", "1050000.00", "1200000.00"],
        "total_target": "5000000.00",
        "total_capacity": "4200000.00",
        "coverage": 0.84,
        "cost_of_sales": 0.154,
        "hires_needed": 2,
    }
    rep = next(r for r in doc["reps"] if r["id"] == "t1")
    assert rep["capacity"] == "1200000.00" and rep["over_capacity"] is False


def test_capacity_computes_its_quotas(write_tree, cli) -> None:
    """quotas.yaml is an output: capacity computes the quotas whether it exists or not."""
    folder = worked_example(write_tree)
    before = cli("capacity", folder, "--format", "json").stdout
    assert cli("allocate", folder, "--write").exit_code == 0
    assert cli("capacity", folder, "--format", "json").stdout == before
    assert [(r["id"], r["quota"]) for r in json.loads(before)["reps"]] == [
        ("h1", "1176470.59"),  # the tree's order: siblings by id
        ("l1", "588235.29"),
        ("p1", "882352.94"),
        ("t1", "1176470.59"),
        ("t2", "1176470.59"),
    ]


# ---- exact until shown; ratios; profiles (docs/design.md, "Capacity")

JPY = {
    "salesplan.yaml": """
        salesplan: 1
        name: Small numbers
        currency: JPY
        fiscal_year: {start: 2027-01-01}
        target: 100
        levels: [{name: rep}]
        capacity: {full_quota: 10}
    """,
    "org.yaml": """
        reps:
          - {id: a, start: 2020-01-01}
          - {id: b, start: 2020-01-01}
          - {id: c, start: 2020-01-01}
    """,
}


def test_capacity_is_exact_until_shown(write_tree) -> None:
    # Each rep books 10/12 a month, 2.5 a quarter: rounded per rep and quarter that was
    # 2 x 4 x 3 = 24. Exact until shown: 30 in the year, the quarters split from it by
    # largest remainder (7.5 each: the two units left go to the earlier periods -> 8, 8,
    # 7, 7), and each rep's 10 likewise; every table adds up.
    plan = clean_plan(write_tree(JPY))
    report = capacity_report(plan, plan.allocation)
    assert report.total_capacity == Decimal(30)
    assert report.capacity == D(8, 8, 7, 7)
    assert [r.capacity for r in report.reps] == [Decimal(10)] * 3
    assert all(sum(r.periods) == r.capacity for r in report.reps)
    assert sum(r.capacity for r in report.reps) == report.total_capacity
    # gap 70, a hire adds exactly 10: 7 hires, not 70 / 8
    assert report.hires_needed == 7


def test_a_percentage_for_a_ratio_is_an_error(write_tree, cli) -> None:
    files = dict(JPY)
    files["salesplan.yaml"] = JPY["salesplan.yaml"].replace(
        "capacity: {full_quota: 10}", "capacity: {full_quota: 10, attainment: 80}"
    )
    folder = write_tree(files)
    result = cli("check", folder)
    assert result.exit_code == 1
    assert "SP412 attainment 80 must lie in (0, 2]; a ratio: 0.8 means 80%" in result.stdout


PROFILES = {
    "salesplan.yaml": """
        salesplan: 1
        name: Profiles
        currency: USD
        fiscal_year: {start: 2027-01-01}
        target: 3_000_000
        levels: [{name: rep, split: capacity}]
        capacity:
          full_quota: 1_200_000
          attainment: 0.8
          ramp: {slow: [0, 0, 0, 0, 0, 0], fast: [0.5]}
          default_ramp: fast
          profiles:
            enterprise: {full_quota: 2_400_000, ramp: slow}
            smb: {full_quota: 600_000, attainment: 1}
    """,
    "org.yaml": """
        reps:
          - {id: ent, start: 2020-01-01, profile: enterprise}
          - {id: smb, start: 2020-01-01, profile: smb}
          - {id: gen, start: 2020-01-01}
    """,
}


def test_profiles_give_roles_their_own_productivity(write_tree) -> None:
    plan = clean_plan(write_tree(PROFILES))
    report = capacity_report(plan, plan.allocation)
    reps = {r.id: r for r in report.reps}
    # quota capacity = the profile's full quota (others from `capacity`)
    assert {k: r.quota_capacity for k, r in reps.items()} == {
        "ent": Decimal("2400000.00"),
        "smb": Decimal("600000.00"),
        "gen": Decimal("1200000.00"),
    }
    # expected bookings: x attainment, the profile's where it has one
    assert {k: r.capacity for k, r in reps.items()} == {
        "ent": Decimal("1920000.00"),
        "smb": Decimal("600000.00"),
        "gen": Decimal("960000.00"),
    }
    # the capacity split weighs reps by quota capacity: 2.4 : 0.6 : 1.2 of 3,000,000
    totals = plan.allocation.totals()
    assert (totals["ent"], totals["smb"], totals["gen"]) == (
        Decimal("1714285.71"),
        Decimal("428571.43"),
        Decimal("857142.86"),
    )
    # gap 3,000,000 - 3,480,000 < 0: no hire. With a bigger target, hires per profile:
    assert report.hires_needed == 0


def test_hires_needed_per_profile(write_tree) -> None:
    files = dict(PROFILES)
    files["salesplan.yaml"] = PROFILES["salesplan.yaml"].replace("3_000_000", "6_000_000")
    plan = clean_plan(write_tree(files))
    report = capacity_report(plan, plan.allocation)
    # gap 6,000,000 - 3,480,000 = 2,520,000. A hire on the first day, default ramp (fast:
    # 50% in month 1): 11.5 months x 100,000 x 0.8 = 920,000 -> 3; an enterprise hire
    # (slow: 6 months at 0) 6 x 200,000 x 0.8 = 960,000 -> 3; smb 11.5 x 50,000 -> 575,000 -> 5
    assert (report.hire_capacity, report.hires_needed) == (Decimal("920000.00"), 3)
    by = {g.profile: (g.hire_capacity, g.hires_needed) for g in report.by_profile}
    assert by == {
        "enterprise": (Decimal("960000.00"), 3),
        "smb": (Decimal("575000.00"), 5),
    }


# ---- reps alike share one computation


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    folder = tmp_path_factory.mktemp("acme") / "acme-plan"
    scaffold("acme").write(folder)
    plan = load_plan(folder).plan
    assert plan is not None
    return plan


# the example's fiscal year starts on 2027-02-01: starts around it, ramps of up to 8 months
STARTS = st.none() | st.dates(date(2026, 5, 1), date(2027, 4, 30))
ENDS = st.none() | st.dates(date(2026, 12, 1), date(2028, 3, 1))


@given(
    employments=st.lists(st.tuples(STARTS, ENDS), min_size=1, max_size=12),
    ramp=st.lists(st.sampled_from(["0", "0.25", "0.5", "1"]), max_size=8),
)
@settings(max_examples=200, deadline=None)
def test_reps_alike_share_one_computation(acme, employments, ramp) -> None:
    """One Productivity serves reps whose start the fiscal year cannot tell apart (on board
    and past their ramp before it) from one computation: every rep still gets the figures
    of their own dates."""
    from salesplan.fiscal import fraction_of_year, productivity
    from salesplan.plan import Plan
    from salesplan.productivity import Productivity

    steps = [Decimal(v) for v in ramp]
    capacity = acme.settings.capacity.model_copy(update={"ramp": {"r": steps}})
    settings_ = acme.settings.model_copy(update={"capacity": capacity})
    shared = Productivity(Plan(root=acme.root, settings=settings_, documents={}))
    calendar = acme.calendar
    template = acme.org.reps[0]
    for start, end in employments:
        rep = template.model_copy(update={"start": start, "end": end, "ramp": "r"})
        monthly = productivity(calendar, start, end, steps)
        assert shared.monthly(rep) == monthly
        assert shared.per_period(rep) == calendar.per_period(monthly)
        assert shared.months(rep) == sum(monthly)
        assert shared.on_board(rep) == calendar.on_board(start, end)
        assert shared.year_fraction(rep) == fraction_of_year(calendar.on_board(start, end))


# ---- every table adds up (docs/design.md, "Capacity", "Exact until shown")

# Two reps who join mid-year: a on 2027-05-03 (7.935484 months), b on 2027-06-14 (6.566667).
# Rounded one by one, their OTE (pro rata) made 132,258.06 + 109,444.44 = 241,702.50 against a
# total of 241,702.51, and a's quota capacity (396,774.19) differed from its expected bookings
# (396,774.20), the same exact figure with attainment 1 and no attrition.
MID_YEAR = {
    "salesplan.yaml": """
        salesplan: 1
        name: OTE
        currency: USD
        fiscal_year: {start: 2027-01-01}
        target: 1000000
        levels: [{name: rep, split: even}]
        capacity: {full_quota: 600000}
        budget: {max_cost_of_sales: 0.2}
    """,
    "org.yaml": """
        reps:
          - {id: a, start: 2027-05-03, ote: {base: 100000, variable: 100000}}
          - {id: b, start: 2027-06-14, ote: {base: 100000, variable: 100000}}
    """,
}


def test_rep_figures_add_up_to_the_totals(write_tree, cli) -> None:
    folder = write_tree(MID_YEAR)
    doc = json.loads(cli("capacity", folder, "--format", "json").stdout)
    a, b = doc["reps"]
    # exact: a 132,258.0645..., b 109,444.4444...; total 241,702.5089... -> 241,702.51, and
    # the cent left after the floors goes to a's larger remainder
    assert (a["ote"], b["ote"], doc["total_ote"]) == ("132258.07", "109444.44", "241702.51")
    # quota capacity and expected bookings: one exact figure, shown the same
    assert a["quota_capacity"] == a["capacity"] == "396774.20"
    assert b["quota_capacity"] == b["capacity"] == "328333.33"
    assert doc["total_quota_capacity"] == doc["total_capacity"] == "725107.53"
    # the cost of sales warning names the same total OTE
    checked = cli("check", folder, "--strict")
    assert "SP504 cost of sales is 24.2% (OTE 241702.51 over the target" in checked.stdout
    shown = cli("capacity", folder, "--format", "csv", "--table", "reps").stdout.splitlines()
    assert [row.split(",")[4:8] for row in shown[1:]] == [
        ["396774.20", "396774.20", "547193.59", "132258.07"],
        ["328333.33", "328333.33", "452806.41", "109444.44"],
    ]


def test_rep_periods_add_up_to_the_periods(example, cli) -> None:
    # the example's Q1 was 2,803,507.56, its reps' Q1 2,803,507.55
    doc = json.loads(cli("capacity", example, "--format", "json").stdout)
    columns = [sum(Decimal(r["periods"][i]) for r in doc["reps"]) for i in range(4)]
    assert [str(c) for c in columns] == doc["capacity"]
    assert doc["capacity"][0] == "2803507.56"
    assert all(sum(map(Decimal, r["periods"])) == Decimal(r["capacity"]) for r in doc["reps"])


def test_shown_decimals_add_up_too(example, cli) -> None:
    # `rounding: 1000`: no decimals for people. The reps' expected bookings were rounded one
    # by one to 9 x 1,209,551 + ... = 12,139,525 against a shown total of 12,139,524.
    shown = cli("capacity", example, "--format", "markdown").stdout
    rows = [line.split(" | ") for line in shown.splitlines() if line.startswith("| ")]
    reps = [r for r in rows if len(r) == 11 and r[0] != "| rep"]
    assert len(reps) == 11
    expected = sum(int(r[5].replace(",", "")) for r in reps)
    ote = sum(int(r[7].replace(",", "")) for r in reps)
    quota_capacity = sum(int(r[4].replace(",", "")) for r in reps)
    assert "expected bookings 12,139,524 after" in shown
    assert expected == 12_139_524
    assert "OTE 2,112,500." in shown and ote == 2_112_500
    assert "Quota capacity of the reps: 15,966,667 " in shown and quota_capacity == 15_966_667
    periods = [r for r in rows if len(r) == 5 and r[0] in {"| Q1", "| Q2", "| Q3", "| Q4"}]
    assert sum(int(r[2].replace(",", "")) for r in periods) == 12_139_524
    # the text is the same table: the cent left goes the way of the largest remainders
    # (ana and ben hold .84; the others .83, the last of them by id, ines, is rounded down)
    text = cli("capacity", example, "--table", "reps").stdout
    ines = next(line for line in text.splitlines() if line.lstrip().startswith("ines"))
    assert " 1,209,550 " in ines


@PROPERTY
@given(plan_specs())
def test_capacity_tables_add_up_on_random_plans(spec) -> None:
    """The JSON's per-rep periods add up to the periods and to each rep; the reps to the
    totals; what people see, to the shown totals."""
    with tempfile.TemporaryDirectory() as folder:
        plan = clean_plan(materialise(spec.files(), folder))
    report = capacity_report(plan, plan.allocation)
    e = plan.currency_exponent
    doc = json.loads("".join(chunks(view.document(report, e))))
    reps = doc["reps"]

    def total(key: str) -> Decimal:
        return sum((Decimal(r[key]) for r in reps), Decimal(0))

    width = len(doc["periods"])
    columns = [sum((Decimal(r["periods"][i]) for r in reps), Decimal(0)) for i in range(width)]
    assert columns == [Decimal(c) for c in doc["capacity"]]
    assert sum(columns) == Decimal(doc["total_capacity"])
    for rep in reps:
        assert sum(map(Decimal, rep["periods"])) == Decimal(rep["capacity"])
        assert all(Decimal(p) >= 0 for p in rep["periods"])
    assert total("capacity") == Decimal(doc["total_capacity"])
    assert total("quota_capacity") == Decimal(doc["total_quota_capacity"])
    assert total("ote") == Decimal(doc["total_ote"])
    if plan.settings.capacity.attainment == 1 and plan.settings.capacity.attrition == 0:
        assert all(r["quota_capacity"] == r["capacity"] for r in reps)
    # each figure is its exact share of the rounded total, rounded down or up
    exact = {r.id: plan_capacity(plan).figures(r).periods for r in plan.org.reps}
    grand = sum(Fraction(v) for r in report.reps for v in exact[r.id])
    unit = Decimal(1).scaleb(-e)
    for rep in reps:
        for shown, figure in zip(rep["periods"], exact[rep["id"]]):
            share = Fraction(figure) * Fraction(report.total_capacity) / grand if grand else 0
            assert abs(Fraction(Decimal(shown)) - share) < Fraction(unit)
            if not figure:
                assert Decimal(shown) == 0

    # people's formats, with the plan's display decimals
    decimals = display_decimals(plan)
    periods_table, reps_table = view.tables(report, e, decimals)
    places = Decimal(1).scaleb(-decimals)

    def column(table, index: int, rows=slice(None)) -> list[Decimal]:
        return [quantized(row[index], decimals) for row in table.rows[rows]]

    months = [row for row, strong in zip(periods_table.rows, periods_table.strong) if not strong]
    assert sum(quantized(row[2], decimals) for row in months) == column(periods_table, 2)[-1]
    for r in (r for r, strong in enumerate(periods_table.strong[:-1]) if strong):
        quarter = periods_table.rows[r - 3 : r]  # a monthly plan's quarter: its three months
        assert sum(quantized(row[2], decimals) for row in quarter) == column(periods_table, 2)[r]
    assert column(periods_table, 2)[-1] == report.total_capacity.quantize(places)
    assert sum(column(reps_table, 4)) == report.total_quota_capacity.quantize(places)
    assert sum(column(reps_table, 5)) == report.total_capacity.quantize(places)
    assert sum(column(reps_table, 7)) == report.total_ote.quantize(places)


@PROPERTY
@given(plan_specs())
def test_quota_capacities_and_cost_of_sales_are_the_reps_own(spec) -> None:
    """Reconcile's quota capacities and cost of sales, found per rep by their own (start,
    end, ramp, profile) and OTE inline: each rep's own kind and pro-rata OTE, digit for
    digit, as a fresh engine works them out rep by rep."""
    with tempfile.TemporaryDirectory() as folder:
        plan = clean_plan(materialise(spec.files(), folder))
    capacities, (total, ratio) = quota_capacities(plan), cost_of_sales(plan)
    with tempfile.TemporaryDirectory() as folder:
        fresh = clean_plan(materialise(spec.files(), folder))
    engine = plan_capacity(fresh)
    reps = [fresh.reps_by_id[n.id] for n in fresh.tree.top_down() if n.is_rep]
    expected = {r.id: str(engine.kind(r).quota_capacity) for r in reps if engine.kind(r).has_full}
    assert {k: str(v) for k, v in capacities.items()} == expected
    ote = exact_sum([engine.ote(rep)[0] for rep in reps])
    assert str(total) == str(ote)
    target = fresh.settings.target
    assert ratio == (EXACT.divide(ote, target) if target else None)


def test_capacity_does_not_depend_on_the_order_of_the_reps(example, cli) -> None:
    """Reps come in the tree's order (by team, siblings by id), as allocate's nodes do: the
    order of org.yaml's entries changes no byte of the output."""
    before = cli("capacity", example, "--format", "json").stdout
    org = example / "org.yaml"
    data = yaml.safe_load(org.read_text())
    data["reps"].reverse()
    org.write_text(yaml.safe_dump(data, sort_keys=False))
    assert cli("capacity", example, "--format", "json").stdout == before


def test_a_long_list_of_reps_over_capacity_is_counted(example: Path, cli) -> None:
    """A real org has thousands of reps over capacity: the note names the first ten and
    counts the rest (the reps table flags each), as reconcile's notes do."""
    settings = example / "salesplan.yaml"
    settings.write_text(settings.read_text().replace("target: 12_800_000", "target: 128_000_000"))
    org = example / "org.yaml"
    hires = "".join(f"  - {{id: new-{i}, parent: amer-ent, start: 2026-01-01}}\n" for i in range(5))
    org.write_text(org.read_text().replace("reps:\n", "reps:\n" + hires, 1))
    for command, table in (("capacity", "the reps table"), ("reconcile", "the table")):
        result = cli(command, example)
        assert result.exit_code == 0, result.stderr
        text = " ".join(result.stdout.split())
        note = text[text.index("Over capacity (quota above quota capacity): ") :]
        names = note.split(": ", 1)[1].split(" and ")[0].split(", ")
        assert len(names) == 10, note
        assert f" and 5 more ({table} flags each)." in note, note


@given(
    st.text(),
    st.none() | st.text(),
    st.none() | st.text(),
    st.none() | st.decimals(-(10**12), 10**12, allow_nan=False, allow_infinity=False, places=2),
    st.booleans(),
)
def test_rep_records_are_the_encoders(
    rep_id: str, parent: str | None, profile: str | None, quota: Decimal | None, over: bool
) -> None:
    from salesplan.capacity import RepCapacity
    from salesplan.money import AmountTexts

    third = Decimal(1) / Decimal(3)
    rep = RepCapacity(
        rep_id, parent, 'plan"ned\n', profile, Decimal("11.5"), third, Decimal("1E+3"),
        Decimal("0"), D("1", "-0", "2.5"), Decimal(3), Decimal(2), quota,
        None if quota is None else third, None, over,
    )  # fmt: skip
    record = view._rep_json(AmountTexts(2))(rep)
    assert "".join(chunks([json.loads(record)])) == safe(f"[{record}]\n")  # as chunks writes it


@PROPERTY
@given(
    fy_start=st.dates(date(2001, 1, 1), date(2040, 12, 1)).map(lambda d: d.replace(day=1)),
    ramps=st.lists(st.integers(0, 40), max_size=3),
    start=st.dates(date(1990, 1, 1), date(2045, 12, 31)),
    end=st.none() | st.dates(date(1990, 1, 1), date(2045, 12, 31)),
)
def test_a_start_before_early_is_no_start_whatever_the_ramp(fy_start, ramps, start, end) -> None:
    """`Productivity.early`: reps alike are looked up with a start before it as None. For any
    ramp (or none), such a start gives what no start gives, so looking up by it is exact."""
    from salesplan.model import PlanSettings, Rep
    from salesplan.plan import Plan
    from salesplan.productivity import Productivity

    ramp = {f"r{i}": [Decimal(1)] * n for i, n in enumerate(ramps)}
    settings = PlanSettings.model_validate(
        {
            "salesplan": 1,
            "name": "early",
            "currency": "USD",
            "fiscal_year": {"start": fy_start, "periods": "month"},
            "target": Decimal(1),
            "levels": [{"name": "rep", "split": "capacity"}],
            "capacity": {"full_quota": Decimal(1), "ramp": ramp},
        }
    )
    productivity = Productivity(Plan(root=Path("."), settings=settings))
    if start >= productivity.early:
        return
    for name in [None, *ramp]:
        assert productivity._start(start, name) is None
        rep, fresh = (Rep(id="a", start=day, end=end, ramp=name) for day in (start, None))
        assert productivity.monthly(rep) == productivity.monthly(fresh)
        assert productivity.on_board(rep) == productivity.on_board(fresh)
