"""The error catalogue as a test suite: one folder per diagnostic code under tests/errors/.

Each folder holds a minimal plan that triggers its code and `expected.txt`, the exact stdout
of `salesplan check .` run inside it (or of the command in its `command` file: the import
codes, SP7xx, come from `salesplan import`). `SALESPLAN_UPDATE_GOLDEN=1 pytest tests/test_errors.py`
rewrites the expected files instead of comparing; review the diff by eye before committing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from salesplan.diagnostics import CATALOGUE

ERRORS = Path(__file__).parent / "errors"
UPDATE = os.environ.get("SALESPLAN_UPDATE_GOLDEN") == "1"
DIAGNOSTIC_LINE = re.compile(r"^\S+:\d+:\d+: (SP\d{3}) ", re.MULTILINE)
CASES = sorted(p.name for p in ERRORS.iterdir() if p.is_dir())

# Codes without a case folder yet, each with the reason. Remove a code from here when its
# folder is added (a test below fails while a code is in both places).
PENDING: set[str] = set()  # every code has a case folder


@pytest.mark.parametrize("code", CASES)
def test_error_case(code: str, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / code
    shutil.copytree(ERRORS / code, case, ignore=shutil.ignore_patterns("expected.txt", "command"))
    monkeypatch.chdir(case)
    command = ERRORS / code / "command"
    args = command.read_text(encoding="utf-8").split() if command.exists() else ["check", "."]
    result = cli(*args)
    expected_file = ERRORS / code / "expected.txt"
    if UPDATE:
        expected_file.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in result.stdout + result.stderr
    codes = [m.group(1) for m in DIAGNOSTIC_LINE.finditer(result.stdout)]
    assert code in codes
    has_error = any(CATALOGUE[c].severity.value == "error" for c in codes)
    assert result.exit_code == (1 if has_error else 0), result.stderr


def test_case_folders_are_catalogue_codes() -> None:
    assert set(CASES) <= set(CATALOGUE), set(CASES) - set(CATALOGUE)


def test_every_code_has_a_case_or_is_pending() -> None:
    missing = set(CATALOGUE) - set(CASES) - PENDING
    assert not missing, f"add a tests/errors/<CODE>/ folder (or list in PENDING): {sorted(missing)}"
    assert not PENDING & set(CASES), "these have a folder now; remove them from PENDING"
    assert not PENDING - set(CATALOGUE), "PENDING lists codes the catalogue does not have"


def test_problems_at_one_place_print_in_one_order() -> None:
    """Two problems at the same place and code (a plan's and its scenario's) keep one order,
    whatever order they were found in: the output of a run does not change between runs."""
    from salesplan.diagnostics import capped, diagnostic

    one = diagnostic("SP504", "cost of sales is 16.5%", "salesplan.yaml", 20, 29)
    two = diagnostic(
        "SP504", "cost of sales is 16.5% (in scenario stretch)", "salesplan.yaml", 20, 29
    )
    assert capped([one, two]) == capped([two, one]) == [one, two]


@pytest.mark.parametrize("code", CASES)
def test_commands_that_compute_block_on_the_same_errors(code: str, tmp_path: Path) -> None:
    """A command that only computes skips the checks that only warn (checks.WARNING_ONLY):
    on every case of the catalogue it blocks on exactly the errors `check` blocks on."""
    from salesplan.loading import PlanNotFound, load_plan

    case = tmp_path / code
    shutil.copytree(ERRORS / code, case, ignore=shutil.ignore_patterns("expected.txt", "command"))
    try:
        everything = load_plan(case)
    except PlanNotFound:
        return
    computing = load_plan(case, warnings=False)
    assert computing.blocking == everything.blocking
    assert set(computing.diagnostics) <= set(everything.diagnostics)
