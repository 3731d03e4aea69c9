"""Views of a reconciliation: top-down vs bottom-up vs proposal, with the flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from salesplan.money import AmountTexts
from salesplan.reconcile import ReconcileNode, Reconciliation
from salesplan.render import json as j
from salesplan.render.output import Format, emit
from salesplan.render.table import (
    HIGH,
    LOW,
    Column,
    Money,
    Ratio,
    ResultTable,
    display_decimals,
    some_of,
)
from salesplan.words import counted

if TYPE_CHECKING:
    from salesplan.plan import Plan


COLUMNS = (
    Column("node", priority=HIGH),
    Column("level", priority=LOW),
    Column("top-down", True, HIGH),
    Column("bottom-up", True, HIGH),
    Column("proposal", True, HIGH),
    Column("shift", True),
    Column("flags"),
)
# the proposal's own table also shows the signal each node moved toward
WITH_SIGNAL = (*COLUMNS[:4], Column("signal", True), *COLUMNS[4:])


def flags(node: ReconcileNode) -> list[str]:
    found = []
    if node.pinned:
        found.append("pinned")
    if node.clamped:
        found.append("clamped")
    if node.held:
        found.append("held")
    if node.sandbagging:
        found.append("sandbagging")
    if node.over_capacity:
        found.append("over capacity")
    return found


def tables(plan: Plan, result: Reconciliation) -> list[ResultTable]:
    e = plan.currency_exponent
    table = ResultTable(
        f"Hybrid proposal, {plan.settings.name} ({result.currency}; guardrail ±{result.max_shift:.0%})",
        list(WITH_SIGNAL),
        name="proposal",
        decimals=display_decimals(plan),
    )
    tree = plan.tree
    nested = len({n.level for n in result.nodes}) > 1
    for node in result.nodes:
        table.add(
            [
                node.id,
                node.level,
                Money(node.top_down, e),
                Money(node.bottom_up, e) if node.bottom_up is not None else None,
                Money(node.signal, e),
                Money(node.total, e),
                Ratio(node.shift, "shift"),
                ", ".join(flags(node)),
            ],
            depth=tree[node.id].depth if node.id in tree and nested else 0,
            strong=node.id in tree and not tree[node.id].is_rep,
        )
    table.notes.extend(summary_lines(result))
    return [table]


def summary_lines(result: Reconciliation) -> list[str]:
    moved = result.changed()
    lines = [
        f"{counted(len(moved), 'quota')} {'moves' if len(moved) == 1 else 'move'}; every parent's pool is kept to the unit, and every "
        f"unpinned quota stays within ±{result.max_shift:.0%} of its top-down amount.",
        "Signal: the submitted total; a rep who did not submit counts as their top-down quota.",
    ]
    for kind, members in (
        ("clamped at the guardrail", [n.id for n in result.nodes if n.clamped]),
        (
            "held inside the guardrail by the pins and guardrails below them",
            [n.id for n in result.nodes if n.held],
        ),
        (
            "sandbagging (signal below top-down by more than the guardrail)",
            [n.id for n in result.nodes if n.sandbagging],
        ),
        (
            "over capacity (quota above quota capacity)",
            [n.id for n in result.nodes if n.over_capacity],
        ),
    ):
        if members:
            lines.append(f"{kind.capitalize()}: {some_of(members, 'the table')}.")
    for family in result.widened:
        shift = (
            "without bounds" if family.max_shift is None else f"to ±{float(family.max_shift):.2%}"
        )
        lines.append(
            f"Warning: the guardrail of the children of {family.parent} widened {shift}: "
            "no amounts within ±"
            f"{result.max_shift:.0%} meet their pool."
        )
    if result.budget_breach:
        lines.append("Budget breach: cost of sales is above budget.max_cost_of_sales.")
    lines.extend(str(d) for d in result.diagnostics)
    return lines


def document(plan: Plan, result: Reconciliation) -> dict[str, Any]:
    return {
        "currency": result.currency,
        "periods": list(result.periods),
        "max_shift": j.ratio(result.max_shift),
        "widened": [
            {
                "parent": w.parent,
                "max_shift": None if w.max_shift is None else float(w.max_shift),
            }
            for w in result.widened
        ],
        "budget_breach": result.budget_breach,
        "nodes": j.EncodedRecords(map(_node_json(plan), result.nodes)),
    }


def _node_json(plan: Plan) -> Callable[[ReconcileNode], str]:
    """A node as the JSON record `j.QuotaFields` writes + the proposal's own fields, by a
    template (for j.EncodedRecords): 130 -> 78 ms for the 11,012 nodes of the 10,000-rep
    plan."""
    text = AmountTexts(plan.currency_exponent)
    quota, boolean = j.QuotaFields(text), j.BOOLEAN
    # a shift's text (float, rounded, repr: 1.6 us) written once per distinct shift, looked
    # up by its float (j.ratio's first step): a fresh Decimal's first hash costs more
    shift = j.Once(lambda value: j.number(j.ratio(value)))

    # an amount met before is looked up without calling `text` (most are: 5 per node)
    known = text.texts.get

    # a node's forecast and signal are new Decimals, seldom met again: formatted, not looked up
    fresh = text.fresh

    def encode(n: ReconcileNode) -> str:
        forecast, signal = n.bottom_up, n.signal
        if forecast is None:
            bottom_up, wanted = "null", fresh(signal)
        else:
            # a submitter's signal is their forecast (most nodes): one text for both
            wanted = fresh(forecast)
            bottom_up = f'"{wanted}"'
            if signal != forecast:
                wanted = fresh(signal)
        top_down, low, high = n.top_down, n.low, n.high
        shifted = shift[None if n.shift is None else float(n.shift)]
        return (
            f'{{{quota(n)}, "top_down": "{known(top_down) or text(top_down)}", '
            f'"bottom_up": {bottom_up}, "signal": "{wanted}", '
            f'"low": "{known(low) or text(low)}", "high": "{known(high) or text(high)}", '
            f'"shift": {shifted}, "clamped": {boolean[n.clamped]}, "held": {boolean[n.held]}, '
            f'"sandbagging": {boolean[n.sandbagging]}, '
            f'"over_capacity": {boolean[n.over_capacity]}}}'
        )

    return encode


def render(plan: Plan, result: Reconciliation, fmt: Format) -> None:
    """Write a reconciliation to stdout in `fmt`."""
    emit(fmt, lambda: tables(plan, result), lambda: document(plan, result))
