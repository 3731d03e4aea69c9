"""Semantic diff of two plans (docs/design.md, "Plan files" `diff`): what changed in the inputs, and what that
does to the consequences (every node's allocated quota, level totals, capacity, coverage).

`diff_plans(old, new)` returns a `PlanDiff`: a flat tuple of `Change` records in display
order (settings, org, submissions, quotas) plus the headline numbers of both sides;
`select` filters one by section and by the size of quota moves. Pure: no I/O, no printing.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from salesplan.adjustments import plan_pins
from salesplan.allocate import Allocation, effective_over_assignment, rule_text
from salesplan.capacity import CapacityReport, capacity_report

if TYPE_CHECKING:
    from pydantic import BaseModel

    from salesplan.plan import Plan

ZERO = Decimal(0)
RATIO_PLACES = Decimal("0.000001")
K = TypeVar("K", bound=Hashable)
Value = Any  # Decimal | int | str | tuple[str, ...] | dict[str, Any] | None

# Which `--only` section each entity belongs to, in display order.
SECTIONS: dict[str, str] = {
    "plan": "plan",
    "level": "plan",
    "unit": "org",
    "rep": "org",
    "territory": "org",
    "account": "org",
    "pin": "org",
    "metric": "org",
    "submission": "submissions",
    "quota": "quotas",
    "level_total": "quotas",
    "capacity": "quotas",
}
SECTION_NAMES = ("plan", "org", "submissions", "quotas")

# How a value is measured, by field: decides the JSON form (amount string, ratio number).
MONEY_FIELDS = frozenset(
    {"target", "rounding", "capacity.full_quota", "ote.base", "ote.variable", "quota", "total"}
)
RATIO_FIELDS = frozenset(
    {
        "capacity.attainment",
        "capacity.attrition",
        "budget.max_cost_of_sales",
        "reconcile.max_shift",
        "over_assign",
        "effective_over_assign",
        "coverage",
        "cost_of_sales",
    }
)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. `field` is None when a whole entity was added or removed; `measure`
    is "money", "ratio", "number", "count" or "text" and says how old/new/delta read."""

    kind: str  # added | removed | changed | moved
    entity: str  # plan | level | unit | rep | territory | pin | metric | submission | quota | ...
    id: str
    field: str | None
    old: Value
    new: Value
    delta: Decimal | int | None
    measure: str = "text"

    @property
    def section(self) -> str:
        return SECTIONS[self.entity]

    @property
    def relative(self) -> Decimal | None:
        return relative(self.old, self.delta)


def relative(old: object, delta: object) -> Decimal | None:
    """delta / |old|; None when there is no numeric base (new from nothing, text)."""
    if not isinstance(delta, (Decimal, int)) or not isinstance(old, (Decimal, int)):
        return None
    return Decimal(delta) / abs(Decimal(old)) if old else None


@dataclass(frozen=True, slots=True)
class Headline:
    """The numbers a reviewer looks at first, for one side."""

    target: Decimal
    total_capacity: Decimal
    coverage: Decimal | None
    cost_of_sales: Decimal | None
    forecast: Decimal  # the sum of all submissions


@dataclass(frozen=True, slots=True)
class NodeInfo:
    level: str
    depth: int  # 0 for the root
    old_total: Decimal | None
    new_total: Decimal | None


@dataclass(frozen=True)
class PlanDiff:
    old_label: str
    new_label: str
    currency: str
    exponent: int  # decimals of the currency
    periods: tuple[str, ...]  # the new side's labels, then any only the old side has
    changes: tuple[Change, ...]
    old: Headline
    new: Headline
    nodes: Mapping[str, NodeInfo]  # every node of either allocation, top-down

    def counts(self) -> dict[str, int]:
        """How many distinct things changed, per entity: ids (settings: fields)."""
        found: dict[str, set[str]] = {}
        for change in self.changes:
            key = (change.field or "") if change.entity == "plan" else change.id
            found.setdefault(change.entity, set()).add(key)
        return {entity: len(keys) for entity, keys in found.items()}

    def find(self, entity: str, field: str) -> Change | None:
        return next((c for c in self.changes if c.entity == entity and c.field == field), None)

    def sections(self) -> dict[str, int]:
        found = {name: 0 for name in SECTION_NAMES}
        for change in self.changes:
            found[change.section] += 1
        return found


# ---- generic comparison


def measure_of(name: str, value: Value) -> str:
    if name in MONEY_FIELDS:
        return "money"
    if name in RATIO_FIELDS:
        return "ratio"
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int):
        return "count"
    return "number" if isinstance(value, Decimal) else "text"


def is_number(value: Value) -> bool:
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool)


def difference(before: Value, after: Value) -> Decimal | int | None:
    if is_number(before) and is_number(after):
        result: Decimal | int = after - before
        return result
    return None


