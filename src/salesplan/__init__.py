"""salesplan: sales planning as code.

The library API: `load_plan` reads and checks a plan; the engines (`allocate`, `capacity`,
`rollup`, `reconcile`, `diff`) are pure functions of a loaded plan.
"""

from __future__ import annotations

__version__ = "0.1.0"

from salesplan.diagnostics import Diagnostic, Severity
from salesplan.loading import Loaded, PlanNotFound, load_plan

__all__ = ["Diagnostic", "Loaded", "PlanNotFound", "Severity", "__version__", "load_plan"]
