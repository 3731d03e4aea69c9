"""Options that agree: help without type labels, one `--format` with a subset per command,
`-o/--output FILE` that never overwrites (exit 2), did-you-mean, messages that say what to
write instead, and `init` telling what it wrote."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal

import pytest
from typer.testing import CliRunner

import salesplan
from salesplan.cli import app

RAW_TYPE = re.compile(r"<[a-z%][^>]*>|\[x>=|\[default: no-|\bR \[")


def commands() -> list[str]:
    from typer.main import get_command

    group = get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def help_of(*args: str, width: int = 80) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", ["", *commands()])
def test_help_has_no_raw_type_labels(command: str) -> None:
    text = help_of(*([command] if command else []))
    assert not RAW_TYPE.search(text), RAW_TYPE.search(text)
    assert "--no-" not in text  # a flag is `--strict`, not `--strict / --no-strict`
    assert "{" not in text.splitlines()[0]  # usage: `init DIR`, not `init {DIR}`
    assert max(len(line) for line in text.splitlines()) <= 80
    for line in text.splitlines():
        if line.lstrip().startswith("-") and "  " in line.strip():
            option = line.strip().split("  ")[0]
            assert re.fullmatch(r"(-\w, )?--[\w-]+( [A-Z]+| xlsx)?", option), line


def test_format_is_one_option_with_a_subset_per_command(example) -> None:
    allowed = {
        "check": ["text", "json", "github", "sarif"],
        "allocate": ["text", "json", "csv", "markdown"],
        "rollup": ["text", "json", "csv", "markdown"],
        "diff": ["text", "json", "markdown"],
        "report": ["text", "markdown", "html", "xlsx", "json"],
    }
    for command, formats in allowed.items():
        assert "-f, --format FORMAT" in help_of(command)
        wrong = next(f for f in ("sarif", "csv", "html") if f not in formats)
        result = CliRunner().invoke(app, [command, "--format", wrong])
        assert result.exit_code == 2, (command, result.output)
        assert f"{command} writes {formats[0]}" in result.stderr
        assert f"not {wrong}" in result.stderr


def test_a_format_no_command_writes_is_named_like_any_other(example, cli) -> None:
    """`--format pdf` lists the formats the command writes, as `--format html` does, not
    the enum's own message ("'pdf' is not a valid Format")."""
    for command, listed in (
        ("report", "report writes text, markdown, html, xlsx or json, not pdf"),
        ("allocate", "allocate writes text, json, csv or markdown, not pdf"),
    ):
        result = cli(command, example, "--format", "pdf")
        assert result.exit_code == 2, result.output
        assert listed in " ".join(result.stderr.split())
        assert "valid Format" not in result.stderr


def test_explain_as_csv_is_a_usage_error(example, cli) -> None:
    result = cli("allocate", example, "--explain", "ben", "--format", "csv")
    assert result.exit_code == 2
    assert "--explain writes text, json or markdown" in result.stderr
    assert result.stdout == ""
    story = cli("allocate", example, "--explain", "ben", "--format", "markdown")
    assert story.exit_code == 0 and story.stdout.startswith("```text\nWhy ben")
    assert (
        json.loads(cli("allocate", example, "--explain", "ben", "-f", "json").stdout)["id"] == "ben"
    )


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["allocate", "--explain", "bem"], "no node 'bem' in the plan; did you mean 'ben'?"),
        (["rollup", "--level", "regoin"], "unknown level 'regoin'; did you mean 'region'?"),
        (["rollup", "--period", "q5"], "unknown period 'q5'; the periods are Q1, Q2, Q3, Q4"),
        (["capacity", "--table", "rep"], "no table 'rep'; did you mean 'reps'?"),
        (
            ["capacity", "--hire-start", "07/01/2027"],
            "'07/01/2027' is not a date; write it as YYYY-MM-DD, e.g. 2027-07-01",
        ),
        (["balance", "--target", "evne"], "'evne' is not one of 'capacity', 'even'"),
        (["diff", "--only", "quota"], "'quota' is not one of 'plan', 'org', 'quotas'"),
        (
            ["diff", "--min-change", "-0.1"],
            "--min-change: '-0.1' is not a ratio of 0 or more; write e.g. 0.01 for 1%",
        ),
        (
            ["approvers", "--min-change", "1%"],
            "--min-change: '1%' is not a ratio of 0 or more; write e.g. 0.01 for 1%",
        ),
    ],
)
def test_usage_errors_say_what_to_write(example, cli, args, hint) -> None:
    """In salesplan's words, not those of the library that parsed the option (pydantic's
    "Value error, ..." or "Input should be greater than or equal to 0")."""
    result = cli(args[0], example, *args[1:])
    assert result.exit_code == 2
    assert hint in " ".join(result.stderr.split())
    assert "Value error" not in result.stderr and "Input should" not in result.stderr


