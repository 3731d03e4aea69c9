"""`salesplan diff`: the engine on plans on disk, and the CLI on real git repositories."""

from __future__ import annotations

import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gitrepo import (
    GIT_ENV,
    edit,
    git,
    git_env,  # noqa: F401  (an autouse fixture: git with a fixed config)
)
from salesplan import load_plan
from salesplan.cli import app
from salesplan.diff import diff_plans, select
from salesplan.render.diff import as_markdown, code_span, summary_line

GOLDEN = Path(__file__).parent / "golden"
CHANGE_KEYS = {"kind", "entity", "id", "field", "old", "new", "delta"}


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


HIRE = """
  - id: tbh-amer-2
    name: Open AE req (Canada)
    parent: amer-com
    start: 2027-09-01
    status: planned
    ote: {base: 90_000, variable: 80_000}
"""

# The history of the test repository: each commit makes one kind of change.
COMMITS = [
    (
        "Move Dev to AMER Enterprise",
        "org.yaml",
        "parent: amer-com\n    start: 2024-06-03",
        "parent: amer-ent\n    start: 2024-06-03",
    ),
    ("Ben's history was under-reported", "metrics.csv", "ben,1280000", "ben,1500000"),
    (
        "Plan a hire in AMER Commercial",
        "org.yaml",
        "    ote: {base: 90_000, variable: 75_000}\n",
        "    ote: {base: 90_000, variable: 75_000}\n" + HIRE.lstrip("\n"),
    ),
    ("Board raised the target", "salesplan.yaml", "target: 12_800_000", "target: 13_000_000"),
    ("Ana moves a renewal into Q2", "submissions/ana.yaml", "Q2: 360_000", "Q2: 400_000"),
]


@pytest.fixture(scope="module")
def built_repo(tmp_path_factory) -> Path:
    """A plan repository (the plan in `plan/`) with the example committed on main, then
    one commit per entry of COMMITS. quotas.yaml is left stale, as a real PR might."""
    top = tmp_path_factory.mktemp("built") / "repo"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        assert CliRunner().invoke(app, ["init", str(top / "plan")]).exit_code == 0
        git(top, "init", "-q", "-b", "main")
        commit(top, "The FY2027 plan")
        for message, name, old, new in COMMITS:
            edit(top / "plan" / name, old, new)
            commit(top, message)
    return top


@pytest.fixture
def repo(built_repo, tmp_path) -> Path:
    """A fresh copy of the built repository, free to change."""
    return Path(shutil.copytree(built_repo, tmp_path / "repo", symlinks=True))


