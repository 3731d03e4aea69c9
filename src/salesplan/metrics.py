"""Split metrics per node: given on the node, in metrics.csv, by owned territories, or
summed from the children (docs/design.md, "Plan files")."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal, localcontext
from itertools import filterfalse, repeat
from operator import attrgetter
from typing import TYPE_CHECKING

from salesplan.tree import REP

if TYPE_CHECKING:
    from salesplan.model import Rep, Unit
    from salesplan.plan import Plan

NodeMetrics = dict[str, dict[str, Decimal]]
ZERO = Decimal(0)
# Metrics are summed up the tree in this many digits: a plan's numbers have at most 25
# (money.MAX_AMOUNT, 10 decimals), and the default context's 28 would round the sum of a
# thousand such, making the sum depend on the order of its terms. In 60 every sum a plan
# can hold is exact, whatever the order.
EXACT_SUMS = Context(prec=60)


def territory_metrics(plan: Plan) -> NodeMetrics:
    """Each territory's metrics: metrics.csv, overridden by its own `metrics:`."""
    csv = plan.metrics_by_id
    return {t.id: {**csv.get(t.id, {}), **t.metrics} for t in plan.territories or ()}


def owned_metrics(plan: Plan) -> NodeMetrics:
    """Per rep, the sum of the metrics of the territories they own. A rep's first territory
    goes through the same loop as the others (a dict comprehension per rep is a call)."""
    csv = plan.metrics_by_id
    owned: NodeMetrics = {}
    for territory in plan.territories or ():
        if (owner := territory.owner) is None:
            continue
        extra, given = csv.get(territory.id), territory.metrics
        values = ({**extra, **given} if given else extra) if extra else given
        if (bucket := owned.get(owner)) is None:
            owned[owner] = bucket = {}
        for name, value in values.items():
            bucket[name] = bucket.get(name, ZERO) + value
    return owned


def resolve_metrics(plan: Plan) -> NodeMetrics:
    """Every tree node's metrics, each taken from the first source that has it: the node
    itself (org.yaml, then metrics.csv), then (for reps) the territories it owns, then the
    sum of its children.

    A node's dict starts from the lowest source and the higher ones are laid over it with
    `update` (a rep's dict of owned sums is made for it alone): no loop in Python over the
    names a rep already has, and no extra dict per node. The order of the names in a dict
    is not the order of the sources; every reader looks names up, none lists them."""
    with localcontext(EXACT_SUMS):  # sums exact, whatever their order
        csv = plan.metrics_by_id
        owned = owned_metrics(plan)
        units, reps = plan.units_by_id, plan.reps_by_id
        nodes = plan.tree.nodes
        resolved: NodeMetrics = {}
        for node_id in reversed(plan.tree.order):
            node = nodes[node_id]
            values: dict[str, Decimal] | None
            if node.is_rep:
                values = owned.get(node_id)
                model: Unit | Rep | None = reps[node_id]
            else:
                values = {}
                for child in node.children:
                    for name, value in resolved[child].items():
                        values[name] = values.get(name, ZERO) + value
                model = units.get(node_id)  # None for the root
            extra = csv.get(node_id)
            given = model.metrics if model is not None else {}
            if values is None:
                values = {**extra, **given} if extra else dict(given)
            else:
                if extra:
                    values.update(extra)
                if given:
                    values.update(given)
            resolved[node_id] = values
        return resolved