def test_min_change_is_the_same_option_in_diff_and_approvers() -> None:
    for command in ("diff", "approvers"):
        assert "--min-change RATIO" in help_of(command), command


def test_period_and_level_ignore_case(example, cli) -> None:
    result = cli("rollup", example, "--period", "q2", "--level", "Region", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["periods"] == ["Q2"]


def monthly(example) -> None:
    """The example plan turned monthly (its quarterly submissions removed)."""
    settings = example / "salesplan.yaml"
    text = settings.read_text().replace("periods: quarter", "periods: month")
    text = re.sub(
        r"(?m)^seasonality:.*$", "seasonality: [6, 6, 8, 7, 8, 9, 8, 8, 10, 9, 10, 11]", text
    )
    settings.write_text(text)
    shutil.rmtree(example / "submissions")  # forecast by quarter
    shutil.rmtree(example / "scenarios")


def test_a_month_goes_by_the_name_the_tables_show(example, cli) -> None:
    """In a monthly plan, `--period` takes the label the tables show (`Feb-27`), the data's
    (`M01`), or a quarter, which sums its three months."""
    monthly(example)

    def quotas(period: str, label: str) -> dict[str, str]:
        result = cli("rollup", example, "--period", period, "--level", "region", "-f", "json")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["periods"] == [label]
        return {n["id"]: Decimal(n["quota"]["total"]) for n in doc["nodes"]}

    assert quotas("feb-27", "M01") == quotas("M01", "M01")
    months = [quotas(m, f"M0{i}") for i, m in enumerate(("Feb-27", "Mar-27", "Apr-27"), 1)]
    quarter = quotas("q1", "Q1")
    assert quarter == {k: sum((m[k] for m in months), Decimal(0)) for k in months[0]}
    result = cli("rollup", example, "--period", "Fbe-27")
    assert result.exit_code == 2 and "did you mean 'Feb-27'" in result.stderr


@pytest.mark.parametrize(
    "period", ["M1", "m001", "Feb-27", "feb 27", "Feb 2027", "February 2027", "2027-02", "2027-2"]
)
def test_a_month_written_another_way_is_that_month(example, cli, period) -> None:
    """Each of these names one month of the year and no other (M1 is M01, not M12 as a
    did-you-mean had it): it is taken, and the month is shown by one name whatever it was
    asked by: its label in JSON, as every JSON names periods, and in the table's title as
    the tables show months."""
    monthly(example)
    doc = json.loads(cli("rollup", example, "--period", period, "-f", "json").stdout)
    asked = json.loads(cli("rollup", example, "--period", "M01", "-f", "json").stdout)
    assert doc == asked and doc["periods"] == ["M01"]
    title = cli("rollup", example, "--period", period).stdout.splitlines()[0]
    assert "(USD; Feb-27; quotas computed)" in title
    assert salesplan.load(example).rollup(period=period).periods == ("M01",)


@pytest.mark.parametrize(
    ("period", "quarterly", "message"),
    [
        ("Q01", True, None),
        ("q04", False, None),
        ("M13", False, "; the periods are the months M01 to M12 (Feb-27 to Jan-28) and the"),
        ("M0", False, "; the periods are the months M01 to M12 (Feb-27 to Jan-28) and the"),
        ("M01", True, "; the periods are Q1, Q2, Q3, Q4"),
        ("Feb-26", False, ": no month of the fiscal year (Feb-27 to Jan-28)"),
        ("2028-02", True, ": no month of the fiscal year (Feb-27 to Jan-28)"),
        ("May 2027", True, ": the periods are quarters, and May-27 is in Q2"),
    ],
)
def test_a_period_by_its_number_or_month(example, cli, period, quarterly, message) -> None:
    """A quarter with a leading zero is that quarter; a number past the last period or a
    month outside the year is no period, and the message says which there are rather than
    guess a near one (M13 is not a misspelt M12)."""
    if not quarterly:
        monthly(example)
    result = cli("rollup", example, "--period", period, "-f", "json")
    if message is None:
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["periods"] == [period.upper().replace("0", "")]
    else:
        assert result.exit_code == 2
        assert f"unknown period {period!r}{message}" in " ".join(result.stderr.split())


def test_check_prints_its_summary_through_the_renderer(example, cli) -> None:
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("parent: amer-ent", "parent: nowhere", 1))
    text = cli("check", example)
    assert text.exit_code == 1 and text.stderr.startswith("salesplan: 1 error, 0 warnings")
    machine = cli("check", example, "--format", "json")
    assert machine.stderr == ""  # machines get no summary line