def plain(value: Value) -> Value:
    """A dumped model value made comparable and JSON-friendly: dates as ISO text, lists as
    tuples of text (a seasonality or a ramp is compared as a whole)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Value]:
    """{"ote": {"base": 1}} -> {"ote.base": 1}; a None sub-model stays one key."""
    flat: dict[str, Value] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        elif not (isinstance(value, Mapping) and not value):
            flat[name] = plain(value)
    return flat


def fields_of(model: BaseModel, skip: Collection[str] = ()) -> dict[str, Value]:
    return {k: v for k, v in flatten(model.model_dump()).items() if k not in skip}


def compare(
    entity: str,
    id: str,
    old: Mapping[str, Value],
    new: Mapping[str, Value],
    moves: Collection[str] = (),
) -> Iterator[Change]:
    """Field by field; a change of a field in `moves` (parent, owner) is a move."""
    for name in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        measure = measure_of(name, after if after is not None else before)
        delta = difference(before, after)
        kind = "moved" if name in moves else "changed"
        yield Change(kind, entity, id, name, before, after, delta, measure)


Amounts = Mapping[tuple[str, str], Decimal]


def compare_amounts(entity: str, old: Amounts, new: Amounts, measure: str) -> Iterator[Change]:
    """Amounts keyed by (id, field): a key on one side only is added or removed."""
    for key in union(old, new):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        delta = (after or ZERO) - (before or ZERO)
        yield Change(kind, entity, key[0], key[1], before, after, delta, measure)


def union(old: Iterable[K], new: Iterable[K]) -> list[K]:
    """The new side's order, then what only the old side has, in its order."""
    seen = list(dict.fromkeys(new))
    present = set(seen)
    return seen + [k for k in dict.fromkeys(old) if k not in present]


def records(
    entity: str,
    old: Mapping[str, BaseModel],
    new: Mapping[str, BaseModel],
    skip: Collection[str],
    moves: Collection[str],
) -> Iterator[Change]:
    """Entities by id: added, removed, or compared field by field."""
    for key in union(old, new):
        if key not in new:
            yield Change("removed", entity, key, None, fields_of(old[key], {"id"}), None, None)
        elif key not in old:
            yield Change("added", entity, key, None, None, fields_of(new[key], {"id"}), None)
        else:
            yield from compare(
                entity, key, fields_of(old[key], skip), fields_of(new[key], skip), moves
            )


# ---- the inputs


def diff_settings(old: Plan, new: Plan) -> Iterator[Change]:
    skip = {"levels", "salesplan"}
    yield from compare(
        "plan", new.settings.id, fields_of(old.settings, skip), fields_of(new.settings, skip)
    )
    before = {lv.name: lv for lv in old.settings.levels}
    after = {lv.name: lv for lv in new.settings.levels}
    if [n for n in before if n in after] != [n for n in after if n in before]:
        old_order, new_order = " > ".join(before), " > ".join(after)
        yield Change("changed", "plan", new.settings.id, "levels", old_order, new_order, None)
    for name in union(before, after):
        if name not in after:
            yield Change("removed", "level", name, None, _level(before[name]), None, None)
        elif name not in before:
            yield Change("added", "level", name, None, None, _level(after[name]), None)
        else:
            yield from compare("level", name, _level(before[name]), _level(after[name]))


def _level(level: Any) -> dict[str, Value]:
    return {"split": rule_text(level.split), "over_assign": level.over_assign}


def diff_org(old: Plan, new: Plan) -> Iterator[Change]:
    skip = {"id", "quota"}
    yield from records("unit", old.units_by_id, new.units_by_id, skip, {"parent"})
    yield from records("rep", old.reps_by_id, new.reps_by_id, skip, {"parent"})
    old_t = {t.id: t for t in old.territories or ()}
    new_t = {t.id: t for t in new.territories or ()}
    yield from records("territory", old_t, new_t, {"id"}, {"owner"})
    old_pins, new_pins = _pins(old), _pins(new)
    yield from compare_amounts("pin", old_pins, new_pins, "money")
    old_m = {(r, m): v for r, values in old.metrics_by_id.items() for m, v in values.items()}
    new_m = {(r, m): v for r, values in new.metrics_by_id.items() for m, v in values.items()}
    yield from compare_amounts("metric", old_m, new_m, "number")


def diff_accounts(old: Plan, new: Plan) -> Iterator[Change]:
    """accounts.csv row by row: a new owner is a move (what `balance --write` does)."""
    from salesplan.accounts import account_fields

    before, after = account_fields(old), account_fields(new)
    for key in union(before, after):
        if key not in after:
            yield Change("removed", "account", key, None, before[key], None, None)
        elif key not in before:
            yield Change("added", "account", key, None, None, after[key], None)
        else:
            yield from compare("account", key, before[key], after[key], {"owner"})


def _pins(plan: Plan) -> dict[tuple[str, str], Decimal]:
    """Every pin: `quota:` in org.yaml and the pins accepted into adjustments.yaml."""
    return {(node, "quota"): quota for node, quota in plan_pins(plan).items()}


