"""The library's front door: `salesplan.load(path)` gives a plan whose methods are the
commands (docs/design.md, "Python API").

    plan = salesplan.load("acme-plan")     # PlanError(.diagnostics) if it has errors
    plan.diagnostics                       # its warnings (and a stale quotas.yaml, if any)
    plan.allocate().to_frame()             # pandas DataFrame: id, level, parent, total, Q1..
"""

from __future__ import annotations

from pathlib import Path

from salesplan.diagnostics import Diagnostic
from salesplan.loading import load_plan
from salesplan.plan import Plan
from salesplan.words import counted


class PlanError(Exception):
    """The plan has errors; `diagnostics` holds every problem found, errors and warnings."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.is_error]
        first = f"; the first: {errors[0]}" if errors else ""
        super().__init__(f"the plan has {counted(len(errors), 'error')}{first}")


def load(path: Path | str | None = None, scenario: str | None = None) -> Plan:
    """Load and check a plan, as every command does: the plan, or PlanError listing its
    problems. A stale or hand-edited quotas.yaml does not stop it (the quotas are computed).
    With `scenario`, the plan as scenarios/NAME.yaml changes it ("What if" in the README)."""
    loaded = load_plan(path, scenario=scenario)
    if loaded.plan is None or loaded.blocking:
        raise PlanError(loaded.diagnostics)
    return loaded.plan