def test_counts_read_alike_in_every_command(example, cli, write_tree) -> None:
    """One rule for a counted noun: `1 error`, `2 errors`, `1,001 warnings`; never `(s)`
    nor a count without thousands separators."""
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("parent: amer-ent", "parent: nowhere", 1))
    refused = cli("rollup", example)
    assert refused.exit_code == 1
    assert "the plan has 1 error; fix it first" in refused.stderr
    with pytest.raises(salesplan.PlanError, match=r"the plan has 1 error; the first"):
        salesplan.load(example)
    rows = "".join(f"D{i},Ana Silva,100,,Open\n" for i in range(1001))
    plan = write_tree(
        {
            "p/salesplan.yaml": """\
                salesplan: 1
                name: Counts
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 1000
                levels: [{name: rep}]
            """,
            "p/org.yaml": "reps: [{id: ana, name: Ana Silva}]\n",
            "p/import.yaml": "preset: generic\ncolumns: {id: Deal, owner: Who, amount: Value,"
            " close_date: Closed, stage: Stage}\nstages: {Open: {status: open, category: commit}}\n",
            "deals.csv": "Deal,Who,Value,Closed,Stage\n" + rows,
        }
    )
    dry = cli("import", "--plan", plan / "p", plan / "deals.csv", "--dry-run")
    assert "salesplan: 0 errors, 1,001 warnings; dry run: nothing written" in dry.stderr
    assert "(s)" not in dry.stdout + dry.stderr + refused.stderr


def test_schema_output_never_overwrites(cli, tmp_path) -> None:
    target = tmp_path / "org.schema.json"
    assert cli("schema", "org", "-o", target).exit_code == 0
    assert json.loads(target.read_text())["title"]
    target.write_text("mine")
    refused = cli("schema", "org", "--output", target)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert target.read_text() == "mine"
    assert cli("schema", "org", "-o", target, "--force").exit_code == 0
    folder = tmp_path / "schemas"
    assert cli("schema", "-o", folder).exit_code == 0
    assert (folder / "plan.schema.json").is_file()


