"""A big territories file is read by a forked child; the plan loads the same either way."""

from __future__ import annotations

import os

import pytest

import salesplan.loading as loading
from salesplan import load_plan
from salesplan.background import in_background


def test_in_background_returns_the_child_result() -> None:
    result = in_background(lambda: {"answer": [42]})
    assert result() == {"answer": [42]}


def test_in_background_falls_back_when_the_child_fails(tmp_path) -> None:
    marker = tmp_path / "ran-in-child"

    def work() -> str:
        if not marker.exists():  # the child's run: fail after leaving a trace
            marker.write_text("x")
            raise RuntimeError("child failed")
        return "done here"

    assert in_background(work)() == "done here"


def test_forked_and_sequential_loads_agree(example, monkeypatch) -> None:
    monkeypatch.setattr(loading, "BACKGROUND_BYTES", 0)  # every optional file in a child
    forked = load_plan(example)
    monkeypatch.setattr(loading, "BACKGROUND_BYTES", 10**12)
    sequential = load_plan(example)
    assert forked.diagnostics == sequential.diagnostics
    assert forked.plan is not None and sequential.plan is not None
    assert forked.plan.territories == sequential.plan.territories
    assert forked.plan.allocation.nodes == sequential.plan.allocation.nodes
    where = forked.plan.at_territory(forked.plan.territories[3].id, "owner")
    assert where == sequential.plan.at_territory(sequential.plan.territories[3].id, "owner")


def test_broken_territories_file_reports_the_same_from_a_child(write_tree, monkeypatch) -> None:
    root = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: T
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 1000
                levels: [{name: rep}]
            """,
            "org.yaml": "reps:\n  - {id: ana}\n",
            "territories.yaml": "territories:\n  - {id: t1, owner: ana, owner: ben}\n",
        }
    )
    monkeypatch.setattr(loading, "BACKGROUND_BYTES", 0)
    codes = [d.code for d in load_plan(root).diagnostics]
    assert "SP104" in codes


def _broken_alongside(example):
    """The example with one problem for each check that runs alongside a command."""
    org = example / "org.yaml"
    org.write_text(
        org.read_text().replace("parent: amer, owner: sam.reed", "parent: amerika, owner: sam.reed")
    )
    csv = example / "submissions" / "emea-commercial.csv"
    csv.write_text(csv.read_text() + "nobody,Q1,1000,\nhana,Q9,5,\n")
    territories = example / "territories.yaml"
    territories.write_text(territories.read_text().replace("owner: ana", "owner: anna", 1))
    return example


def _codes(loaded) -> list[tuple[str, str, int]]:
    return [(d.code, d.file, d.line) for d in loaded.diagnostics]


def test_checks_alongside_find_what_the_checks_in_turn_find(example, monkeypatch) -> None:
    root = _broken_alongside(example)
    in_turn = load_plan(root)
    assert {"SP302", "SP601"} <= {d.code for d in in_turn.diagnostics}
    monkeypatch.setattr(loading, "ALONGSIDE_REPS", 0)
    deferred = load_plan(root, defer=True)
    assert deferred.pending is not None  # still running
    assert deferred.settle().pending is None
    assert deferred.diagnostics == in_turn.diagnostics


def test_checks_alongside_without_fork_or_when_the_child_fails(example, monkeypatch) -> None:
    root = _broken_alongside(example)
    expected = load_plan(root).diagnostics
    monkeypatch.setattr(loading, "ALONGSIDE_REPS", 0)
    parent = os.getpid()
    checks = loading._checks_alongside

    def failing_in_the_child(plan):
        if os.getpid() != parent:
            raise MemoryError("the child dies")
        return checks(plan)  # again in the parent: the documents are read again

    monkeypatch.setattr(loading, "_checks_alongside", failing_in_the_child)
    assert load_plan(root, defer=True).settle().diagnostics == expected
    monkeypatch.delattr(os, "fork")
    assert load_plan(root, defer=True).settle().diagnostics == expected


@pytest.mark.parametrize(
    "command",
    [
        ["allocate", "--write"],
        ["allocate", "--format", "json"],
        ["capacity"],
        ["rollup", "--format", "csv"],
        ["rollup", "--level", "nope"],  # a usage error waits for the plan's errors
        ["reconcile", "-o", "proposal.yaml"],
        ["reconcile", "--format", "markdown"],
    ],
)
def test_commands_wait_for_the_checks_alongside_before_writing_or_printing(
    cli, example, monkeypatch, command
) -> None:
    root = _broken_alongside(example)
    quotas = root / "quotas.yaml"
    assert not quotas.exists()  # the example as scaffolded, before `allocate --write`
    monkeypatch.setattr(loading, "ALONGSIDE_REPS", 0)
    monkeypatch.chdir(root)
    result = cli(*command, root)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "SP302" in result.stderr and "SP601" in result.stderr
    assert "error(s); fix them first" in result.stderr
    assert not quotas.exists()
    assert not (root / "proposal.yaml").exists()


def test_an_engine_failing_on_a_broken_plan_reports_the_plan(cli, example, monkeypatch) -> None:
    """What the checks alongside find explains an engine's failure better than the failure."""
    import importlib

    root = _broken_alongside(example)
    monkeypatch.setattr(loading, "ALONGSIDE_REPS", 0)

    def confused(*args: object) -> None:
        raise KeyError("amerika")

    monkeypatch.setattr(importlib.import_module("salesplan.reconcile"), "reconcile", confused)
    result = cli("reconcile", root)
    assert result.exit_code == 1
    assert "SP302" in result.stderr and "internal error" not in result.stderr
