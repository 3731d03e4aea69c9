"""Views of a rollup: the tree table with coverage, a summary, and the JSON document."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salesplan.money import AmountTexts, split_amount
from salesplan.render import json as j
from salesplan.render.output import Format, emit
from salesplan.render.table import (
    HIGH,
    LOW,
    Column,
    Money,
    Ratio,
    ResultTable,
    carved,
    display_decimals,
    some_of,
)
from salesplan.rollup import Rollup, RollupNode
from salesplan.tree import REP
from salesplan.words import counted

if TYPE_CHECKING:
    from salesplan.plan import Plan


def tables(
    plan: Plan, rollup: Rollup, source: str, people: bool = True, whole: Rollup | None = None
) -> list[ResultTable]:
    """The rollup table; for `people` (not CSV), the forecasts as they are shown carved so
    that each family's shown forecasts add up to its parent's (`shown_forecasts`), over
    the `whole` tree that `rollup` was selected from (one level of it shows each node as
    the whole tree does)."""
    e = plan.currency_exponent
    decimals = display_decimals(plan)
    forecasts = shown_forecasts(whole or rollup, decimals if people else None)
    scope = shown_period(plan, rollup.periods[0]) if len(rollup.periods) == 1 else "year"
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
        decimals=decimals,
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
        forecast = forecasts[node.id]
        table.add(
            [
                node.id,
                node.level,
                Money(forecast, e),
                Money(node.quota_total, e) if node.quota_total is not None else None,
                Money(node.quota_total - forecast, e) if node.quota_total is not None else None,
                Ratio(None if silent else node.coverage, "coverage"),
                "–" if silent else f"{node.submitted} of {expected}",  # 8/9 is a date in Excel
                missing,
            ],
            depth=tree[node.id].depth if node.id in tree and nested else 0,
            strong=node.id in tree and not tree[node.id].is_rep,
        )
    table.notes.extend(summary_lines(plan, rollup))
    return [table]


def shown_period(plan: Plan, label: str) -> str:
    """A period as the other tables name it: `Feb-27` for M01 of a monthly plan."""
    labels = plan.calendar.labels
    return plan.calendar.shown_label(labels.index(label)) if label in labels else label


def shown_forecasts(rollup: Rollup, decimals: int | None) -> dict[str, Decimal]:
    """Each node's forecast as shown with `decimals` (exact when None): the top nodes of
    the table carved from their total, rounded once, and each family's from its parent's
    shown forecast, so that what people see adds up (forecasts in cents, shown in whole
    thousands, otherwise do not: 1,520,000 + 1,180,000 shown under 2,700,001)."""
    exact = {n.id: n.forecast_total for n in rollup.nodes}
    if decimals is None:
        return exact
    unit = Decimal(1).scaleb(-decimals)
    families: dict[str | None, list[str]] = {}
    for n in rollup.nodes:  # top-down: a parent comes before its children
        families.setdefault(n.parent if n.parent in exact else None, []).append(n.id)
    top = families.get(None, [])
    shown = dict(zip(top, carved([exact[i] for i in top], top, decimals)))
    for n in rollup.nodes:
        children = families.get(n.id)
        if children:
            parts = split_amount(shown[n.id], [exact[c] for c in children], children, unit)
            shown.update(zip(children, parts))
    return shown


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
        have = "has" if len(root.missing) == 1 else "have"
        lines.append(
            f"{counted(len(root.missing), 'rep')} {have} not submitted: "
            f"{some_of(root.missing, 'the table')}."
        )
    else:
        lines.append("Every rep expected to submit has submitted.")
    lines.append("Planned hires are not expected to submit; they count when they do.")
    return lines


def document(plan: Plan, rollup: Rollup, source: str) -> dict[str, Any]:
    return {
        "currency": rollup.currency,
        "periods": list(rollup.periods),
        "quota_source": source,
        "nodes": j.EncodedRecords(map(_node_json(plan), rollup.nodes)),
    }


def _node_json(plan: Plan) -> Callable[[RollupNode], str]:
    """A node as its JSON record ({"id", "level", "parent", "forecast": {"total",
    "periods"}, "quota": null or {"total", "periods"}, "gap", "coverage", "missing"}),
    written by a template (for j.EncodedRecords); the quota periods of nodes alike written once.

    A node's totals and gap, and a unit's forecast per period, are sums made for it (new
    Decimals): formatted, not looked up (`AmountTexts.fresh`). A rep's forecast per period
    holds the submitted amounts themselves, shared and hashed when read: looked up."""
    text = AmountTexts(plan.currency_exponent)
    string, fresh = j.string, text.fresh
    phased = j.Once(lambda periods: j.amount_list(text, periods))

    def quota(n: RollupNode) -> str:
        if n.quota_total is None:
            return "null"
        periods = phased[n.quota_periods or ()]
        return f'{{"total": "{fresh(n.quota_total)}", "periods": {periods}}}'

    def sums(values: tuple[Decimal, ...]) -> str:
        return '["' + '", "'.join(map(fresh, values)) + '"]' if values else "[]"

    def encode(n: RollupNode) -> str:
        periods = (
            j.amount_list(text, n.forecast_periods) if n.level == REP else sums(n.forecast_periods)
        )
        forecast = f'{{"total": "{fresh(n.forecast_total)}", "periods": {periods}}}'
        gap = "null" if n.gap is None else f'"{fresh(n.gap)}"'
        return (
            f'{{"id": {string(n.id)}, "level": {string(n.level)}, '
            f'"parent": {j.string_or_null(n.parent)}, '
            f'"forecast": {forecast}, "quota": {quota(n)}, '
            f'"gap": {gap}, '
            f'"coverage": {j.number(j.ratio(n.coverage))}, '
            f'"missing": [{", ".join([string(m) for m in n.missing])}]}}'
        )

    return encode


def render(
    plan: Plan, rollup: Rollup, source: str, fmt: Format, whole: Rollup | None = None
) -> None:
    """Write a rollup to stdout in `fmt` (`whole`: the tree it was selected from)."""
    people = fmt is not Format.csv
    emit(
        fmt,
        lambda: tables(plan, rollup, source, people, whole),
        lambda: document(plan, rollup, source),
    )
