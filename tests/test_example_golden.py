"""Golden outputs of the bottom-up and hybrid views of the example plan.

SALESPLAN_UPDATE_GOLDEN=1 rewrites them; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"

CASES = [
    ("acme-rollup.md", ["rollup", "--format", "markdown"]),
    ("acme-rollup-q2-team.csv", ["rollup", "--level", "team", "--period", "Q2", "--format", "csv"]),
    ("acme-reconcile.json", ["reconcile", "--format", "json"]),
    ("acme-reconcile.md", ["reconcile", "--format", "markdown"]),
    ("acme-capacity.md", ["capacity", "--format", "markdown"]),
]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_example_golden(example, cli, name, args) -> None:
    result = cli(*args, example)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / name
    if os.environ.get("SALESPLAN_UPDATE_GOLDEN") == "1":
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text(), (
        f"{name} changed; review, then SALESPLAN_UPDATE_GOLDEN=1"
    )