def diff_json(cli, *args: str) -> dict:
    result = cli("diff", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def changes(document: dict, entity: str, id: str | None = None) -> list[dict]:
    return [c for c in document["changes"] if c["entity"] == entity and id in (None, c["id"])]


def test_each_commit_reports_its_change(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    moved = diff_json(cli, "HEAD~5", "HEAD~4")
    assert changes(moved, "rep") == [
        {
            "kind": "moved",
            "entity": "rep",
            "id": "dev",
            "field": "parent",
            "old": "amer-com",
            "new": "amer-ent",
            "delta": None,
        }
    ]
    dev = {c["field"]: c for c in changes(moved, "quota", "dev")}
    assert dev["total"]["kind"] == "changed"

    metric = diff_json(cli, "HEAD~4", "HEAD~3")
    assert changes(metric, "metric") == [
        {
            "kind": "changed",
            "entity": "metric",
            "id": "ben",
            "field": "history",
            "old": "1280000",
            "new": "1500000",
            "delta": "220000",
        }
    ]
    ben = {c["field"]: c for c in changes(metric, "quota", "ben")}
    assert Decimal(ben["total"]["new"]) - Decimal(ben["total"]["old"]) == Decimal(
        ben["total"]["delta"]
    )
    assert Decimal(ben["total"]["delta"]) > 0  # more history, a larger share

    hire = diff_json(cli, "HEAD~3", "HEAD~2")
    (added,) = changes(hire, "rep")
    assert added["kind"] == "added" and added["id"] == "tbh-amer-2" and added["old"] is None
    assert added["new"]["status"] == "planned" and added["new"]["parent"] == "amer-com"
    assert added["new"]["ote.base"] == "90000.00"
    quota = {c["field"]: c for c in changes(hire, "quota", "tbh-amer-2")}
    assert quota["total"]["kind"] == "added" and quota["total"]["old"] is None
    assert quota["Q1"]["new"] == "0.00"  # starts in September: nothing to carry in Feb-Apr

    target = diff_json(cli, "HEAD~2", "HEAD~1")
    assert changes(target, "plan") == [
        {
            "kind": "changed",
            "entity": "plan",
            "id": "acme",
            "field": "target",
            "old": "12800000.00",
            "new": "13000000.00",
            "delta": "200000.00",
        }
    ]
    assert target["summary"]["target"] == {
        "old": "12800000.00",
        "new": "13000000.00",
        "delta": "200000.00",
    }

    submission = diff_json(cli, "HEAD~1", "HEAD")
    assert submission["changes"] == [
        {
            "kind": "changed",
            "entity": "submission",
            "id": "ana",
            "field": "Q2",
            "old": "360000.00",
            "new": "400000.00",
            "delta": "40000.00",
        }
    ]
    assert submission["summary"]["forecast"]["delta"] == "40000.00"


def test_json_shape_and_quota_moves_add_up(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    document = diff_json(cli, "main~5", "main")
    assert list(document)[:3] == ["from", "to", "changes"]
    assert (document["from"], document["to"]) == ("main~5", "main")
    assert all(set(c) == CHANGE_KEYS for c in document["changes"])
    assert {c["kind"] for c in document["changes"]} == {"added", "changed", "moved"}
    # every level's quota moves add up to that level's total move
    totals = {
        c["id"]: Decimal(c["delta"])
        for c in changes(document, "level_total")
        if c["field"] == "total"
    }
    levels = {n.id: n.level for n in load_plan(repo / "plan").plan.allocation.nodes}
    moves: dict[str, Decimal] = {}
    for c in changes(document, "quota"):
        if c["field"] == "total" and c["id"] in levels:
            moves[levels[c["id"]]] = moves.get(levels[c["id"]], Decimal(0)) + Decimal(c["delta"])
    assert {k: v for k, v in moves.items() if k != "company"} == totals
    sections = document["summary"]["sections"]
    assert sections["plan"] == 1 and sections["submissions"] == 1 and sections["quotas"] > 10
    assert document["summary"]["changed"]["rep"] == 2  # dev moved, tbh-amer-2 added


def test_markdown_golden(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    result = cli("diff", "main~5", "main", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert_golden("acme-diff.md", result.stdout)
    first = result.stdout.splitlines()[0]
    assert first.startswith("**salesplan diff** `main~5` → `main`: target +200,000 (+1.6%);")
    assert "; 1 rep added, 1 moved; " in first and "quotas moved" in first
    assert "<details><summary>Quotas, allocated top-down (" in result.stdout
    small = cli("diff", "main~5", "main", "--format", "markdown", "--min-change", "0.05")
    assert_golden("acme-diff-min-change.md", small.stdout)


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SALESPLAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run with SALESPLAN_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} changed; review, then SALESPLAN_UPDATE_GOLDEN=1"
    )


def test_text_is_grouped(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    result = cli("diff", "main~5")  # the working tree (= main) against main~5
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("main~5 → working tree: target +200,000 (+1.6%);")
    for title in (
        "Plan settings",
        "Reps",
        "Metrics (metrics.csv)",
        "Submissions",
        "Quotas",
        "Totals",
    ):
        assert title in out
    assert out.index("Plan settings") < out.index("Reps") < out.index("Quotas")


def test_exit_code_both_ways(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    assert cli("diff", "HEAD~1", "--exit-code").exit_code == 1
    assert cli("diff", "HEAD~1").exit_code == 0
    clean = cli("diff", "--exit-code")  # HEAD against the untouched working tree
    assert clean.exit_code == 0, clean.stderr
    assert "no differences" in clean.stdout
    # filtered away: no difference left
    assert cli("diff", "HEAD~1", "--exit-code", "--only", "plan").exit_code == 0
    assert cli("diff", "HEAD~1", "--exit-code", "--only", "submissions").exit_code == 1


def test_only_and_min_change(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    everything = diff_json(cli, "main~5", "main")
    org = diff_json(cli, "main~5", "main", "--only", "org", "--only", "submissions")
    assert {c["entity"] for c in org["changes"]} == {"rep", "metric", "submission"}
    quotas = [c for c in everything["changes"] if c["entity"] == "quota"]
    big = changes(diff_json(cli, "main~5", "main", "--min-change", "0.05"), "quota")
    assert 0 < len(big) < len(quotas)
    for c in big:
        if c["kind"] == "changed":
            assert abs(Decimal(c["delta"])) >= Decimal("0.05") * Decimal(c["old"])
    assert any(c["kind"] == "added" for c in big)  # a new node always shows


def test_working_tree_from_a_subdirectory_untouched(cli, repo, monkeypatch):
    plan = repo / "plan"
    edit(plan / "submissions" / "ben.yaml", "Q1: 230_000", "Q1: 250_000")
    index = (repo / ".git" / "index").read_bytes()
    status = git(repo, "status", "--porcelain")
    files = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts)
    monkeypatch.chdir(plan / "submissions")
    document = diff_json(cli, "HEAD")
    assert document["to"] == "working tree"
    assert [c["id"] for c in changes(document, "submission")] == ["ben"]
    assert (repo / ".git" / "index").read_bytes() == index
    assert git(repo, "status", "--porcelain") == status
    assert (
        sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts) == files
    )


def test_unknown_revision_and_no_repository(cli, repo, tmp_path, monkeypatch):
    monkeypatch.chdir(repo / "plan")
    result = cli("diff", "no-such-branch")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "unknown revision 'no-such-branch'" in result.stderr
    injected = cli("diff", "--", "--output=/tmp/x")  # never read as an option of git
    assert injected.exit_code == 2 and "unknown revision" in injected.stderr
    outside = tmp_path / "outside"
    assert cli("init", outside).exit_code == 0
    monkeypatch.chdir(outside)
    result = cli("diff", "main")
    assert result.exit_code == 2
    assert "not in a git repository" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["diff", "approvers"])
def test_a_file_of_the_plan_is_not_a_plan(cli, repo, tmp_path, monkeypatch, command):
    """A file or folder on disk that is no plan (org.yaml, a CSV, submissions/) and no
    revision either is a usage error that says what PLAN is, as `check` says it, inside a
    repository or outside one (it was 'unknown revision' or 'not in a git repository')."""
    monkeypatch.chdir(repo / "plan")
    cases = {
        ("org.yaml",): "org.yaml is not a plan: give the plan folder or its salesplan.yaml",
        ("HEAD", "accounts.csv"): "accounts.csv is not a plan: give the plan folder or its",
        ("submissions",): "no plan at submissions (expected submissions/salesplan.yaml)",
    }
    for args, message in cases.items():
        result = cli(command, *args)
        assert result.exit_code == 2, result.stdout
        assert result.stdout == "" and result.stderr.count("\n") == 1
        assert message in result.stderr
    outside = tmp_path / "outside"
    assert cli("init", outside).exit_code == 0
    monkeypatch.chdir(outside)
    result = cli(command, "org.yaml", ".")
    assert result.exit_code == 2
    assert "org.yaml is not a plan: give the plan folder or its salesplan.yaml" in result.stderr
    assert cli("check", "org.yaml").stderr == result.stderr


@pytest.mark.parametrize("name", ["/", '"a\\0b"'])
def test_a_revision_naming_a_path_git_cannot_take(cli, repo, monkeypatch, name):
    """A file name in a revision's salesplan.yaml that git refuses (absolute) or that cannot
    be passed to git (a NUL) is that revision's SP114, not a git error (exit 2) or exit 3."""
    monkeypatch.chdir(repo / "plan")
    with (repo / "plan" / "salesplan.yaml").open("a") as plan:
        plan.write(f"files: {{submissions: {name}}}\n")
    commit(repo, "a hostile files: entry")
    result = cli("diff", "HEAD~1", "HEAD")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("HEAD:plan/salesplan.yaml:") and " SP114 " in result.stderr


def test_two_paths_on_disk(cli, tmp_path, monkeypatch):
    for name in ("a", "b"):
        assert cli("init", tmp_path / name).exit_code == 0
    edit(tmp_path / "b" / "org.yaml", 'owner: "@sam-reed"', "owner: lee@acme.example")
    monkeypatch.chdir(tmp_path)
    document = diff_json(cli, "a", "b")
    assert (document["from"], document["to"]) == ("a", "b")
    assert document["changes"] == [
        {
            "kind": "changed",
            "entity": "unit",
            "id": "amer-ent",
            "field": "owner",
            "old": "@sam-reed",
            "new": "lee@acme.example",
            "delta": None,
        }
    ]
    assert cli("diff", "a", "a", "--exit-code").exit_code == 0


def test_a_broken_side_is_reported_not_diffed(cli, repo, monkeypatch):
    edit(
        repo / "plan" / "org.yaml",
        "parent: amer-ent\n    start: 2023-09-01",
        "parent: amer-entx\n    start: 2023-09-01",
    )
    commit(repo, "typo")
    monkeypatch.chdir(repo / "plan")
    result = cli("diff", "HEAD~1", "HEAD")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "HEAD:plan/org.yaml:" in result.stderr and "SP3" in result.stderr
    assert "HEAD: the plan has errors" in result.stderr


def test_plan_at_the_repository_root_and_renamed_files(cli, tmp_path, monkeypatch):
    top = tmp_path / "root"
    assert cli("init", top).exit_code == 0
    (top / "people.yaml").write_bytes((top / "org.yaml").read_bytes())
    (top / "org.yaml").unlink()
    with (top / "salesplan.yaml").open("a") as handle:
        handle.write("files: {org: people.yaml}\n")
    git(top, "init", "-q", "-b", "main")
    commit(top, "plan")
    edit(top / "people.yaml", "name: Ben Carter", "name: Benjamin Carter")
    commit(top, "rename")
    monkeypatch.chdir(top)
    document = diff_json(cli, "HEAD~1", "HEAD")
    assert document["changes"] == [
        {
            "kind": "changed",
            "entity": "rep",
            "id": "ben",
            "field": "name",
            "old": "Ben Carter",
            "new": "Benjamin Carter",
            "delta": None,
        }
    ]


# ---- the engine, without git


def test_engine_territories_pins_levels_units(example, tmp_path):
    before = load_plan(example).plan
    org = example / "org.yaml"
    edit(org, "quota: 1_500_000", "quota: 1_400_000")
    edit(org, "name: AMER Enterprise", "name: <b>AMER|Ent</b>")
    edit(example / "territories.yaml", "owner: ben\n", "owner: ana\n")
    edit(example / "salesplan.yaml", "over_assign: 0.05", "over_assign: 0.08")
    after = load_plan(example).plan
    diff = diff_plans(before, after, "before", "after")
    inputs = [(c.kind, c.entity, c.id, c.field) for c in diff.changes if c.section != "quotas"]
    assert inputs == [
        ("changed", "level", "team", "over_assign"),
        ("changed", "unit", "amer-ent", "name"),
        ("moved", "territory", "us-east-ent", "owner"),
        ("changed", "pin", "ana", "quota"),
    ]
    pin = next(c for c in diff.changes if c.entity == "pin")
    assert (pin.old, pin.new, pin.delta) == (
        Decimal(1_500_000),
        Decimal(1_400_000),
        Decimal(-100_000),
    )
    ana = next(
        c for c in diff.changes if c.entity == "quota" and c.id == "ana" and c.field == "total"
    )
    assert ana.new == Decimal(1_400_000)
    markdown = as_markdown(select(diff, {"org"}))
    assert "&lt;b&gt;AMER\\|Ent&lt;/b&gt;" in markdown and "<b>" not in markdown
    assert select(diff, {"submissions"}).changes == ()


def test_pins_accepted_into_adjustments_yaml_are_pins_changed(example, cli):
    """`reconcile --accept` pins its proposal in adjustments.yaml; the pull request that
    adds them is the approval, so its diff lists them beside the quotas they move."""
    before = load_plan(example).plan
    accepted = cli("reconcile", example, "--accept")
    assert accepted.exit_code == 0, accepted.stderr
    after = load_plan(example).plan
    diff = diff_plans(before, after, "before", "after")
    pins = {(c.kind, c.id): c.new for c in diff.changes if c.entity == "pin"}
    assert pins and all(kind == "added" for kind, _ in pins)
    assert pins[("added", "dev")] == next(p.quota for p in after.adjustments if p.id == "dev")
    markdown = as_markdown(select(diff, {"org"}))
    assert "Pins (quota: in org.yaml and adjustments.yaml)" in markdown and "| dev |" in markdown
    headline = summary_line(diff)  # added, as the table says, not "changed"
    assert f": {len(pins)} pins added; " in headline and "pins changed" not in headline


def test_the_headline_names_each_kind_of_change(example, cli):
    before = load_plan(example).plan
    org = example / "org.yaml"
    text = org.read_text().replace("parent: amer-com", "parent: amer-ent", 1)
    org.write_text(text.replace("start: 2023-09-01", "start: 2023-10-01", 1))  # ben
    (example / "submissions" / "erin.yaml").unlink()
    after = load_plan(example).plan
    headline = summary_line(diff_plans(before, after, "before", "after"))
    assert ": 1 rep moved, 1 changed; 1 submission removed; " in headline, headline


def test_code_span_holds_any_label():
    assert code_span("main") == "`main`"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x") == "`` `x ``"
    assert code_span("a\nb") == "`a b`"


BIDI = "\u202e"


def test_a_branch_named_with_a_bidi_override_is_shown_escaped(cli, repo, monkeypatch):
    """git allows U+202E in a branch name; the PR comment must not reorder the text after it."""
    monkeypatch.chdir(repo / "plan")
    git(repo, "branch", f"x{BIDI}live")
    for command, fmt in [("diff", "markdown"), ("approvers", "markdown"), ("approvers", "text")]:
        result = cli(command, "main", f"x{BIDI}live", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert BIDI not in result.stdout, (command, fmt)
        assert "x\\u202elive" in result.stdout
    broken = cli("diff", "main", f"x{BIDI}live:nowhere")
    assert broken.exit_code != 0 and BIDI not in broken.stderr


def test_a_folder_named_with_controls_is_shown_escaped(cli, example, tmp_path):
    other = Path(shutil.copytree(example, tmp_path / f"new\x1b[31m{BIDI}`x"))
    for command in ("diff", "approvers"):
        for fmt in ("markdown", "text"):
            result = cli(command, example, other, "--format", fmt)
            assert result.exit_code == 0, result.stderr
            assert "\x1b" not in result.stdout and BIDI not in result.stdout, (command, fmt)
    (other / "org.yaml").write_text("reps: [")
    broken = cli("diff", example, other)
    assert broken.exit_code == 1
    assert "\x1b" not in broken.stderr and BIDI not in broken.stderr


def test_a_change_of_points_that_rounds_to_none_is_unsigned_zero() -> None:
    """A fall of 0.04 points shows as +0.0 pp, as the README shows it, not -0.0 pp: diff,
    approvers and scenarios write points with one helper."""
    from decimal import Decimal

    from salesplan.render.table import points

    assert points(Decimal("-0.0004")) == "+0.0 pp"
    assert points(Decimal("-0.0005")) == "+0.0 pp"  # half to even: -0.05 is -0.0
    assert points(Decimal("-0.00051")) == "-0.1 pp"
    assert points(Decimal("0.015")) == "+1.5 pp"
