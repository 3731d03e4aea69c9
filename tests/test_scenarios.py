"""Scenarios: patches over the plan's files, --scenario on every command, the comparison,
sweeps and `scenarios apply` (README, "What if")."""

from __future__ import annotations

import itertools
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import salesplan
from salesplan.whatif import parse_vary

COMMANDS = ("allocate", "capacity", "rollup", "reconcile")


def write_scenario(plan: Path, name: str, text: str) -> Path:
    path = plan / "scenarios" / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return path


MINIMAL = {
    "salesplan.yaml": """
        salesplan: 1
        name: Minimal
        currency: USD
        fiscal_year: {start: 2027-01-01}
        target: 1000000
        budget: {max_cost_of_sales: 0.5}
        levels: [{name: rep}]
        """,
    "org.yaml": """
        reps:
          - {id: ana, start: 2024-01-01}   # the first rep
          - {id: ben, start: 2024-01-01}
          - {id: cara, start: 2024-01-01}
        """,
}


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_empty_changes_give_the_base_byte_for_byte(
    example: Path, cli, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    write_scenario(example, "same", "scenario: same\ndescription: nothing\nchanges: {}\n")
    write_scenario(example, "blank", "changes:\n")
    for name in ("same", "blank"):
        for command in COMMANDS:
            base = cli(command, example, "-f", fmt)
            patched = cli(command, example, "-f", fmt, "--scenario", name)
            assert base.exit_code == patched.exit_code == 0, patched.stderr
            assert patched.stdout == base.stdout, command
        base_report = json.loads(cli("report", example, "-f", "json").stdout)
        report = json.loads(cli("report", example, "-f", "json", "--scenario", name).stdout)
        assert report.pop("scenario") == name and "scenario" not in base_report
        assert report == base_report


def test_target_plus_ten_percent(example: Path, cli) -> None:
    base = salesplan.load(example)
    target = base.settings.target * Decimal("1.1")
    write_scenario(example, "up", f"changes:\n  salesplan.yaml: {{target: {target}}}\n")
    doc = json.loads(cli("allocate", example, "-f", "json", "--scenario", "up").stdout)
    root = doc["nodes"][0]
    assert Decimal(root["total"]) == base.allocate().nodes[0].total * Decimal("1.1") == target
    # the expected quotas: those of the plan with its target edited by hand
    plan_file = example / "salesplan.yaml"
    plan_file.write_text(
        plan_file.read_text().replace("target: 12_800_000", f"target: {target}"), "utf-8"
    )
    edited = json.loads(cli("allocate", example, "-f", "json").stdout)
    assert doc == edited


def test_remove_and_add_reps(write_tree, cli) -> None:
    plan = write_tree(MINIMAL)
    write_scenario(
        plan,
        "swap",
        """
        changes:
          org.yaml:
            reps:
              - {id: ben, remove: true}
              - {id: dan, start: 2024-01-01}
              - {id: ana, quota: 400000}
        """,
    )
    result = cli("allocate", plan, "-f", "json", "--scenario", "swap")
    assert result.exit_code == 0, result.stderr
    nodes = {n["id"]: Decimal(n["total"]) for n in json.loads(result.stdout)["nodes"]}
    assert nodes == {
        "company": Decimal(1000000),
        "ana": Decimal(400000),
        "cara": Decimal(300000),
        "dan": Decimal(300000),
    }
    assert cli("check", plan).exit_code == 0


def test_diagnostics_point_at_the_scenario_lines(
    write_tree, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = write_tree(MINIMAL)
    monkeypatch.chdir(plan)
    write_scenario(
        plan,
        "broken",
        """
        scenario: broken
        changes:
          salesplan.yaml:
            capacity: {attrition: lots}
          org.yaml:
            reps:
              - {id: ana, remove: true}
              - {id: cara, start: someday}
              - {id: eve, start: 2024-01-01, parent: nowhere}
        """,
    )
    result = cli("check", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "scenarios/broken.yaml:4:27: SP203 expected a number, got 'lots'",
        "scenarios/broken.yaml:8:27: SP203 expected a date as YYYY-MM-DD, got 'someday'",
        "scenarios/broken.yaml:9:46: SP302 rep 'eve' has unknown parent 'nowhere'",
    ]
    # values the scenario does not touch keep their place in the plan file, even when a
    # removal moved their record
    patched = salesplan.load(plan, scenario=None)
    assert patched.at_rep("ben", "start").line == 3
    write_scenario(plan, "broken", "changes:\n  org.yaml: {reps: [{id: ana, remove: true}]}\n")
    moved = salesplan.load(plan, scenario="broken")
    assert moved.rep_index["ben"] == 0
    assert (moved.at_rep("ben", "start").file, moved.at_rep("ben", "start").line) == ("org.yaml", 3)


def test_every_broken_scenario_is_reported_in_one_run(write_tree, cli, monkeypatch) -> None:
    """`scenarios` listed the first broken scenario's problems only: fixing it showed the
    next. Now each one's, at its file:line:column, then exit 1; `check` lists the same."""
    plan = write_tree(MINIMAL)
    monkeypatch.chdir(plan)
    write_scenario(plan, "a", "changes:\n  salesplan.yaml: {target: lots}\n")
    write_scenario(
        plan, "b", "changes:\n  org.yaml: {reps: [{id: eve, start: 2024-01-01, parent: x}]}\n"
    )
    write_scenario(plan, "c", "changes:\n  org.yaml: {reps: [{id: ben, remove: true}]}\n")
    write_scenario(plan, "d", "changes:\n  org.yaml: {reps: [{id: ana, start: someday}]}\n")
    expected = [
        "scenarios/a.yaml:2:28: SP203 expected a number, got 'lots'",
        "scenarios/b.yaml:2:58: SP302 rep 'eve' has unknown parent 'x'",
        "scenarios/d.yaml:2:38: SP203 expected a date as YYYY-MM-DD, got 'someday'",
    ]
    result = cli("scenarios")
    assert result.exit_code == 1
    assert result.stdout == ""
    *listed, last = result.stderr.splitlines()
    assert listed == expected
    assert last == "salesplan: scenarios a, b, d: the 3 plans have 3 errors; fix them first"
    checked = cli("check")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines() == expected


def test_null_deletes_a_key(write_tree) -> None:
    plan = write_tree(MINIMAL)
    write_scenario(
        plan, "free", "changes:\n  salesplan.yaml: {budget: {max_cost_of_sales: null}}\n"
    )
    assert salesplan.load(plan).settings.budget.max_cost_of_sales == Decimal("0.5")
    assert salesplan.load(plan, scenario="free").settings.budget.max_cost_of_sales is None


def test_an_unknown_scenario_is_a_usage_error(example: Path, cli) -> None:
    result = cli("capacity", example, "--scenario", "nope")
    assert result.exit_code == 2
    assert "no scenario 'nope'" in result.stderr and "stretch" in result.stderr
    assert cli("capacity", example, "--scenario", "../salesplan").exit_code == 2


def test_the_report_says_which_scenario(example: Path, cli) -> None:
    result = cli("report", example, "-f", "markdown", "--scenario", "stretch")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Acme FY2027 (scenario stretch): sales plan report")


def test_comparison_side_by_side(example: Path, cli) -> None:
    doc = json.loads(cli("scenarios", example, "-f", "json").stdout)
    assert [s["name"] for s in doc["scenarios"]] == ["stretch"]
    base, stretch = doc["base"], doc["scenarios"][0]
    capacity = json.loads(cli("capacity", example, "-f", "json").stdout)
    assert base["expected_bookings"] == capacity["total_capacity"]
    assert base["hires_needed"] == capacity["hires_needed"]
    assert stretch["target"] == "14080000.00"
    assert stretch["delta"]["target"] == "1280000.00"
    assert stretch["delta"]["hires_needed"] == stretch["hires_needed"] - base["hires_needed"]
    stretched = json.loads(cli("capacity", example, "-f", "json", "--scenario", "stretch").stdout)
    assert stretch["expected_bookings"] == stretched["total_capacity"]
    markdown = cli("scenarios", example, "stretch", "-f", "markdown").stdout
    assert "| target | 12,800,000.00 | 14,080,000.00 | +1,280,000.00 |" in markdown


def test_every_change_is_signed_amounts_as_points_and_hires(example: Path, cli) -> None:
    write_scenario(example, "cut", "changes: {salesplan.yaml: {target: 12_000_000}}\n")
    text = cli("scenarios", example, "stretch", "cut").stdout
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["target"][-4:] == ["14,080,000.00", "+1,280,000.00", "12,000,000.00", "-800,000.00"]
    assert rows["expected"][-3] == "+693,333.34"  # expected bookings
    assert rows["capacity"][-2:] == ["+6.4", "pp"] and rows["hires"][-1] == "-1"


def test_the_sweep_row_at_the_base_value_is_the_base(example: Path, cli) -> None:
    result = cli("scenarios", example, "--vary", "capacity.attainment=0.7:0.9:0.05", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [r["settings"]["capacity.attainment"] for r in doc["rows"]] == [
        "0.70", "0.75", "0.80", "0.85", "0.90"
    ]  # fmt: skip
    at_base = doc["rows"][2]
    capacity = json.loads(cli("capacity", example, "-f", "json").stdout)
    assert at_base["expected_bookings"] == capacity["total_capacity"]
    assert at_base["capacity_coverage"] == capacity["coverage"]
    assert at_base["hires_needed"] == capacity["hires_needed"]
    assert at_base["cost_of_sales"] == capacity["cost_of_sales"]
    assert set(at_base["delta"].values()) <= {"0.00", 0}


def test_a_grid_on_a_scenario(example: Path, cli) -> None:
    result = cli(
        "scenarios", example, "stretch", "-f", "json",
        "--vary", "target=14000000:15000000:500000", "--vary", "capacity.attrition=0:0.1:0.1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["base"]["name"] == "stretch" and len(doc["rows"]) == 6
    assert doc["rows"][0]["settings"] == {"target": "14000000", "capacity.attrition": "0.0"}


@pytest.mark.parametrize(
    "spec",
    [
        "capacity.nothing=1:2:1",
        "name=1:2:1",
        "capacity.attainment=0.9:0.7:0.1",
        "x",
        "target=1:2:0",
    ],
)
def test_bad_vary_is_a_usage_error(example: Path, cli, spec: str) -> None:
    result = cli("scenarios", example, "--vary", spec)
    assert result.exit_code == 2 and "--vary" in result.stderr


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        (
            "capacity.attainment=5:6:1",
            "--vary capacity.attainment: 5 and 6 are outside what the setting allows: "
            "attainment 5 must lie in (0, 2]",
        ),
        (
            "reconcile.max_shift=0:1:0.5",
            "--vary reconcile.max_shift: 1.0 is outside what the setting allows: "
            "max_shift 1.0 must lie in [0, 1)",
        ),
        (
            "target=-5:5:5",
            "--vary target: -5 and 0 are outside what the setting allows: "
            "target must be at least 0, got -5; target must be positive, got 0",
        ),
    ],
)
def test_a_value_the_setting_does_not_allow_is_a_usage_error(
    example: Path, cli, spec: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Said in salesplan's words, naming --vary and not the line of salesplan.yaml that
    holds the value as it is, before anything is computed (it was SP412 at that line, exit
    1, or pydantic's "Input should be greater than or equal to 0")."""

    def computed(*args: object, **kwargs: object) -> None:
        raise AssertionError("a sweep with a value refused computed a row")

    monkeypatch.setattr("salesplan.whatif.outcome", computed)
    result = cli("scenarios", example, "--vary", spec)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"salesplan: {said}")
    assert "salesplan.yaml" not in result.stderr and "Input should" not in result.stderr


TOO_LOW = "target=2000000:12000000:5000000"  # at 2,000,000 ana's pin exceeds her team's pool


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "xlsx"])
def test_a_row_that_fails_the_checks_is_shown_failed_and_the_others_computed(
    example: Path, cli, fmt: str
) -> None:
    """A point whose plan has errors no longer stops the sweep: it is a row saying why,
    the other rows have their figures, and the exit code is 1."""
    out = example.parent / f"sweep.{'md' if fmt == 'markdown' else fmt}"
    result = cli("scenarios", example, "--vary", TOO_LOW, "-f", fmt, "-o", out)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.endswith("salesplan: 1 of the 3 rows fails the checks; each says why\n")
    if fmt == "json":
        rows = json.loads(out.read_text())["rows"]
        assert [r["settings"]["target"] for r in rows] == ["2000000", "7000000", "12000000"]
        [problem] = rows[0]["problems"]
        assert problem["code"] == "SP413" and "take 1,500,000" in problem["message"]
        assert rows[0]["expected_bookings"] is None and rows[0]["target"] == "2000000.00"
        assert rows[1]["problems"] == rows[2]["problems"] == []
        assert rows[2]["expected_bookings"] == "12139523.94"
        return
    if fmt == "xlsx":
        from openpyxl import load_workbook

        cells = [c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row]
        shown = " ".join(str(c) for c in cells if c is not None)
        assert 1.734218 in cells  # capacity coverage at 7,000,000
    else:
        shown = " ".join(out.read_text().split())
        assert "173.4%" in shown
    assert "SP413" in shown and "1 row of 3 fails the checks" in shown
    assert "target=2000000: SP413 pins under 'amer-ent' (ana) take 1,500,000" in shown


def test_a_problem_of_a_varied_value_is_not_at_the_line_of_the_old_one(example: Path, cli):
    """Each value of the ramp is allowed alone; together they make it drop (SP410): the
    problem is the sweep's, at --vary, not at salesplan.yaml's line of the ramp as it is."""
    result = cli(
        "scenarios", example, "-f", "json",
        "--vary", "capacity.ramp.standard.0=0.25:0.5:0.25",
        "--vary", "capacity.ramp.standard.1=0.3:0.5:0.2",
    )  # fmt: skip
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["rows"]
    assert [bool(r["problems"]) for r in rows] == [False, False, True, False]
    [problem] = rows[2]["problems"]
    assert (problem["code"], problem["file"], problem["path"]) == (
        "SP410", "--vary", "capacity.ramp.standard[1]"
    )  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(
    start=st.decimals("0", "2", places=2),
    step=st.decimals("0.01", "1", places=2),
    count=st.integers(1, 20),
)
def test_vary_values_are_exact_and_inclusive(start: Decimal, step: Decimal, count: int) -> None:
    stop = start + step * (count - 1)
    values = parse_vary(f"k={start}:{stop}:{step}").values
    assert len(values) == count and values[0] == start and values[-1] == stop
    assert all(b - a == step for a, b in itertools.pairwise(values))


def test_apply_keeps_comments_and_the_plan_becomes_the_scenario(example: Path, cli) -> None:
    subprocess.run(["git", "init", "-q", str(example)], check=True)
    expected = {c: cli(c, example, "-f", "json", "--scenario", "stretch").stdout for c in COMMANDS}
    before = (example / "salesplan.yaml").read_text()
    result = cli("scenarios", example, "apply", "stretch")
    assert result.exit_code == 0, result.stderr
    after = (example / "salesplan.yaml").read_text()
    assert after == before.replace(
        "target: 12_800_000                # board-approved",
        "target: 14_080_000                # board-approved",
    )
    org = (example / "org.yaml").read_text()
    assert "  # AMER Enterprise\n  - id: ana\n" in org and "id: tbh-amer-2" in org
    assert not (example / "scenarios" / "stretch.yaml").exists()
    check = cli("check", example)
    assert check.exit_code == 0 and check.stdout == ""
    for command in COMMANDS:
        assert cli(command, example, "-f", "json").stdout == expected[command], command


def test_apply_refuses_a_broken_scenario(write_tree, cli) -> None:
    plan = write_tree(MINIMAL)
    write_scenario(plan, "bad", "changes:\n  org.yaml: {reps: [{id: zed, remove: true}]}\n")
    before = (plan / "org.yaml").read_text()
    result = cli("scenarios", plan, "apply", "bad")
    assert result.exit_code == 1 and "SP802" in result.stderr
    assert (plan / "org.yaml").read_text() == before


def test_user_text_is_escaped(example: Path, cli) -> None:
    write_scenario(example, "odd", 'description: "a | b [red]x[/red] \\e[31m @team"\nchanges: {}\n')
    markdown = cli("scenarios", example, "odd", "-f", "markdown").stdout
    assert "a \\| b" in markdown and "\x1b" not in markdown
    text = cli("scenarios", example, "odd").stdout
    assert "[red]x[/red]" in text and "\x1b" not in text


def test_the_python_api_takes_a_scenario(example: Path) -> None:
    plan = salesplan.load(example, scenario="stretch")
    assert plan.settings.target == Decimal("14080000") and plan.scenario == "stretch"
    assert "tbh-amer-2" in set(plan.allocate().to_frame()["id"])


def test_a_target_sweep_at_80_columns_shows_what_it_is_for(example: Path, cli, monkeypatch) -> None:
    """The varied target is an amount and shown once; the columns the sweep is for
    (capacity coverage, hires needed) stay, the quotas that follow the target go first,
    and a note names them."""
    monkeypatch.setenv("COLUMNS", "80")
    vary = "target=12000000:14000000:1000000"
    for scenario in (["stretch"], []):  # quotas.yaml is not compared under a what-if
        result = cli("scenarios", example, *scenario, "--vary", vary)
        assert result.exit_code == 0, result.stderr
        header = next(line for line in result.stdout.splitlines() if "hires needed" in line)
        assert header.split()[0] == "target" and header.split().count("target") == 1
        assert "capacity coverage" in header
        assert " 12,000,000.00 " in result.stdout and "12000000" not in result.stdout
        said = " ".join(result.stdout.split())
        assert "Not shown at 80 columns: total quota (reps)" in said
        assert "The first row is " in said and " as it is." in said
    doc = json.loads(cli("scenarios", example, "--vary", vary, "-f", "json").stdout)
    assert doc["base"]["settings"] == {"target": "12800000"}


@pytest.mark.parametrize("vary", [None, "capacity.attainment=0.7:0.9:0.05"])
def test_no_digit_is_cut_at_80_columns(example: Path, vary: str | None) -> None:
    import io

    from salesplan.render import text
    from salesplan.render.scenarios import terminal_tables
    from salesplan.whatif import compare, sweep

    for name in ("b", "c"):
        source = (example / "scenarios" / "stretch.yaml").read_text()
        write_scenario(example, name, source.replace("scenario: stretch", f"scenario: {name}"))
    result = sweep(example, [parse_vary(vary)]) if vary else compare(example)
    buffer = io.StringIO()
    text.render(terminal_tables(result, 80), 80, buffer)
    shown = buffer.getvalue()
    assert "…" not in shown and "12,139,523.94" in shown
    assert all(len(line.rstrip()) <= 80 for line in shown.splitlines() if "━" in line)


def test_a_scenario_is_read_as_safely_as_a_plan_file(
    write_tree, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = write_tree(MINIMAL)
    monkeypatch.chdir(plan)
    write_scenario(
        plan,
        "hostile",
        """
        scenario: other
        extra: 1
        changes:
          salesplan.yaml: {target: &t 2000000, name: !!python/object:os.system x}
          org.yaml: [not, a, mapping]
        """,
    )
    result = cli("check", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "scenarios/hostile.yaml:1:11: SP203 the scenario in hostile.yaml is named 'other'; name it 'hostile' like its file",
        "scenarios/hostile.yaml:2:1: SP201 unknown key 'extra'; expected one of scenario, description, changes",
        "scenarios/hostile.yaml:4:28: SP105 anchor &t is not allowed; write the value out where it is used",
        "scenarios/hostile.yaml:4:46: SP107 tag !!python/object:os.system is not allowed; remove it",
        "scenarios/hostile.yaml:5:13: SP203 expected a mapping of the changes to org.yaml (keys of that file)",
    ]


def test_apply_removes_merges_adds_and_deletes_keys(write_tree, cli) -> None:
    plan = write_tree(MINIMAL)
    write_scenario(
        plan,
        "mix",
        """
        changes:
          salesplan.yaml: {budget: {max_cost_of_sales: null}, target: 1_200_000}
          org.yaml:
            reps:
              - {id: ben, remove: true}
              - {id: cara, start: 2025-03-01}
              - {id: dan, start: 2024-01-01}
        """,
    )
    expected = salesplan.load(plan, scenario="mix")
    result = cli("scenarios", plan, "apply", "mix", "--keep")
    assert result.exit_code == 0, result.stderr
    applied = salesplan.load(plan)
    assert applied.settings == expected.settings and applied.org == expected.org
    assert applied.settings.budget.max_cost_of_sales is None
    org = (plan / "org.yaml").read_text()
    assert org == (
        "reps:\n"
        "  - {id: ana, start: 2024-01-01}   # the first rep\n"
        "  - {id: cara, start: 2025-03-01}\n"
        "  - {id: dan, start: 2024-01-01}\n"
    )
    assert "target: 1_200_000\n" in (plan / "salesplan.yaml").read_text()
    assert (plan / "scenarios" / "mix.yaml").exists()


@settings(max_examples=60, deadline=None)
@given(
    base_ids=st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
    ops=st.lists(
        st.tuples(st.sampled_from("abcdefghxyz"), st.sampled_from(["remove", "set", "add"])),
        unique_by=lambda op: op[0],
        max_size=8,
    ),
)
def test_records_merge_by_id(base_ids: list[str], ops: list[tuple[str, str]]) -> None:
    """Kept records keep their order, new ids are appended in the patch's order, removed
    ones are gone, and every record's position is in the file it came from."""
    from salesplan.scenarios import Scenario
    from salesplan.source import parse_yaml

    ops = [op for op in ops if op[1] != "remove" or op[0] in base_ids]  # else SP802
    base_text = json.dumps({"reps": [{"id": i, "n": 0} for i in base_ids]}, indent=1)
    base = parse_yaml("org.yaml", base_text.encode())
    patch = [
        {"id": i, "remove": True} if kind == "remove" else {"id": i, "n": 1} for i, kind in ops
    ]
    text = json.dumps({"changes": {"org.yaml": {"reps": patch}}}, indent=1)
    doc = parse_yaml("scenarios/s.yaml", text.encode())
    problems: list = []
    patched = Scenario("s", doc, changes=doc.data["changes"]).patched("org.yaml", base, problems)
    assert problems == []
    removed = {i for i, kind in ops if kind == "remove"}
    changed = {i for i, kind in ops if kind != "remove"}
    expected = [i for i in base_ids if i not in removed]
    expected += [i for i, kind in ops if kind != "remove" and i not in base_ids]
    records = (
        patched.data["reps"]
        if isinstance(patched.data, dict) and patched.data.get("reps") is not None
        else []
    )
    assert [r["id"] for r in records] == expected
    assert [r["n"] for r in records] == [1 if i in changed else 0 for i in expected]
    assert [r["n"] for r in base.data["reps"]] == [0] * len(base_ids)  # the base is untouched
    for index, record in enumerate(records):
        file, line, _ = patched.place(("reps", index, "n"))
        if record["id"] in changed:
            k = next(k for k, item in enumerate(patch) if item["id"] == record["id"])
            assert (file, line) == (
                "scenarios/s.yaml",
                doc.locate(("changes", "org.yaml", "reps", k, "n"))[0],
            )
        else:
            j = base_ids.index(record["id"])
            assert (file, line) == ("org.yaml", base.locate(("reps", j, "n"))[0])


def test_check_parses_each_plan_file_once_for_the_plan_and_its_scenarios(
    example: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` checks every scenario too: the plan's files are parsed once for all of them."""
    from salesplan import loading

    parsed: list[str] = []
    read = loading.read_yaml_file

    def counting(path: Path, problems: list[object], marks: bool = True) -> object:
        parsed.append(path.name)
        return read(path, problems, marks)

    monkeypatch.setattr(loading, "read_yaml_file", counting)
    assert list((example / "scenarios").glob("*.yaml"))  # the example has a scenario
    assert cli("check", example).exit_code == 0
    assert sorted(parsed) == sorted(set(parsed)) and "org.yaml" in parsed


def test_a_plan_file_that_cannot_be_parsed_is_reported_once(example: Path, cli) -> None:
    """Not again for each scenario: the scenarios' checks wait for the plan to parse."""
    (example / "org.yaml").write_text("units: [\n")
    result = cli("check", example, "--format", "json")
    assert result.exit_code == 1
    codes = [d["code"] for d in json.loads(result.stdout)["diagnostics"]]
    assert codes == ["SP103"]


def test_the_output_file_names_the_format_as_in_report(example: Path, cli, tmp_path) -> None:
    """`salesplan scenarios -o what-if.xlsx` (the README's words) writes a workbook, and
    `-o what-if.md` Markdown: the suffix picks the format when --format does not, as it does
    for `report -o`; a suffix that names none is a usage error, not a text table in it."""
    import openpyxl

    book = tmp_path / "what-if.xlsx"
    result = cli("scenarios", example, "-o", book)
    assert result.exit_code == 0, result.stderr
    assert f"Wrote the xlsx comparison to {book}." in result.stderr
    sheet = openpyxl.load_workbook(book).worksheets[0]
    assert sheet.cell(1, 1).value is not None
    page = tmp_path / "what-if.md"
    assert cli("scenarios", example, "-o", page).exit_code == 0
    assert page.read_text().startswith("### Scenarios against the base")
    forced = tmp_path / "what-if.txt"
    assert cli("scenarios", example, "-o", forced, "-f", "json").exit_code == 0
    assert json.loads(forced.read_text())
    unknown = cli("scenarios", example, "-o", tmp_path / "what-if.pdf")
    assert unknown.exit_code == 2
    assert "cannot tell the format from 'what-if.pdf'" in unknown.stderr
    html = cli("scenarios", example, "-o", tmp_path / "what-if.html")
    assert html.exit_code == 2
    assert "cannot write html as 'what-if.html'; use a suffix (.txt, .md" in html.stderr
    odd = tmp_path / "what\x1b[31mif.md"  # the path a user typed is echoed escaped
    result = cli("scenarios", example, "-o", odd)
    assert result.exit_code == 0 and odd.exists()
    assert "\x1b" not in result.stderr and "what\\x1b[31mif.md." in result.stderr
