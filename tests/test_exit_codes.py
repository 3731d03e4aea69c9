"""Exit codes in one place: 3 for an internal error (one line, traceback only with --debug)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import salesplan.loading


def boom(*args: object, **kwargs: object) -> None:
    secret = "local-value-that-must-not-leak"
    raise RuntimeError(f"boom ({len(secret)})")


@pytest.fixture
def broken_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    # modules that bind load_plan when first imported take the real one, not `boom` for
    # the rest of the session
    for name in ("revisions", "scenario_apply", "whatif"):
        importlib.import_module(f"salesplan.{name}")
    monkeypatch.setattr(salesplan.loading, "load_plan", boom)


def test_internal_error_is_one_line_and_exit_3(cli, example, broken_loader) -> None:
    result = cli("check", example)
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "internal error: RuntimeError: boom" in lines[0] and "--debug" in lines[0]
    assert "Traceback" not in result.stderr and "local-value" not in result.stderr


def test_debug_shows_the_traceback(cli, example, broken_loader) -> None:
    result = cli("--debug", "check", example)
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "RuntimeError: boom" in result.stderr
    assert "local-value-that-must-not-leak" not in result.stderr  # no local variables


def test_usage_error_is_exit_2(cli) -> None:
    assert cli("check", "--format", "nope").exit_code == 2
    assert cli("no-such-command").exit_code == 2


@pytest.fixture(scope="module")
def thousand_reps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generate = Path(__file__).parents[1] / "benchmarks" / "generate.py"
    plan = tmp_path_factory.mktemp("pipe") / "plan"
    subprocess.run(
        [sys.executable, str(generate), "--reps", "1000", "--out", str(plan)],
        check=True,
        capture_output=True,
    )
    return plan


@pytest.mark.parametrize(("fmt", "start"), [("json", b"{"), ("text", b"Quotas")])
def test_a_closed_pipe_stops_quietly_with_141(thousand_reps, fmt, start) -> None:
    """`salesplan ... | head`: the reader leaves early; no error message, SIGPIPE's status,
    whatever the format (text goes through rich, whose own answer to a closed pipe is
    exit 1, the status of a plan with errors)."""
    command = [sys.executable, "-m", "salesplan", "allocate", str(thousand_reps), "-f", fmt]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100).startswith(start)
    proc.stdout.close()  # far less than the output, which does not fit in a pipe's buffer
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == b""


def test_plan_argument_is_a_plan_folder_or_its_salesplan_yaml(cli, example, tmp_path) -> None:
    """Another file of the plan is a usage error, not that file checked as salesplan.yaml
    (eight errors about keys it does not have)."""
    first = cli("check", example / "salesplan.yaml")
    assert first.exit_code == 0, first.stderr
    cases = {
        example / "org.yaml": "org.yaml is not a plan: give the plan folder or its salesplan.yaml",
        tmp_path / "nowhere": "no plan at {}: there is no such file or folder",
        tmp_path: "no plan at {} (expected {}/salesplan.yaml)",
    }
    for path, message in cases.items():
        result = cli("check", path)
        assert result.exit_code == 2, result.stdout
        assert result.stdout == ""
        assert message.format(path, path) in result.stderr
