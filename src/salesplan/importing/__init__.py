"""`salesplan import`: CRM exports become the plan's history, pipeline and accounts
(docs/design.md). pandas is imported here and only here: no other command pays for it.

    from salesplan.importing import ImportOptions, run_import
    result = run_import(plan, ImportOptions([Path("opportunities.csv")], dry_run=True))
    result.findings.sorted(); result.changes
"""

from __future__ import annotations

from salesplan.importing.records import FileRead, ImportOptions, ImportResult
from salesplan.plan import Plan

__all__ = ["FileRead", "ImportOptions", "ImportResult", "run_import"]


def run_import(plan: Plan, options: ImportOptions) -> ImportResult:
    from salesplan.importing.run import run

    return run(plan, options)
