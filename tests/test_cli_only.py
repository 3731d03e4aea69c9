"""`cli.only`: a run builds the one command it names; what that command says is what the
whole app's says (its help, its errors), and anything else goes to the whole app."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from salesplan.cli import app, only

COMMANDS = [
    "check", "init", "schema", "allocate", "capacity", "rollup", "reconcile", "diff",
    "report", "approvers", "import", "balance", "scenarios",
]  # fmt: skip


def test_every_command_is_found_alone() -> None:
    for name in COMMANDS:
        alone = only(name)
        assert alone is not app and len(alone.registered_commands) == 1
    assert len(app.registered_commands) == len(COMMANDS)  # the app itself is left whole


@pytest.mark.parametrize("name", [None, "--help", "--version", "--debug", "chek", "Check", ""])
def test_anything_else_is_the_whole_app(name: str | None) -> None:
    assert only(name) is app


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("args", [["--help"], ["--format", "nope", "."], ["--nope"]])
def test_a_command_alone_says_what_it_says_in_the_app(name: str, args: list[str]) -> None:
    runner = CliRunner()
    whole = runner.invoke(app, [name, *args], prog_name="salesplan")
    alone = runner.invoke(only(name), [name, *args], prog_name="salesplan")
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)
