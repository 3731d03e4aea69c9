"""Exit codes in one place: 3 for an internal error (one line, traceback only with --debug)."""

from __future__ import annotations

import pytest

import salesplan.loading


def boom(*args: object, **kwargs: object) -> None:
    secret = "local-value-that-must-not-leak"
    raise RuntimeError(f"boom ({len(secret)})")


@pytest.fixture
def broken_loader(monkeypatch: pytest.MonkeyPatch) -> None:
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
