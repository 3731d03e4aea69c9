"""The Python API as a notebook uses it: salesplan.load, PlanError, frames that add up to
exactly what the commands print."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import salesplan


def test_frames_equal_the_json_of_the_commands(example: Path, cli) -> None:
    plan = salesplan.load(example)
    frame = plan.allocate().to_frame()
    doc = json.loads(cli("allocate", example, "--format", "json").stdout)
    assert list(frame["id"]) == [n["id"] for n in doc["nodes"]]
    assert list(frame["total"]) == [Decimal(n["total"]) for n in doc["nodes"]]
    for i, label in enumerate(doc["periods"]):
        assert list(frame[label]) == [Decimal(n["periods"][i]) for n in doc["nodes"]]
    assert all(isinstance(t, Decimal) for t in frame["total"])
    reps = frame[frame["level"] == "rep"]
    assert sum(reps["total"], Decimal(0)) > plan.settings.target  # over-assignment, exactly


def test_every_engine_has_a_frame(example: Path, cli) -> None:
    plan = salesplan.load(example)
    capacity = plan.capacity().to_frame()
    doc = json.loads(cli("capacity", example, "--format", "json").stdout)
    assert list(capacity["id"]) == [r["id"] for r in doc["reps"]]
    rollup = plan.rollup(level="region").to_frame()
    assert list(rollup["id"]) == ["amer", "emea"] and "forecast Q1" in rollup.columns
    proposal = plan.reconcile().to_frame()
    reconciled = json.loads(cli("reconcile", example, "--format", "json").stdout)
    assert list(proposal["total"]) == [Decimal(n["total"]) for n in reconciled["nodes"]]


def test_a_broken_plan_raises_with_every_diagnostic(example: Path) -> None:
    settings = example / "salesplan.yaml"
    settings.write_text(settings.read_text().replace("seasonality:", "seasonlity:"))
    with pytest.raises(salesplan.PlanError) as raised:
        salesplan.load(example)
    codes = [d.code for d in raised.value.diagnostics]
    assert codes == ["SP201"]
    assert "SP201" in str(raised.value)


def test_warnings_ride_along(example: Path) -> None:
    plan = salesplan.load(example)
    assert plan.diagnostics == salesplan.load_plan(example).diagnostics
    assert all(not d.is_error for d in plan.diagnostics)


def test_pandas_only_when_a_frame_is_asked_for(example: Path) -> None:
    code = (
        "import sys, salesplan; p = salesplan.load(sys.argv[1]); p.allocate(); p.rollup(); "
        "assert 'pandas' not in sys.modules; p.allocate().to_frame(); "
        "assert 'pandas' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code, str(example)], check=True)


def test_no_plan_and_no_scenario_are_their_own_errors(example: Path, tmp_path: Path) -> None:
    """Not a broken plan (PlanError): no plan at all, or no such scenario, both exported."""
    with pytest.raises(salesplan.PlanNotFound, match="no such file or folder"):
        salesplan.load(tmp_path / "nowhere")
    with pytest.raises(salesplan.ScenarioNotFound, match="scenarios: stretch") as found:
        salesplan.load(example, scenario="nosuch")
    assert isinstance(found.value, salesplan.PlanNotFound)