def split_metrics(plan: Plan) -> NodeMetrics:
    """The metrics the splits read (allocation weights, check_split_rules): the nodes at a
    level whose split reads a metric. When the rep level's split reads none, that is every
    unit's metrics as resolve_metrics gives them, and no rep's: a rep's metrics are then only
    terms of its unit's sums, made without a dict per rep. The sums are those of
    resolve_metrics, whose terms are added in another order: both sum in `EXACT_SUMS`, where
    no sum a plan can hold is rounded, so the order changes no digit, exponent or sign. When the rep level's
    split reads a metric, every node's metrics (plan.metrics)."""
    with localcontext(EXACT_SUMS):  # sums exact, whatever their order
        if any(
            level.name == REP and split_metric_names(level.split) for level in plan.settings.levels
        ):
            return plan.metrics
        csv = plan.metrics_by_id
        units = plan.units_by_id
        nodes = plan.tree.nodes
        territories = plan.territories or []
        owners = list(map(attrgetter("owner"), territories))
        owned = dict(zip(owners, map(csv.get, map(attrgetter("id"), territories))))
        owned.pop(None, None)
        summed: NodeMetrics | None = None
        if (
            any(map(attrgetter("metrics"), plan.org.reps))
            or any(map(attrgetter("metrics"), territories))
            or len(owned) != len(list(filter(None, owners)))  # an owner of two (or named "")
            or not set()
            .union(*filter(None, map(csv.get, plan.reps_by_id)))
            .isdisjoint(set().union(*filter(None, owned.values())))
        ):
            # metrics given in org.yaml, a rep owning two territories, or a rep's own metric
            # that may hide its territory's: each rep's metrics resolved on their own
            summed = _summed_by_rep(plan)
        resolved: NodeMetrics = {}
        # the units (and the root) bottom-up, children before their parent
        for node in filterfalse(
            attrgetter("is_rep"), map(nodes.__getitem__, reversed(plan.tree.order))
        ):
            node_id, children = node.id, node.children
            if children and nodes[children[0]].is_rep:  # a unit's children are all reps or none
                if summed is None:
                    values = _rep_sums(children, csv.get, owned.get)
                else:
                    values = summed.get(node_id) or {}
            else:
                values = {}
                for child in children:
                    for name, value in resolved[child].items():
                        values[name] = values.get(name, ZERO) + value
            if extra := csv.get(node_id):
                values.update(extra)
            if (model := units.get(node_id)) is not None and model.metrics:  # None: the root
                values.update(model.metrics)
            resolved[node_id] = values
        return resolved


def _rep_sums(
    reps: list[str],
    own: Callable[[str], dict[str, Decimal] | None],
    owned: Callable[[str], dict[str, Decimal] | None],
) -> dict[str, Decimal]:
    """The sums of the metrics of a unit's reps, where no rep has metrics in org.yaml, owns
    two territories or has in metrics.csv a metric any territory has (none hides another):
    the terms are the reps' metrics.csv rows and their territories' metrics, each name
    summed in C over those dicts."""
    terms = [*filter(None, map(own, reps)), *filter(None, map(owned, reps))]
    return {
        name: sum(map(dict.get, terms, repeat(name), repeat(ZERO)), ZERO)
        for name in set().union(*terms)
    }


def _summed_by_rep(plan: Plan) -> NodeMetrics:
    """Per unit, the sums of its reps' metrics, each rep's added straight into them: its own
    (org.yaml over metrics.csv) and its territories' that its own do not hide."""
    csv = plan.metrics_by_id
    nodes = plan.tree.nodes
    # per rep of the tree, its unit's sums and the names its territories' do not reach
    summed: NodeMetrics = {}
    own_by_rep: dict[str, tuple[dict[str, Decimal], dict[str, Decimal]]] = {}
    no_metrics: dict[str, Decimal] = {}
    for rep_id, rep in plan.reps_by_id.items():
        if (node := nodes.get(rep_id)) is None or not node.is_rep:
            continue  # not in the tree, or the id is a unit's there
        extra, given = csv.get(rep_id), rep.metrics
        own = ({**extra, **given} if given else extra) if extra else given or no_metrics
        if (sums := summed.get(node.parent)) is None:  # type: ignore[arg-type]
            summed[node.parent] = sums = {}  # type: ignore[index]
        for name, value in own.items():
            sums[name] = sums.get(name, ZERO) + value
        own_by_rep[rep_id] = sums, own
    for territory in plan.territories or ():
        if (found := own_by_rep.get(territory.owner)) is None:  # type: ignore[arg-type]
            continue  # no owner, or one that is no rep of the tree
        sums, own = found
        extra, given = csv.get(territory.id), territory.metrics
        values = ({**extra, **given} if given else extra) if extra else given
        for name, value in values.items():
            if name not in own:
                sums[name] = sums.get(name, ZERO) + value
    return summed


def split_metric_names(rule: object) -> list[str]:
    """The metrics a level's split rule reads (none for `even` and `capacity`)."""
    if isinstance(rule, dict):
        return list(rule)
    if isinstance(rule, str) and rule not in {"even", "capacity"}:
        return [rule]
    return []
