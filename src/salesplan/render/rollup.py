"""Views of a rollup: the tree table with coverage, a summary, and the JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salesplan.money import AmountTexts
from salesplan.render import json as j
from salesplan.render.output import Format, emit
from salesplan.render.table import HIGH, LOW, Column, Money, Ratio, ResultTable, display_decimals
from salesplan.rollup import Rollup

if TYPE_CHECKING:
    from salesplan.plan import Plan


def tables(plan: Plan, rollup: Rollup, source: str) -> list[ResultTable]:
    e = plan.currency_exponent
    scope = rollup.periods[0] if len(rollup.periods) == 1 else "year"
    table = ResultTable(
        f"Bottom-up vs quota, {plan.settings.name} ({rollup.currency}; {scope}; quotas {source})",
        [
            Column("node", priority=HIGH),
            Column("level", priority=LOW),
            Column("forecast", True, HIGH),
            Column("quota", True, HIGH),
            Column("gap", True),
            Column("forecast coverage", True, HIGH),
            Column("submitted", True, LOW),
            Column("missing", priority=LOW),
        ],
        name="rollup",
        decimals=display_decimals(plan),
    )
    tree = plan.tree
    nested = len({n.level for n in rollup.nodes}) > 1
    for node in rollup.nodes:
        expected = node.submitted + len(node.missing)
        # a rep nobody expects a forecast from (a planned hire) is not at 0% in red
        silent = expected == 0 and node.id in tree and tree[node.id].is_rep
        missing = ", ".join(node.missing[:3]) + (
            f" +{len(node.missing) - 3}" if len(node.missing) > 3 else ""
        )
        table.add(
            [
                node.id,
                node.level,
                Money(node.forecast_total, e),
                Money(node.quota_total, e) if node.quota_total is not None else None,
                Money(node.gap, e) if node.gap is not None else None,
                Ratio(None if silent else node.coverage, "coverage"),
                "–" if silent else f"{node.submitted} of {expected}",  # 8/9 is a date in Excel
                missing,
            ],
            depth=tree[node.id].depth if node.id in tree and nested else 0,
            strong=node.id in tree and not tree[node.id].is_rep,
        )
    table.notes.extend(summary_lines(plan, rollup))
    return [table]


def summary_lines(plan: Plan, rollup: Rollup) -> list[str]:
    e = display_decimals(plan)
    root = rollup.by_id().get(plan.settings.id)
    if root is None:
        return []
    lines = []
    if root.quota_total is not None and root.coverage is not None:
        lines.append(
            f"Forecast {root.forecast_total:,.{e}f} against a target of {root.quota_total:,.{e}f}: "
            f"{root.coverage:.1%} forecast coverage, gap {root.gap:,.{e}f}."
        )
    if root.missing:
        lines.append(f"{len(root.missing)} rep(s) have not submitted: {', '.join(root.missing)}.")
    else:
        lines.append("Every rep expected to submit has submitted.")
    lines.append("Planned hires are not expected to submit; they count when they do.")
    return lines


def document(plan: Plan, rollup: Rollup, source: str) -> dict[str, Any]:
    text = AmountTexts(plan.currency_exponent)
    return {
        "currency": rollup.currency,
        "periods": list(rollup.periods),
        "quota_source": source,
        "nodes": (
            {
                "id": n.id,
                "level": n.level,
                "parent": n.parent,
                "forecast": {
                    "total": text(n.forecast_total),
                    "periods": text.many(n.forecast_periods),
                },
                "quota": None
                if n.quota_total is None
                else {
                    "total": text(n.quota_total),
                    "periods": text.many(n.quota_periods or ()),
                },
                "gap": text.optional(n.gap),
                "coverage": j.ratio(n.coverage),
                "missing": list(n.missing),
            }
            for n in rollup.nodes
        ),
    }


def render(plan: Plan, rollup: Rollup, source: str, fmt: Format) -> None:
    """Write a rollup to stdout in `fmt`."""
    emit(fmt, lambda: tables(plan, rollup, source), lambda: document(plan, rollup, source))