def test_schema_kinds_are_the_files_it_writes(cli, tmp_path) -> None:
    """Every schema `schema -o FOLDER` (and `init`) writes can be printed by its kind, and the
    schemas printed without KIND are those same files."""
    folder = tmp_path / "schemas"
    assert cli("schema", "-o", folder).exit_code == 0
    written = {path.name.removesuffix(".schema.json") for path in folder.iterdir()}
    assert "scenario" in written
    printed = cli("schema")
    assert printed.exit_code == 0 and set(json.loads(printed.stdout)) == written
    for kind in written:
        one = cli("schema", kind)
        assert one.exit_code == 0, one.stderr
        assert json.loads(one.stdout) == json.loads((folder / f"{kind}.schema.json").read_text())


def test_refused_overwrites_exit_2(example, cli, tmp_path) -> None:
    assert cli("init", example).exit_code == 2
    report = tmp_path / "r.md"
    report.write_text("mine")
    assert cli("report", example, "-o", report).exit_code == 2
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text("mine")
    assert cli("reconcile", example, "--write", proposal).exit_code == 2
    assert proposal.read_text() == "mine"


def test_init_says_what_it_wrote_and_what_next(cli, tmp_path) -> None:
    result = cli("init", tmp_path / "acme-plan")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == f"Wrote a plan to {tmp_path / 'acme-plan'}/ (21 files):"
    for name in (
        "salesplan.yaml",
        "org.yaml",
        "accounts.csv",
        "quotas.yaml",
        "submissions/ (7 files)",
    ):
        assert f"  {name}" in lines
    assert lines[-1].startswith(f"Next: salesplan check {tmp_path / 'acme-plan'}")


def test_init_writes_submission_templates_that_the_plan_reads(cli, tmp_path) -> None:
    import openpyxl

    plan = tmp_path / "acme-plan"
    result = cli("init", plan, "--templates", "xlsx")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "  templates/ (9 files)" in lines  # a workbook per rep expected to submit
    planned = ["tbh-amer-1", "tbh-emea-1"]
    assert not any((plan / "templates" / "submissions" / f"{r}.xlsx").exists() for r in planned)
    assert f"No submission template for {', '.join(planned)}: planned hires" in result.stderr
    assert cli("check", plan).exit_code == 0  # templates/ is not read as submissions
    book = openpyxl.load_workbook(plan / "templates" / "submissions" / "ben.xlsx")
    assert book.sheetnames == ["Submissions", "Instructions"]
    sheet = book["Submissions"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [("rep", "period", "amount", "note")] + [
        ("ben", q, None, None) for q in ("Q1", "Q2", "Q3", "Q4")
    ]
    instructions = [r[0] for r in book["Instructions"].iter_rows(values_only=True)]
    assert any("Q1 = Feb-27 to Apr-27" in line for line in instructions)
    for row, amount in zip(range(2, 6), (100_000, 200_000, 300_000, 400_000)):
        sheet.cell(row=row, column=3, value=amount)
    (plan / "submissions" / "ben.yaml").unlink()
    book.save(plan / "submissions" / "ben.xlsx")  # filled in and sent back
    assert cli("check", plan).exit_code == 0
    rolled = json.loads(cli("rollup", plan, "--format", "json").stdout)
    ben = next(n for n in rolled["nodes"] if n["id"] == "ben")
    assert ben["forecast"]["total"] == "1000000.00"


def test_messages_say_what_to_write_instead(example, cli) -> None:
    org = example / "org.yaml"
    text = org.read_text()
    org.write_text(text.replace("parent: amer-ent", "parent: acme", 1))
    found = cli("check", example).stdout
    assert (
        "SP304 rep 'ana' hangs under 'acme', a company; reps hang under a team: "
        "write `parent:` with a team id (amer-com, amer-ent, emea-com, ...)"
    ) in found
    org.write_text(text.replace("ote: {base: 130_000, variable: 130_000}", "ote: 240000", 1))
    found = cli("check", example).stdout
    assert (
        "SP203 expected a mapping of keys to values, got 240000; "
        "write it as `ote: {base: ..., variable: ...}`"
    ) in found
