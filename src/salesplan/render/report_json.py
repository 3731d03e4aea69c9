"""The report as a JSON document: amounts are exact decimal strings, ratios are numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salesplan.render import json as j

if TYPE_CHECKING:
    from salesplan.report import NodeRow, Report


def _node(row: NodeRow, e: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "parent": row.parent,
        "status": row.status,
        "quota": j.amount(row.quota, e),
        "forecast": j.amount(row.forecast, e),
        "gap": j.amount(row.gap, e),
        "coverage": j.ratio(row.coverage),
        "capacity": j.amount(row.capacity, e),
        "active": row.active,
        "planned": row.planned,
    }


def document(report: Report) -> dict[str, Any]:
    e = report.exponent
    s = report.summary
    scenario = {} if report.scenario is None else {"scenario": report.scenario}
    return {
        "name": report.name,
        **scenario,
        "id": report.plan_id,
        "currency": report.currency,
        "as_of": report.as_of.isoformat(),
        "fiscal_year": {"start": report.year_start.isoformat(), "end": report.year_end.isoformat()},
        "periods": list(report.periods),
        "summary": {
            "target": j.amount(s.target, e),
            "rep_quotas": j.amount(s.rep_quotas, e),
            "over_assignment": [
                {
                    "level": o.level,
                    "nominal": j.ratio(o.nominal),
                    "total": j.amount(o.total, e),
                    "effective": j.ratio(o.effective),
                }
                for o in s.over_assignment
            ],
            "capacity": j.amount(s.capacity, e),
            "capacity_coverage": j.ratio(s.capacity_coverage),
            "capacity_gap": j.amount(s.capacity_gap, e),
            "hires_needed": s.hires_needed,
            "hire_start": s.hire_start.isoformat(),
            "hire_capacity": j.amount(s.hire_capacity, e),
            "total_ote": j.amount(s.total_ote, e),
            "cost_of_sales": j.ratio(s.cost_of_sales),
            "max_cost_of_sales": j.ratio(s.max_cost_of_sales),
            "over_budget": s.over_budget,
            "forecast": j.amount(s.forecast, e),
            "forecast_gap": j.amount(s.forecast_gap, e),
            "forecast_coverage": j.ratio(s.forecast_coverage),
            "submitted": s.submitted,
            "missing": list(s.missing),
            "quotas_file": s.quotas_file,
            "quota_source": s.quota_source,
            "error_count": s.errors,
            "warning_count": s.warnings,
        },
        "levels": [
            {
                "level": lv.level,
                "nodes": [_node(r, e) for r in lv.rows],
                "total": _node(lv.total, e),
            }
            for lv in report.levels
        ],
        "territories": None
        if report.territories is None
        else [
            {
                "id": t.id,
                "name": t.name,
                "owner": t.owner,
                "owner_status": t.owner_status,
                "segment": t.segment,
                "potential": j.amount(t.potential, e),
                "history": j.amount(t.history, e),
                "owner_quota": j.amount(t.owner_quota, e),
                "quota_share": j.ratio(t.quota_share),
            }
            for t in report.territories
        ],
        "phasing": [
            {
                "period": p.label,
                "target": j.amount(p.target, e),
                "quotas": j.amount(p.quotas, e),
                "capacity": j.amount(p.capacity, e),
                "forecast": j.amount(p.forecast, e),
                "gap": j.amount(p.gap, e),
                "coverage": j.ratio(p.coverage),
            }
            for p in (*report.phasing, report.year)
        ],
        "reps": [
            {
                "id": r.id,
                "parent": r.parent,
                "status": r.status,
                "quota": {"total": j.amount(r.total, e), "periods": j.amounts(r.quota, e)},
                "capacity": j.amounts(r.capacity, e),
                "forecast": j.amounts(r.forecast, e),
            }
            for r in report.reps
        ],
        "hybrid": None
        if report.hybrid is None
        else {
            "max_shift": j.ratio(report.hybrid.max_shift),
            "moved": report.hybrid.moved,
            "relaxed": list(report.hybrid.relaxed),
            "budget_breach": report.hybrid.budget_breach,
            "flagged": [
                {
                    "id": n.id,
                    "level": n.level,
                    "top_down": j.amount(n.top_down, e),
                    "bottom_up": j.amount(n.bottom_up, e),
                    "proposal": j.amount(n.proposal, e),
                    "shift": j.ratio(n.shift),
                    "flags": list(n.flags),
                }
                for n in report.hybrid.flagged
            ],
        },
    }
