"""`diff` and `approvers` on a plan in a subfolder of a repository (plans/fy27), run from the
repository's root, from the plan's folder and from a sibling folder: git's `REV:PATH`,
`--plan`, and the usage errors that say how to name the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitrepo import (
    edit,
    git,
    git_env,  # noqa: F401  (an autouse fixture: git with a fixed config)
)


@pytest.fixture
def top(cli, tmp_path) -> Path:
    """A repository with the example plan in plans/fy27 and a sibling folder docs/, the plan
    committed, then its target raised by 200,000 in a second commit."""
    top = tmp_path / "repo"
    assert cli("init", top / "plans" / "fy27").exit_code == 0
    (top / "docs").mkdir()
    (top / "docs" / "notes.md").write_text("notes\n")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "The FY2027 plan")
    edit(top / "plans/fy27/salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    git(top, "commit", "-q", "-am", "Board raised the target")
    return top


def run_json(cli, command: str, *args: str) -> dict:
    result = cli(command, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def target_change(document: dict) -> list[tuple[str, str]]:
    return [
        (c["old"], c["new"])
        for c in document["changes"]
        if c["entity"] == "plan" and c["field"] == "target"
    ]


SPELLINGS = {
    "": [
        ("HEAD~1:plans/fy27", "HEAD:plans/fy27"),
        ("HEAD~1:plans/fy27/salesplan.yaml", "HEAD:plans/fy27/"),
        ("HEAD~1:plans/fy27", "HEAD"),  # HEAD takes the plan where the other side has it
        ("HEAD~1", "HEAD", "--plan", "plans/fy27"),
        ("HEAD~1", "HEAD", "-p", "plans/fy27/salesplan.yaml"),
    ],
    "plans/fy27": [
        ("HEAD~1", "HEAD"),  # as before
        ("HEAD~1:plans/fy27", "HEAD:plans/fy27"),  # from the top level, as in git
        ("HEAD~1:./", "HEAD:."),  # from here, as in git
        ("HEAD~1", "HEAD", "--plan", "."),
    ],
    "docs": [
        ("HEAD~1:plans/fy27", "HEAD:plans/fy27"),
        ("HEAD~1:../plans/fy27", "HEAD"),
        ("HEAD~1", "HEAD", "--plan", "../plans/fy27"),
    ],
}


@pytest.mark.parametrize(
    ("where", "args"), [(w, a) for w, spellings in SPELLINGS.items() for a in spellings]
)
def test_two_revisions_from_anywhere_in_the_repository(cli, top, monkeypatch, where, args):
    monkeypatch.chdir(top / where)
    document = run_json(cli, "diff", *args)
    assert target_change(document) == [("12800000.00", "13000000.00")]
    assert (document["from"], document["to"]) == tuple(a for a in args[:2])
    owners = {a["owner"] for a in run_json(cli, "approvers", *args)["approvers"]}
    assert "@dana-kim" in owners  # the root's owner approves the target


@pytest.mark.parametrize(
    ("where", "args"),
    [
        ("", ["HEAD:plans/fy27"]),
        ("", ["--plan", "plans/fy27"]),
        ("docs", ["HEAD:plans/fy27"]),
        ("docs", ["HEAD:../plans/fy27"]),
        ("docs", ["HEAD", "--plan", "../plans/fy27"]),
    ],
)
def test_a_revision_against_the_working_tree_from_outside_the_plan(
    cli, top, monkeypatch, where, args
):
    edit(top / "plans/fy27/salesplan.yaml", "target: 13_000_000", "target: 13_100_000")
    monkeypatch.chdir(top / where)
    document = run_json(cli, "diff", *args)
    assert document["to"] == "working tree"
    assert target_change(document) == [("13000000.00", "13100000.00")]


def test_the_working_tree_found_from_here_comes_before_rev_path(cli, top, monkeypatch):
    """In another plan's folder, NEW is that plan, as before: `REV:PATH` names OLD only."""
    assert cli("init", top / "plans" / "fy26").exit_code == 0
    edit(top / "plans/fy26/salesplan.yaml", "target: 12_800_000", "target: 11_000_000")
    monkeypatch.chdir(top / "plans" / "fy26")
    document = run_json(cli, "diff", "HEAD:plans/fy27")
    assert target_change(document) == [("13000000.00", "11000000.00")]


