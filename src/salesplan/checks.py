"""The rules a plan must meet: plain functions `plan -> Iterable[Diagnostic]`, in one registry.

Each check reads the plan and reports; none of them changes it. `CHECKS` lists them once,
in the order they run; the input checks (territories, metrics, submissions) live in
`checks_inputs.py` and the allocation checks in `checks_quotas.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from operator import attrgetter

from salesplan.adjustments import check_adjustments
from salesplan.checks_accounts import check_accounts, check_books
from salesplan.checks_inputs import (
    check_metric_rows,
    check_negative_metrics,
    check_submissions,
    check_territories,
)
from salesplan.checks_quotas import check_allocation, check_budget, check_quotas_file
from salesplan.diagnostics import Diagnostic, Suggestions, Where, did_you_mean, report
from salesplan.metrics import split_metric_names
from salesplan.money import finer_than, finer_than_problem, minor_unit
from salesplan.owners import check_owners
from salesplan.plan import Loc, Plan
from salesplan.rollup import check_outside_employment
from salesplan.tree import REP, ROOT_LEVEL
from salesplan.words import counted

Check = Callable[[Plan], Iterable[Diagnostic]]


def check_levels(plan: Plan) -> Iterator[Diagnostic]:
    names = [level.name for level in plan.settings.levels]
    if names[-1] != REP:
        where = plan.where("plan", ("levels", len(names) - 1, "name"))
        message = f"the last level must be `rep`, not {names[-1]!r}; end levels with {{name: rep}}"
        yield report("SP205", message, where, "levels")
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen or name == ROOT_LEVEL:
            why = "is reserved for the root" if name == ROOT_LEVEL else "is given twice"
            why += "; rename the level"
            where = plan.where("plan", ("levels", i, "name"))
            yield report("SP205", f"level name {name!r} {why}", where, f"levels[{i}].name")
        seen.add(name)


def check_duplicate_ids(plan: Plan) -> Iterator[Diagnostic]:
    first: dict[str, tuple[str, int] | None] = {plan.settings.id: None}  # id -> (kind, index)
    lists = {kind: _items(plan, role, kind) for kind, role in _roles(plan)}
    if _ids_unique(plan, lists):
        return
    roles = dict(_roles(plan))
    for kind in ("units", "reps"):
        items = lists[kind]
        for i, item in enumerate(items if isinstance(items, list) else ()):
            node_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(node_id, str):
                continue
            if node_id not in first:
                first[node_id] = (kind, i)
                continue
            earlier = first[node_id]
            if earlier is None:
                used_by = "the plan's root id"
            else:
                at = plan.where(roles[earlier[0]], (earlier[0], earlier[1], "id"))
                used_by = f"{earlier[0][:-1]} at {at.file}:{at.line}"
            message = f"id {node_id!r} is already used by {used_by}; ids must be unique"
            where = plan.where(roles[kind], (kind, i, "id"))
            yield report("SP301", message, where, f"{kind}[{i}].id")


def _roles(plan: Plan) -> tuple[tuple[str, str], ...]:
    return (("units", "org"), ("reps", plan.reps_role))


def _items(plan: Plan, role: str, kind: str) -> object:
    doc = plan.documents.get(role)
    return doc.data.get(kind) if doc is not None and isinstance(doc.data, dict) else None


def _ids_unique(plan: Plan, lists: dict[str, object]) -> bool:
    """Every unit and rep was valid and all their ids (and the root's) differ: nothing to
    look for item by item."""
    counts = [len(v) if isinstance(v, list) else 0 for v in lists.values()]
    if counts != [len(plan.org.units), len(plan.org.reps)]:
        return False
    ids = {plan.settings.id, *plan.unit_index, *plan.rep_index}
    return len(ids) == 1 + sum(counts)


def check_parents(plan: Plan) -> Iterator[Diagnostic]:
    levels = [level.name for level in plan.settings.levels]
    above = {name: (levels[i - 1] if i else ROOT_LEVEL) for i, name in enumerate(levels)}
    level_of = {u.id: u.level for u in plan.org.units} | {plan.settings.id: ROOT_LEVEL}
    known = set(level_of) | set(plan.reps_by_id) | plan.broken_ids
    did_you_mean = Suggestions(level_of)  # a parent is a unit (or the root), never a rep
    cyclic = _cyclic_units(plan)
    for unit in plan.org.units:
        i = plan.unit_index[unit.id]
        if unit.level not in above or unit.level == REP:
            hint = (
                "; reps go under `reps:`"
                if unit.level == REP
                else f"; levels are {', '.join(levels[:-1])}"
            )
            yield report(
                "SP307",
                f"unknown unit level {unit.level!r}{hint}",
                plan.at_unit(unit.id, "level"),
                f"units[{i}].level",
            )
            continue
        if unit.id in cyclic:
            continue
        parent = unit.parent or plan.settings.id
        if parent not in known:
            message = f"unit {unit.id!r} has unknown parent {parent!r}{did_you_mean(parent)}"
            yield report("SP302", message, plan.at_unit(unit.id, "parent"), f"units[{i}].parent")
        elif parent in level_of and level_of[parent] != above[unit.level]:
            wanted = (
                "none (the root)" if above[unit.level] == ROOT_LEVEL else f"a {above[unit.level]}"
            )
            message = f"{unit.level} {unit.id!r} has parent {parent!r} ({level_of[parent]}); its parent must be {wanted}"
            yield report(
                "SP303",
                message,
                plan.at_unit(unit.id, "parent" if unit.parent else "id"),
                f"units[{i}].parent",
            )
    rep_parent_level = above.get(REP, ROOT_LEVEL)
    if _reps_under_known_parents(plan, level_of, rep_parent_level):
        return
    for rep in plan.org.reps:
        i = plan.rep_index[rep.id]
        parent = rep.parent or plan.settings.id
        if parent not in known:
            where = plan.at_rep(rep.id, "parent" if rep.parent else "id")
            message = f"rep {rep.id!r} has unknown parent {parent!r}{did_you_mean(parent)}"
            yield report("SP302", message, where, f"reps[{i}].parent")
        elif parent in plan.reps_by_id or (
            parent in level_of and level_of[parent] != rep_parent_level
        ):
            got = "a rep" if parent in plan.reps_by_id else f"a {level_of[parent]}"
            wanted = "the root" if rep_parent_level == ROOT_LEVEL else f"a {rep_parent_level}"
            message = f"rep {rep.id!r} hangs under {parent!r}, {got}; reps hang under {wanted}"
            if rep_parent_level == ROOT_LEVEL:
                message += ": remove `parent:`"
            else:
                ids = sorted(u for u, lv in level_of.items() if lv == rep_parent_level)
                listed = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
                message += (
                    f": write `parent:` with a {rep_parent_level} id ({listed})"
                    if ids
                    else f": add a unit of level {rep_parent_level} and name it in `parent:`"
                )
            where = plan.at_rep(rep.id, "parent" if rep.parent else "id")
            yield report("SP304", message, where, f"reps[{i}].parent")


def _reps_under_known_parents(plan: Plan, level_of: dict[str, str], level: str) -> bool:
    """Whether each rep hangs under a unit of `level` (the one above `rep`; the root's when
    reps hang under it) that is no rep: told from the reps' distinct parents (about a tenth
    of them), without a walk rep by rep."""
    parents = {rep.parent or plan.settings.id for rep in plan.org.reps}
    return parents.isdisjoint(plan.reps_by_id) and all(
        level_of.get(parent) == level for parent in parents
    )


def _cyclic_units(plan: Plan) -> set[str]:
    """The units on a cycle of parents: each unit is walked once (linear in the units)."""
    parent_of = {u.id: u.parent for u in plan.org.units if u.parent}
    cyclic: set[str] = set()
    done: set[str] = set()
    for start in parent_of:
        on_path: dict[str, int] = {}  # unit -> its place on the path walked from `start`
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent_of.get(node)
        if node is not None and node in on_path:
            cyclic.update(path[on_path[node] :])
        done.update(path)
    return cyclic


MAX_CHAIN = 8  # units of a cycle named in its message


def check_cycles(plan: Plan) -> Iterator[Diagnostic]:
    cyclic = _cyclic_units(plan)
    for unit_id in sorted(cyclic, key=plan.unit_index.__getitem__):
        chain, node = [unit_id], plan.units_by_id[unit_id].parent
        while node is not None and node != unit_id and len(chain) < MAX_CHAIN:
            chain.append(node)
            node = plan.units_by_id[node].parent
        if node != unit_id:  # a long cycle: its first units are enough to find it
            chain.append("…")
        message = f"unit {unit_id!r} is its own ancestor: {' -> '.join([*chain, unit_id])}; break the cycle"
        yield report(
            "SP305",
            message,
            plan.at_unit(unit_id, "parent"),
            f"units[{plan.unit_index[unit_id]}].parent",
        )


def check_ramps(plan: Plan) -> Iterator[Diagnostic]:
    capacity = plan.settings.capacity
    for name, values in capacity.ramp.items():
        for i, value in enumerate(values):
            if not Decimal(0) <= value <= Decimal(1):
                where = plan.where("plan", ("capacity", "ramp", name, i))
                yield report(
                    "SP409",
                    f"ramp {name!r} month {i + 1} is {value}; productivity must lie in [0, 1]",
                    where,
                    f"capacity.ramp.{name}[{i}]",
                )
            elif i and value < values[i - 1]:
                where = plan.where("plan", ("capacity", "ramp", name, i))
                message = f"ramp {name!r} drops from {values[i - 1]} to {value} in month {i + 1}; productivity must not fall during the ramp"
                yield report("SP410", message, where, f"capacity.ramp.{name}[{i}]")
    if capacity.default_ramp is not None and capacity.default_ramp not in capacity.ramp:
        where = plan.where("plan", ("capacity", "default_ramp"))
        yield report(
            "SP306",
            _unknown_ramp(capacity.default_ramp, capacity.ramp),
            where,
            "capacity.default_ramp",
        )
    for rep in plan.org.reps:
        if rep.ramp is not None and rep.ramp not in capacity.ramp:
            yield report(
                "SP306",
                _unknown_ramp(rep.ramp, capacity.ramp),
                plan.at_rep(rep.id, "ramp"),
                f"reps[{plan.rep_index[rep.id]}].ramp",
            )


def check_profiles(plan: Plan) -> Iterator[Diagnostic]:
    """A rep's `profile:` names one of capacity.profiles; a profile's ramp one of capacity.ramp."""
    capacity = plan.settings.capacity
    for name, profile in capacity.profiles.items():
        if profile.ramp is not None and profile.ramp not in capacity.ramp:
            where = plan.where("plan", ("capacity", "profiles", name, "ramp"))
            path = f"capacity.profiles.{name}.ramp"
            yield report("SP306", _unknown_ramp(profile.ramp, capacity.ramp), where, path)
    known = ", ".join(capacity.profiles) or "none (define them under capacity.profiles)"
    for rep in plan.org.reps:
        if rep.profile is not None and rep.profile not in capacity.profiles:
            hint = did_you_mean(rep.profile, capacity.profiles) or f"; known profiles: {known}"
            message = f"unknown capacity profile {rep.profile!r}{hint}"
            yield report(
                "SP315",
                message,
                plan.at_rep(rep.id, "profile"),
                f"reps[{plan.rep_index[rep.id]}].profile",
            )


def _unknown_ramp(name: str, known: Iterable[str]) -> str:
    names = ", ".join(known) or "none (define them under capacity.ramp)"
    return f"unknown ramp profile {name!r}; known profiles: {names}"


def check_seasonality(plan: Plan) -> Iterator[Diagnostic]:
    weights = plan.settings.seasonality
    if weights is None:
        return
    periods = len(plan.periods)
    if len(weights) != periods:
        kind = plan.settings.fiscal_year.periods
        message = f"seasonality has {counted(len(weights), 'weight')} but the {kind}ly calendar has {periods} periods; give one weight per period"
        yield report("SP401", message, plan.where("plan", ("seasonality",)), "seasonality")
    for i, weight in enumerate(weights):
        if weight < 0:
            message = (
                f"seasonality weight {weight} is negative; weights are relative and at least 0"
            )
            yield report(
                "SP402", message, plan.where("plan", ("seasonality", i)), f"seasonality[{i}]"
            )
    if weights and all(w == 0 for w in weights):
        yield report(
            "SP403",
            "seasonality weights are all zero; give at least one period a positive weight",
            plan.where("plan", ("seasonality",)),
            "seasonality",
        )


def check_over_assign(plan: Plan) -> Iterator[Diagnostic]:
    for i, level in enumerate(plan.settings.levels):
        if not Decimal(0) <= level.over_assign <= Decimal(1):
            message = f"over_assign of level {level.name!r} is {level.over_assign}; it must lie in [0, 1] (0.10 = +10%)"
            yield report(
                "SP404",
                message,
                plan.where("plan", ("levels", i, "over_assign")),
                f"levels[{i}].over_assign",
            )


def _meant_parents(plan: Plan) -> set[str]:
    """The units that reps with an unknown parent probably meant (SP302's "did you mean"):
    such a unit lacks children only because of the typo, and its missing metrics with them."""
    known = {u.id for u in plan.org.units} | {plan.settings.id}
    unknown = {r.parent for r in plan.org.reps if r.parent is not None and r.parent not in known}
    did_you_mean = Suggestions(known)
    return {meant for parent in unknown if (meant := did_you_mean.closest(parent))}


def check_split_rules(plan: Plan) -> Iterator[Diagnostic]:
    resolved = plan.split_metrics  # every node at a level whose split reads a metric
    tree = plan.tree
    meant: set[str] | None = None  # found when a node lacks a metric: a walk over every rep
    for i, level in enumerate(plan.settings.levels):
        rule = level.split
        where = plan.where("plan", ("levels", i, "split"))
        if isinstance(rule, dict) and sum(rule.values(), Decimal(0)) == 0:
            yield report(
                "SP418",
                f"blend of level {level.name!r} has no positive weight",
                where,
                f"levels[{i}].split",
            )
            continue
        metrics = split_metric_names(rule)
        nodes = tree.at_level(level.name) if metrics else []
        for metric in metrics:
            if nodes and not any(metric in resolved[n.id] for n in nodes):
                known = sorted({m for values in plan.metrics.values() for m in values})
                message = f"split of level {level.name!r} reads metric {metric!r}, which no {level.name} has; known metrics: {', '.join(known) or 'none'}"
                yield report("SP418", message, where, f"levels[{i}].split")
                continue
            for node in nodes:
                # A negative resolved metric always comes from a negative given value,
                # which check_negative_metrics reports where it is written.
                if metric in resolved[node.id]:
                    continue
                if meant is None:
                    meant = _meant_parents(plan)
                if node.id not in meant:
                    message = f"{level.name} {node.id!r} has no {metric!r}, which the {level.name} split needs; give it in metrics.csv, org.yaml or its territories"
                    yield report("SP405", message, plan.at_node(node.id, "id"), node.id)


def check_money(plan: Plan) -> Iterator[Diagnostic]:
    settings = plan.settings
    unit = minor_unit(settings.currency)
    if unit is None:
        yield report(
            "SP407",
            f"unknown currency {settings.currency!r}; use an ISO 4217 code such as USD, EUR, JPY",
            plan.where("plan", ("currency",)),
            "currency",
        )
    elif settings.rounding is not None and (
        settings.rounding <= 0 or settings.rounding % unit != 0
    ):
        message = f"rounding {settings.rounding} is not a positive multiple of {unit} (the minor unit of {settings.currency})"
        yield report("SP408", message, plan.where("plan", ("rounding",)), "rounding")
    if settings.target <= 0:
        yield report(
            "SP412",
            f"target must be positive, got {settings.target}",
            plan.where("plan", ("target",)),
            "target",
        )
    if unit is not None:
        yield from _finer_than_currency(plan, unit)
    yield from check_ratios(plan)


def _finer_than_currency(plan: Plan, unit: Decimal) -> Iterator[Diagnostic]:
    """The amounts of money given in the plan (target, full quotas, OTEs) in whole minor units
    of the currency: 12.345 USD would be shown, and the target allocated, rounded without a
    word. (Pins are multiples of the rounding unit, SP419; submissions, check_submissions.)"""
    currency = plan.settings.currency
    capacity = plan.settings.capacity
    given: list[tuple[str, Decimal | None, Loc]] = [
        ("target", plan.settings.target, ("target",)),
        ("full_quota", capacity.full_quota, ("capacity", "full_quota")),
    ]
    for name, profile in capacity.profiles.items():
        loc: Loc = ("capacity", "profiles", name, "full_quota")
        given.append((f"full_quota of profile {name!r}", profile.full_quota, loc))
    for what, amount, at in given:
        if amount is not None and finer_than(amount, unit):
            message = f"{what} {finer_than_problem(amount, currency, unit)}"
            yield report("SP412", message, plan.where("plan", at), ".".join(map(str, at)))
    # the distinct amounts of the OTEs, gathered in C (the reps of a table share their OTEs)
    otes = [ote for ote in map(attrgetter("ote"), plan.org.reps) if ote is not None]
    given_otes = set(map(attrgetter("base"), otes))
    given_otes.update(map(attrgetter("variable"), otes))
    fine = {amount for amount in given_otes if finer_than(amount, unit)}  # usually none
    for rep in plan.org.reps if fine else ():
        ote = rep.ote
        for part in ("base", "variable") if ote is not None else ():
            amount = getattr(ote, part)
            if amount in fine:
                message = f"{part} OTE of {rep.id!r} {finer_than_problem(amount, currency, unit)}"
                where = plan.at_rep(rep.id, "ote", part)
                yield report("SP412", message, where, f"reps[{plan.rep_index[rep.id]}].ote.{part}")


def _ratio(
    value: Decimal, name: str, bounds: str, ok: bool, where: Where, path: str
) -> Iterator[Diagnostic]:
    if ok:
        return
    hint = ""
    if value > 1:  # most likely a percentage: 80 for 0.8
        hint = f"; a ratio: {value / 100} means {value.normalize():f}%"
    yield report("SP412", f"{name} {value} must lie in {bounds}{hint}", where, path)


def check_ratios(plan: Plan) -> Iterator[Diagnostic]:
    """attainment in (0, 2], attrition and max_shift in [0, 1) (docs/design.md, "Capacity")."""
    settings = plan.settings
    capacity = settings.capacity
    yield from _ratio(
        capacity.attainment,
        "attainment",
        "(0, 2]",
        0 < capacity.attainment <= 2,
        plan.where("plan", ("capacity", "attainment")),
        "capacity.attainment",
    )
    yield from _ratio(
        capacity.attrition,
        "attrition",
        "[0, 1) (0.1 = 10% a year)",
        capacity.attrition < 1,
        plan.where("plan", ("capacity", "attrition")),
        "capacity.attrition",
    )
    shift = settings.reconcile.max_shift
    yield from _ratio(
        shift,
        "max_shift",
        "[0, 1) (0.15 = ±15%)",
        shift < 1,
        plan.where("plan", ("reconcile", "max_shift")),
        "reconcile.max_shift",
    )
    for name, profile in capacity.profiles.items():
        if profile.attainment is not None:
            yield from _ratio(
                profile.attainment,
                f"attainment of profile {name!r}",
                "(0, 2]",
                0 < profile.attainment <= 2,
                plan.where("plan", ("capacity", "profiles", name, "attainment")),
                f"capacity.profiles.{name}.attainment",
            )


def check_rep_dates(plan: Plan) -> Iterator[Diagnostic]:
    for rep in plan.org.reps:
        if rep.start is not None and rep.end is not None and rep.end < rep.start:
            message = f"rep {rep.id!r} ends on {rep.end}, before starting on {rep.start}"
            yield report(
                "SP501", message, plan.at_rep(rep.id, "end"), f"reps[{plan.rep_index[rep.id]}].end"
            )


CHECKS: tuple[Check, ...] = (
    check_levels,
    check_owners,
    check_duplicate_ids,
    check_cycles,
    check_parents,
    check_ramps,
    check_profiles,
    check_seasonality,
    check_over_assign,
    check_money,
    check_rep_dates,
    check_split_rules,
    check_negative_metrics,
    check_metric_rows,
    check_territories,
    check_submissions,
    check_outside_employment,
    check_adjustments,
    check_allocation,
    check_budget,
    check_quotas_file,
    check_accounts,
    check_books,
)


# The checks that read the metrics, through the split weights and the allocation they
# decide: skipped when metrics.csv has a cell that is no number (SP411, SP412), since they
# would only report the metric it leaves out (`Plan.partial`).
READS_METRICS: frozenset[Check] = frozenset(
    {check_split_rules, check_allocation, check_quotas_file}
)

# What a file that could not be read, or was read with values left out, takes with it: the
# checks that read it, directly or through the metrics and the allocation it decides. They
# would only report its missing content (a rep "owns no territory" while territories.yaml
# has a typo), so they are skipped, and every other check still runs. quotas.yaml is
# compared with an allocation computed from every input, so it goes with any of them.
READS: Mapping[str, frozenset[Check]] = {
    "metrics": READS_METRICS,
    "territories": READS_METRICS
    | {check_metric_rows, check_territories, check_accounts, check_books},
    "submissions": frozenset({check_submissions, check_outside_employment, check_quotas_file}),
    "accounts": frozenset({check_accounts, check_books, check_quotas_file}),
    "distances": frozenset({check_accounts, check_books, check_quotas_file}),
    "adjustments": frozenset({check_adjustments, check_allocation, check_quotas_file}),
    "quotas": frozenset({check_quotas_file}),
}


def checks_without(checks: Iterable[Check], missing: Iterable[str]) -> list[Check]:
    """The checks that can run while the files of the roles `missing` are not (all) read:
    none without salesplan.yaml or the org (every check reads the tree), or a file this
    module does not know."""
    skipped: set[Check] = set()
    for role in missing:
        if role not in READS:
            return []
        skipped |= READS[role]
    return [c for c in checks if c not in skipped]


# The checks that never block a command: their findings are warnings, or a stale or
# hand-edited quotas.yaml, an output the commands compute again anyway. A command that only
# computes shows no warning, so it skips them (`load_plan(warnings=False)`).
WARNING_ONLY: frozenset[Check] = frozenset(
    {check_outside_employment, check_budget, check_quotas_file}
)


def run_checks(plan: Plan, checks: Iterable[Check] = CHECKS) -> list[Diagnostic]:
    """The diagnostics of every check, in registry order. Checks only read the plan, so they
    can run again on the same plan."""
    found: list[Diagnostic] = []
    for check in checks:
        found.extend(check(plan))
    return found
