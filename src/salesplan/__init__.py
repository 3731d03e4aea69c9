"""salesplan: sales planning as code.

The library (docs/design.md, "Python API"):

    import salesplan
    plan = salesplan.load("acme-plan")      # salesplan.PlanError(.diagnostics) on errors
    plan.allocate().to_frame()               # also plan.capacity(), .rollup(), .reconcile()

`load_plan` gives the plan with every diagnostic without raising; the engines are plain
functions of a plan (`allocate`, `capacity_report`, `rollup`, `reconcile`, `diff_plans`).
The names are imported when first used, so that a command pays only for what it runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from salesplan.allocate import allocate, explain
    from salesplan.api import PlanError, load
    from salesplan.capacity import capacity_report
    from salesplan.diagnostics import Diagnostic, Severity
    from salesplan.diff import diff_plans
    from salesplan.loading import Loaded, PlanNotFound, load_plan
    from salesplan.plan import Plan
    from salesplan.quotas import quotas_yaml
    from salesplan.reconcile import reconcile
    from salesplan.rollup import rollup
    from salesplan.scenarios import ScenarioNotFound

_HOMES = {
    "Diagnostic": "salesplan.diagnostics",
    "Loaded": "salesplan.loading",
    "Plan": "salesplan.plan",
    "PlanError": "salesplan.api",
    "PlanNotFound": "salesplan.loading",
    "Severity": "salesplan.diagnostics",
    "allocate": "salesplan.allocate",
    "capacity_report": "salesplan.capacity",
    "diff_plans": "salesplan.diff",
    "explain": "salesplan.allocate",
    "load": "salesplan.api",
    "load_plan": "salesplan.loading",
    "quotas_yaml": "salesplan.quotas",
    "reconcile": "salesplan.reconcile",
    "rollup": "salesplan.rollup",
    "ScenarioNotFound": "salesplan.scenarios",
}

__all__ = [
    "Diagnostic",
    "Loaded",
    "Plan",
    "PlanError",
    "PlanNotFound",
    "ScenarioNotFound",
    "Severity",
    "__version__",
    "allocate",
    "capacity_report",
    "diff_plans",
    "explain",
    "load",
    "load_plan",
    "quotas_yaml",
    "reconcile",
    "rollup",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'salesplan' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
