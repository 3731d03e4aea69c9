"""salesplan: sales planning as code.

The library (docs/design.md, "Python API"):

    import salesplan
    plan = salesplan.load("acme-plan")      # salesplan.PlanError(.diagnostics) on errors
    plan.allocate().to_frame()               # also plan.capacity(), .rollup(), .reconcile()

`load_plan` gives the plan with every diagnostic without raising; the engines are plain
functions of a plan (`allocate`, `capacity_report`, `rollup`, `reconcile`, `diff_plans`).
"""

from __future__ import annotations

__version__ = "0.1.0"  # before the imports below: modules read it

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

__all__ = [
    "Diagnostic",
    "Loaded",
    "Plan",
    "PlanError",
    "PlanNotFound",
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