def forecasts(plan: Plan) -> dict[tuple[str, str], Decimal]:
    """Submitted amount per (rep, period); several entries for one rep and period add up."""
    sums: dict[tuple[str, str], Decimal] = {}
    for batch in plan.submissions.batches:
        for key in zip(batch.reps, batch.periods, batch.amounts):
            sums[key[:2]] = sums.get(key[:2], ZERO) + key[2]
    return sums


def diff_submissions(old: Plan, new: Plan) -> Iterator[Change]:
    before, after = forecasts(old), forecasts(new)
    yield from compare_amounts("submission", before, after, "money")


# ---- the consequences


def quota_values(allocation: Allocation) -> dict[tuple[str, str], Decimal]:
    values: dict[tuple[str, str], Decimal] = {}
    for node in allocation.nodes:
        values[(node.id, "total")] = node.total
        values.update({(node.id, p): v for p, v in zip(allocation.periods, node.periods)})
    return values


def diff_quotas(old: Allocation, new: Allocation) -> Iterator[Change]:
    before, after = quota_values(old), quota_values(new)
    yield from compare_amounts("quota", before, after, "money")


def level_totals(plan: Plan) -> dict[str, dict[str, Value]]:
    rows = effective_over_assignment(plan, plan.allocation)
    return {name: {"total": t, "effective_over_assign": rounded(e)} for name, _, t, e in rows}


def rounded(ratio: Decimal | None) -> Decimal | None:
    """A computed ratio to 6 places, as JSON shows it: finer moves are rounding noise."""
    return None if ratio is None else ratio.quantize(RATIO_PLACES)


def diff_totals(
    old: Plan, new: Plan, before: CapacityReport, after: CapacityReport
) -> Iterator[Change]:
    old_levels, new_levels = level_totals(old), level_totals(new)
    for name in union(old_levels, new_levels):
        yield from compare("level_total", name, old_levels.get(name, {}), new_levels.get(name, {}))
    yield from compare("capacity", new.settings.id, _capacity(before), _capacity(after))


def _capacity(report: CapacityReport) -> dict[str, Value]:
    return {
        "total_capacity": report.total_capacity,
        "coverage": rounded(report.coverage),
        "cost_of_sales": rounded(report.cost_of_sales),
        "hires_needed": report.hires_needed,
    }


def headline(plan: Plan, report: CapacityReport) -> Headline:
    forecast = sum((sum(b.amounts, ZERO) for b in plan.submissions.batches), ZERO)
    return Headline(
        plan.settings.target, report.total_capacity, report.coverage, report.cost_of_sales, forecast
    )


def node_infos(old: Plan, new: Plan) -> dict[str, NodeInfo]:
    before, after = old.allocation.by_id(), new.allocation.by_id()
    infos: dict[str, NodeInfo] = {}
    for key in union(before, after):
        node, tree = (after[key], new.tree) if key in after else (before[key], old.tree)
        depth = tree[key].depth if key in tree else 0
        o, n = before.get(key), after.get(key)
        infos[key] = NodeInfo(node.level, depth, o.total if o else None, n.total if n else None)
    return infos


def diff_plans(old: Plan, new: Plan, old_label: str = "old", new_label: str = "new") -> PlanDiff:
    """Every difference between two loaded plans, inputs first, then their consequences."""
    before, after = capacity_report(old, old.allocation), capacity_report(new, new.allocation)
    changes = [
        *diff_settings(old, new),
        *diff_org(old, new),
        *diff_accounts(old, new),
        *diff_submissions(old, new),
        *diff_quotas(old.allocation, new.allocation),
        *diff_totals(old, new, before, after),
    ]
    return PlanDiff(
        old_label,
        new_label,
        new.settings.currency,
        new.currency_exponent,
        tuple(union(old.periods, new.periods)),
        tuple(changes),
        headline(old, before),
        headline(new, after),
        node_infos(old, new),
    )


def select(
    diff: PlanDiff, only: Collection[str] = (), min_change: Decimal | None = None
) -> PlanDiff:
    """Keep the sections in `only` (all when empty) and the nodes whose quota moved by at
    least `min_change` of their old total: the largest move of the total or of one period
    counts, so a new phasing (seasonality) with the totals unchanged is small when its
    period moves are; a node's period moves go with it; a quota from or to nothing always
    shows."""
    small = set()
    if min_change is not None:
        largest: dict[str, Decimal] = {}
        for change in diff.changes:
            if change.entity == "quota" and change.kind == "changed" and change.delta:
                moved = abs(Decimal(change.delta))
                largest[change.id] = max(largest.get(change.id, moved), moved)
        for node_id, moved in largest.items():
            info = diff.nodes.get(node_id)
            base = info.old_total if info is not None else None
            if base and moved / abs(base) < min_change:
                small.add(node_id)

    def keep(change: Change) -> bool:
        if only and change.section not in only:
            return False
        return not (change.entity == "quota" and change.kind == "changed" and change.id in small)

    return replace(diff, changes=tuple(c for c in diff.changes if keep(c)))
