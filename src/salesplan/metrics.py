"""Split metrics per node: given on the node, in metrics.csv, by owned territories, or
summed from the children (DESIGN §2)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesplan.model import Rep, Unit
    from salesplan.plan import Plan

NodeMetrics = dict[str, dict[str, Decimal]]


def territory_metrics(plan: Plan) -> NodeMetrics:
    """Each territory's metrics: metrics.csv, overridden by its own `metrics:`."""
    csv = plan.metrics_by_id
    return {t.id: {**csv.get(t.id, {}), **t.metrics} for t in plan.territories or ()}


def given_metrics(plan: Plan) -> NodeMetrics:
    """Metrics given directly for units and reps: metrics.csv, overridden by org.yaml."""
    csv = plan.metrics_by_id
    given: NodeMetrics = {}
    nodes: list[Unit | Rep] = [*plan.org.units, *plan.org.reps]
    for node in nodes:
        given[node.id] = {**csv.get(node.id, {}), **node.metrics}
    root = plan.settings.id
    given[root] = dict(csv.get(root, {}))
    return given


def resolve_metrics(plan: Plan) -> NodeMetrics:
    """Every tree node's metrics, each taken from the first source that has it: the node
    itself, then (for reps) the territories it owns, then the sum of its children."""
    tree = plan.tree
    given = given_metrics(plan)
    by_territory = territory_metrics(plan)
    owned: NodeMetrics = {}
    for territory in plan.territories or ():
        if territory.owner is None:
            continue
        bucket = owned.setdefault(territory.owner, {})
        for name, value in by_territory[territory.id].items():
            bucket[name] = bucket.get(name, Decimal(0)) + value
    resolved: NodeMetrics = {}
    for node in tree.bottom_up():
        values = dict(given.get(node.id, {}))
        if node.is_rep:
            for name, value in owned.get(node.id, {}).items():
                values.setdefault(name, value)
        else:
            sums: dict[str, Decimal] = {}
            for child in node.children:
                for name, value in resolved[child].items():
                    sums[name] = sums.get(name, Decimal(0)) + value
            for name, value in sums.items():
                values.setdefault(name, value)
        resolved[node.id] = values
    return resolved


def split_metric_names(rule: object) -> list[str]:
    """The metrics a level's split rule reads (none for `even` and `capacity`)."""
    if isinstance(rule, dict):
        return list(rule)
    if isinstance(rule, str) and rule not in {"even", "capacity"}:
        return [rule]
    return []