def test_no_plan_found_says_how_to_name_it(cli, top, monkeypatch):
    for where, option in (("", "plans/fy27"), ("docs", "../plans/fy27")):
        monkeypatch.chdir(top / where)
        for command in ("diff", "approvers"):
            result = cli(command, "HEAD~1", "HEAD")
            assert result.exit_code == 2 and result.stdout == ""
            assert result.stderr == (
                f"salesplan: no salesplan.yaml in HEAD~1 at {where or '.'} or any folder "
                "above it; HEAD~1 has a plan in plans/fy27: name it as HEAD~1:plans/fy27, "
                f"or give --plan {option}\n"
            )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["HEAD~1:plans/fy26", "HEAD"],
            "no plan at HEAD~1:plans/fy26 (expected HEAD~1:plans/fy26/salesplan.yaml)",
        ),
        (
            ["HEAD~9:plans/fy27", "HEAD"],
            "unknown revision 'HEAD~9' in 'HEAD~9:plans/fy27': not a commit in",
        ),
        (
            ["HEAD:plans/fy27/org.yaml"],
            "HEAD:plans/fy27/org.yaml is not a plan: give the plan folder or its salesplan.yaml",
        ),
        (
            [":plans/fy27"],
            "':plans/fy27' names a path in git's index, which salesplan does not read: "
            "give a revision before the colon (HEAD:plans/fy27)",
        ),
        (["HEAD:../elsewhere"], "'../elsewhere' leads outside the repository"),
        (
            ["plans/fy27", "plans/fy27", "--plan", "plans/fy27"],
            "both sides already name theirs: leave --plan out",
        ),
        (
            ["HEAD~1:plans/fy27", "HEAD:plans/fy27", "--plan", "plans/fy27"],
            "both sides already name theirs: leave --plan out",
        ),
        (["HEAD", "--plan", "plans/fy27/org.yaml"], "org.yaml is not a plan"),
    ],
)
def test_usage_errors(cli, top, monkeypatch, args, message):
    monkeypatch.chdir(top)
    for command in ("diff", "approvers"):
        result = cli(command, *args)
        assert result.exit_code == 2, result.stdout
        assert result.stdout == "" and result.stderr.count("\n") == 1
        assert message in result.stderr


def test_a_plan_gone_from_the_working_tree_is_still_read_from_revisions(cli, top, monkeypatch):
    git(top, "rm", "-r", "-q", "plans/fy27")
    monkeypatch.chdir(top)
    document = run_json(cli, "diff", "HEAD~1", "HEAD", "--plan", "plans/fy27")
    assert target_change(document) == [("12800000.00", "13000000.00")]


def test_a_revision_with_a_colon_in_braces_is_one_revision(cli, top, monkeypatch):
    """`main@{...}` may hold a colon (a time of day): git splits REV:PATH after it."""
    monkeypatch.chdir(top / "plans" / "fy27")
    document = run_json(cli, "diff", "main@{0}~1", "main@{0}")
    assert target_change(document) == [("12800000.00", "13000000.00")]
    document = run_json(cli, "diff", "main@{0}~1:plans/fy27", "HEAD")
    assert target_change(document) == [("12800000.00", "13000000.00")]


def test_diagnostics_of_a_rev_path_side_name_the_files_as_git_does(cli, top, monkeypatch):
    edit(
        top / "plans/fy27/org.yaml",
        "id: amer-com, name: AMER Commercial, level: team, parent: amer,",
        "id: amer-com, name: AMER Commercial, level: team, parent: amerx,",
    )
    git(top, "commit", "-q", "-am", "typo")
    monkeypatch.chdir(top)
    result = cli("diff", "HEAD~1:plans/fy27", "HEAD:plans/fy27")
    assert result.exit_code == 1
    assert result.stderr.startswith("HEAD:plans/fy27/org.yaml:")
