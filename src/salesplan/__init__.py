"""salesplan: sales planning as code.

The library API: `load_plan` reads and checks a plan; the engines are pure functions of a
loaded plan:

    allocate(plan) -> Allocation             capacity_report(plan, allocation) -> CapacityReport
    rollup(plan, quotas) -> Rollup            reconcile(plan, quotas) -> Reconciliation
    diff_plans(old, new, ...) -> list[Change] current_quotas(plan) -> (Allocation, source)
"""

from __future__ import annotations

__version__ = "0.1.0"  # before the imports below: modules read it

from salesplan.allocate import allocate, explain
from salesplan.capacity import capacity_report
from salesplan.diagnostics import Diagnostic, Severity
from salesplan.diff import diff_plans
from salesplan.loading import Loaded, PlanNotFound, load_plan
from salesplan.quotas import current_quotas, quotas_yaml
from salesplan.reconcile import reconcile
from salesplan.rollup import rollup

__all__ = [
    "Diagnostic",
    "Loaded",
    "PlanNotFound",
    "Severity",
    "__version__",
    "allocate",
    "capacity_report",
    "current_quotas",
    "diff_plans",
    "explain",
    "load_plan",
    "quotas_yaml",
    "reconcile",
    "rollup",
]
