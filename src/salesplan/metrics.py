"""Split metrics per node: given on the node, in metrics.csv, by owned territories, or
summed from the children (docs/design.md, "Plan files")."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesplan.plan import Plan

NodeMetrics = dict[str, dict[str, Decimal]]
ZERO = Decimal(0)


def territory_metrics(plan: Plan) -> NodeMetrics:
    """Each territory's metrics: metrics.csv, overridden by its own `metrics:`."""
    csv = plan.metrics_by_id
    return {t.id: {**csv.get(t.id, {}), **t.metrics} for t in plan.territories or ()}


def owned_metrics(plan: Plan) -> NodeMetrics:
    """Per rep, the sum of the metrics of the territories they own."""
    csv = plan.metrics_by_id
    owned: NodeMetrics = {}
    for territory in plan.territories or ():
        if territory.owner is None:
            continue
        extra = csv.get(territory.id)
        values = {**extra, **territory.metrics} if extra else territory.metrics
        bucket = owned.get(territory.owner)
        if bucket is None:
            owned[territory.owner] = {name: ZERO + value for name, value in values.items()}
            continue
        for name, value in values.items():
            bucket[name] = bucket.get(name, ZERO) + value
    return owned


def resolve_metrics(plan: Plan) -> NodeMetrics:
    """Every tree node's metrics, each taken from the first source that has it: the node
    itself (org.yaml, then metrics.csv), then (for reps) the territories it owns, then the
    sum of its children."""
    csv = plan.metrics_by_id
    owned = owned_metrics(plan)
    units, reps = plan.units_by_id, plan.reps_by_id
    resolved: NodeMetrics = {}
    for node in plan.tree.bottom_up():
        node_id = node.id
        model = reps.get(node_id) if node.is_rep else units.get(node_id)
        given = model.metrics if model is not None else {}
        extra = csv.get(node_id)
        values = {**extra, **given} if extra else dict(given)
        if node.is_rep:
            found = owned.get(node_id)
        else:
            found = {}
            for child in node.children:
                for name, value in resolved[child].items():
                    found[name] = found.get(name, ZERO) + value
        for name, value in (found or {}).items():
            if name not in values:
                values[name] = value
        resolved[node_id] = values
    return resolved


def split_metric_names(rule: object) -> list[str]:
    """The metrics a level's split rule reads (none for `even` and `capacity`)."""
    if isinstance(rule, dict):
        return list(rule)
    if isinstance(rule, str) and rule not in {"even", "capacity"}:
        return [rule]
    return []
