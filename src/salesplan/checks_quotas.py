"""Allocation checks: problems met while splitting, the budget, and quotas.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from salesplan.allocate import NodeQuota, allocation_problems
from salesplan.diagnostics import Diagnostic
from salesplan.model import QuotaNode
from salesplan.money import to_units
from salesplan.plan import Plan, report
from salesplan.quotas import is_fresh
from salesplan.tree import ROOT_LEVEL

ZERO = Decimal(0)


def check_allocation(plan: Plan) -> Iterator[Diagnostic]:
    """Pins above their pool, all-zero weights, reps with no capacity under a capacity split."""
    yield from allocation_problems(plan)


def check_budget(plan: Plan) -> Iterator[Diagnostic]:
    from salesplan.capacity import cost_of_sales

    limit = plan.settings.budget.max_cost_of_sales
    if limit is None:
        return
    total_ote, ratio = cost_of_sales(plan)
    if ratio is not None and ratio > limit:
        ote = total_ote.quantize(Decimal(1).scaleb(-plan.currency_exponent))
        message = (
            f"cost of sales is {ratio:.1%} (OTE {ote} over the "
            f"target {plan.settings.target}), above the budget of {limit:.1%}"
        )
        where = plan.where("plan", ("budget", "max_cost_of_sales"))
        yield report("SP504", message, where, "budget.max_cost_of_sales")


def check_quotas_file(plan: Plan) -> Iterator[Diagnostic]:
    quotas = plan.quotas
    stale = plan.quotas_stale
    if stale is None and quotas is not None and not is_fresh(plan):
        stale = plan.where("quotas", ("inputs",))
    if stale is not None:
        message = (
            f"{plan.settings.files.quotas} is stale: the plan changed since it was written; "
            "run `salesplan allocate --write` and commit the result"
        )
        yield report("SP415", message, stale, "inputs")
        return
    if quotas is None:
        return
    expected = plan.allocation.by_id()
    sums: dict[str, Decimal] = {}
    for node in quotas.nodes:
        if node.parent is not None:
            sums[node.parent] = sums.get(node.parent, ZERO) + node.total
    for i, node in enumerate(quotas.nodes):
        where = plan.where("quotas", ("nodes", i))
        problem = _node_problem(plan, node, sums.get(node.id), expected.get(node.id))
        if problem:
            yield report("SP416", problem, where, f"nodes[{i}]")
    missing = set(expected) - {n.id for n in quotas.nodes}
    if missing:
        message = f"no entry for {', '.join(sorted(missing))}; run `salesplan allocate --write`"
        yield report("SP416", message, plan.where("quotas", ("nodes",)), "nodes")


def _node_problem(
    plan: Plan, node: QuotaNode, children_sum: Decimal | None, fresh: NodeQuota | None
) -> str | None:
    """What is wrong with one hand-edited entry of quotas.yaml, if anything."""
    period_sum = sum(node.periods, ZERO)
    if period_sum != node.total:
        return f"periods of {node.id!r} sum to {period_sum}, not its total {node.total}"
    tree = plan.tree
    if children_sum is not None and node.id in tree and tree[node.id].children:
        child_level = tree[tree[node.id].children[0]].level
        over = next(lv.over_assign for lv in plan.settings.levels if lv.name == child_level)
        pool = to_units(node.total * (1 + over), plan.unit) * plan.unit
        if children_sum != pool:
            return (
                f"children of {node.id!r} sum to {children_sum}, not its pool {pool} "
                f"({node.total} plus {over:.0%} over-assignment)"
            )
    holder = plan.reps_by_id.get(node.id) or plan.units_by_id.get(node.id)
    if holder is not None and holder.quota is not None and node.total != holder.quota:
        return f"{node.id!r} is pinned at {holder.quota} but quotas.yaml gives {node.total}"
    if fresh is None:
        return None if node.level == ROOT_LEVEL else f"{node.id!r} is not in the org"
    if (fresh.total, fresh.periods) != (node.total, tuple(node.periods)):
        return (
            f"{node.id!r} differs from what allocate gives ({fresh.total}); it was edited by hand"
        )
    return None
