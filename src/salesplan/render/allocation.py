"""Views of an allocation: the tree table, its JSON document and the `--explain` story."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from salesplan.allocate import Allocation, Explanation, effective_over_assignment
from salesplan.money import AmountTexts
from salesplan.render import json as j
from salesplan.render import periods
from salesplan.render.output import Format, emit, emit_story
from salesplan.render.table import (
    HIGH,
    LOW,
    Column,
    Money,
    Ratio,
    ResultTable,
    amount,
    display_decimals,
    percent,
)

if TYPE_CHECKING:
    from salesplan.plan import Plan


def tables(plan: Plan, allocation: Allocation, source: str = "computed") -> list[ResultTable]:
    exponent = (
        plan.currency_exponent
    )  # CSV: the currency's decimals, as every CSV; people: `decimals`
    spec = periods.period_columns(plan.calendar)
    columns = [Column("node", priority=HIGH), Column("level", priority=LOW)]
    columns += [Column("total", True, HIGH), Column("share", True, LOW)]
    columns += [*periods.columns(spec), Column("pinned", priority=LOW)]
    title = f"Quotas, {plan.settings.name} ({allocation.currency}; {source})"
    table = ResultTable(title, columns, name="quotas", decimals=display_decimals(plan))
    tree = plan.tree
    nested = len({n.level for n in allocation.nodes}) > 1
    totals = {n.id: n.total for n in allocation.nodes}
    for node in allocation.nodes:
        parent_total = totals.get(node.parent or "", Decimal(0))
        share = Ratio(node.total / parent_total if parent_total else None)
        cells: list[Any] = [node.id, node.level, Money(node.total, exponent), share]
        cells += periods.cells(spec, node.periods, exponent)
        cells.append("pin" if node.pinned else "")
        table.add(
            cells,
            depth=tree[node.id].depth if node.id in tree and nested else 0,
            strong=not tree[node.id].is_rep if node.id in tree else False,
        )
    decimals = display_decimals(plan)
    table.notes.append("Over-assignment by level (sum of the level's quotas against the target):")
    for name, nominal, total, effective in effective_over_assignment(plan, allocation):
        table.notes.append(
            f"  {name}: {amount(total, decimals)}  nominal {percent(nominal, sign=True)} per "
            f"level, effective {percent(effective, sign=True)} over the target"
        )
    return [table]


def document(plan: Plan, allocation: Allocation, source: str = "computed") -> dict[str, Any]:
    e = plan.currency_exponent
    quota = j.QuotaFields(AmountTexts(e))
    return {
        "currency": allocation.currency,
        "periods": list(allocation.periods),
        "source": source,
        "nodes": j.EncodedRecords(f"{{{quota(n)}}}" for n in allocation.nodes),
        "over_assignment": [
            {
                "level": name,
                "nominal": j.ratio(nominal),
                "total": j.amount(total, e),
                "effective": j.ratio(eff),
            }
            for name, nominal, total, eff in effective_over_assignment(plan, allocation)
        ],
    }


def _fmt(value: Decimal | Any, exponent: int) -> str:
    return f"{Decimal(value):,.{exponent}f}"


def _weight(value: Decimal | Fraction | int) -> str:
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.6g}"


def explain_lines(plan: Plan, why: Explanation) -> list[str]:
    """The story of one node's quota, from the root down, in plain sentences."""
    e = display_decimals(plan)
    exact = plan.currency_exponent
    cur = plan.settings.currency
    node = why.node
    lines = [f"Why {node.id} ({node.level}) carries {_fmt(node.total, e)} {cur}:", ""]
    lines.append(
        f"{plan.settings.id}: target {_fmt(plan.settings.target, e)}, rounded to {_fmt(why.steps[0].family.parent_total if why.steps else node.total, e)}"
    )
    for step in why.steps:
        f = step.family
        lines.append("")
        lines.append(f"{f.parent} -> {step.child} ({step.level} split: {f.rule})")
        lines.append(
            f"  {f.parent} total {_fmt(f.parent_total, e)} x (1 + {f.over_assign}) = {_fmt(f.raw_pool, exact)}, pool {_fmt(f.pool, e)} after rounding to {plan.unit}"
        )
        if f.pins:
            pins = ", ".join(f"{k} {_fmt(v, e)}" for k, v in f.pins.items())
            lines.append(f"  pins taken out: {pins}; {_fmt(f.rest, e)} left to split")
        if step.pinned:
            lines.append(f"  {step.child} is pinned at {_fmt(step.result, e)}")
            continue
        assert step.share is not None and step.exact is not None and step.weight is not None
        total_weight = sum((Fraction(w) for w in f.weights.values()), Fraction(0))
        weight_text = (
            "every weight is zero, split evenly"
            if f.even_fallback
            else f"weight {_weight(step.weight)} of {_weight(total_weight)}"
        )
        lines.append(
            f"  {step.child}: {weight_text} -> share {percent(float(step.share))} of {_fmt(f.rest, e)} = {_fmt(Decimal(step.exact.numerator) / Decimal(step.exact.denominator), exact)} exactly"
        )
        adjustment = step.result - Decimal(step.exact.numerator) / Decimal(step.exact.denominator)
        lines.append(
            f"  largest-remainder rounding to {plan.unit}: {_fmt(step.result, e)} ({amount(adjustment, exact, sign=True)})"
        )
    lines.append("")
    weights_total = sum(why.period_weights, Decimal(0))
    basis = "seasonality x the rep's capacity per period" if node.level == "rep" else "seasonality"
    lines.append(f"Phasing by {basis}:")
    for label, weight, value in zip(plan.periods, why.period_weights, node.periods):
        share = weight / weights_total if weights_total else Decimal(0)
        lines.append(f"  {label}: weight {float(weight):g} ({percent(share)}) -> {_fmt(value, e)}")
    return lines


def explain_document(plan: Plan, why: Explanation) -> dict[str, Any]:
    e = plan.currency_exponent
    return {
        "id": why.node.id,
        "level": why.node.level,
        "total": j.amount(why.node.total, e),
        "target": j.amount(plan.settings.target, e),
        "chain": [
            {
                "parent": s.family.parent,
                "child": s.child,
                "rule": s.family.rule,
                "parent_total": j.amount(s.family.parent_total, e),
                "over_assign": j.ratio(s.family.over_assign),
                "pool": j.amount(s.family.pool, e),
                "pins": {k: j.amount(v, e) for k, v in s.family.pins.items()},
                "rest": j.amount(s.family.rest, e),
                "pinned": s.pinned,
                "weight": None if s.weight is None else float(s.weight),
                "share": None if s.share is None else float(s.share),
                "exact": None
                if s.exact is None
                else str(Decimal(s.exact.numerator) / Decimal(s.exact.denominator)),
                "result": j.amount(s.result, e),
            }
            for s in why.steps
        ],
        "phasing": [
            {"period": p, "weight": float(w), "amount": j.amount(a, e)}
            for p, w, a in zip(plan.periods, why.period_weights, why.node.periods)
        ],
    }


def render(plan: Plan, allocation: Allocation, fmt: Format, source: str = "computed") -> None:
    """Write an allocation to stdout in `fmt`: the quota table, or its JSON document."""
    emit(fmt, lambda: tables(plan, allocation, source), lambda: document(plan, allocation, source))


def render_explanation(plan: Plan, why: Explanation, fmt: Format) -> None:
    """Write `allocate --explain` to stdout: the story as text or Markdown, or JSON."""
    emit_story(fmt, explain_lines(plan, why), lambda: explain_document(plan, why))
