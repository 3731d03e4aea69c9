"""What if: the plan and its scenarios side by side, and sweeps of one setting
(`salesplan scenarios`, docs/design.md "Scenarios").

Each column is an `Outcome`: the headline figures of one plan — the base, a scenario, or the
base (or a scenario) with settings varied — computed by the same engines the commands run,
so a column equals what `capacity`, `allocate` and `rollup` print for that plan.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from salesplan.diagnostics import Diagnostic
from salesplan.loading import Loaded, Shared, load_plan
from salesplan.model import PlanSettings
from salesplan.plan import Plan
from salesplan.scenarios import read_scenario, scenario_names, unread_scenario_files
from salesplan.schema_errors import dotted, friendly
from salesplan.words import counted, noun

MAX_ROWS = 1000  # sweep points (a grid multiplies)
ZERO = Decimal(0)


class ScenarioError(Exception):
    """A plan of the comparison has errors: its label and every diagnostic found."""

    def __init__(self, label: str, diagnostics: list[Diagnostic], plans: int = 1) -> None:
        self.label = label
        self.diagnostics = diagnostics
        errors = sum(d.is_error for d in diagnostics)
        have = "the plan has" if plans == 1 else f"the {plans} plans have"
        them = noun(errors, "it", "them")
        super().__init__(f"{label}: {have} {counted(errors, 'error')}; fix {them} first")


@dataclass(frozen=True)
class Outcome:
    """The headline figures of one plan (a column of the comparison)."""

    name: str  # "base", a scenario's name, or the varied settings
    description: str
    varied: tuple[tuple[str, Decimal], ...]
    target: Decimal
    total_quota: Decimal | None  # the sum of the reps' quotas (None: a failed row)
    over_assignment: Decimal | None  # total quota / target - 1
    expected_bookings: Decimal | None
    capacity_coverage: Decimal | None  # expected bookings / target
    hires_needed: int | None
    cost_of_sales: Decimal | None
    forecast_coverage: Decimal | None  # submitted forecast / the root's quota
    # a sweep's row whose plan fails the checks: its errors, and no figure but the target
    problems: tuple[Diagnostic, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.problems)


METRICS = (
    "target",
    "total_quota",
    "over_assignment",
    "expected_bookings",
    "capacity_coverage",
    "hires_needed",
    "cost_of_sales",
    "forecast_coverage",
)
MONEY = frozenset({"target", "total_quota", "expected_bookings"})
# Settings of salesplan.yaml that are amounts (by their last key): the others are ratios,
# weights and counts.
AMOUNT_SETTINGS = frozenset({"target", "rounding", "full_quota"})


def is_amount(key: str) -> bool:
    """Whether the setting at dotted path `key` is an amount of money (`target`,
    `capacity.profiles.smb.full_quota`)."""
    return key.rsplit(".", 1)[-1] in AMOUNT_SETTINGS


def delta(outcome: Outcome, base: Outcome, metric: str) -> Decimal | int | None:
    """The change of one figure against the base (None when either side has none)."""
    new, old = getattr(outcome, metric), getattr(base, metric)
    if new is None or old is None:
        return None
    result: Decimal | int = new - old
    return result


@dataclass(frozen=True)
class Comparison:
    currency: str
    exponent: int  # the currency's decimals
    base: Outcome
    outcomes: tuple[Outcome, ...]  # the other columns, in the order asked
    swept: tuple[str, ...] = ()  # the settings varied, if a sweep
    settings: tuple[Decimal | None, ...] = ()  # their values in the base (None: not set)


def outcome(
    plan: Plan, name: str, description: str = "", varied: tuple[tuple[str, Decimal], ...] = ()
) -> Outcome:
    """The headline figures of a loaded plan, from the engines the commands run."""
    from salesplan.capacity import capacity_report
    from salesplan.rollup import rollup

    allocation = plan.allocation
    capacity = capacity_report(plan, allocation, None, "computed")
    totals = allocation.totals()
    tree = plan.tree
    quota = sum((totals.get(r.id, ZERO) for r in plan.org.reps if r.id in tree), ZERO)
    target = plan.settings.target
    root = rollup(plan, allocation).root
    return Outcome(
        name,
        description,
        varied,
        target,
        quota,
        (quota / target - 1) if target else None,
        capacity.total_capacity,
        capacity.coverage,
        capacity.hires_needed,
        capacity.cost_of_sales,
        root.coverage,
    )


def _loaded(path: Path | str | None, scenario: str | None, shared: Shared | None = None) -> Plan:
    loaded = load_plan(path, scenario=scenario, shared=shared, warnings=False)
    if loaded.plan is None or loaded.blocking:
        raise ScenarioError(scenario or "base", loaded.diagnostics)
    return loaded.plan


def compare(path: Path | str | None, names: list[str] | None = None) -> Comparison:
    """The base and scenarios side by side (every scenario of the plan when `names` is
    None). Raises ScenarioError when the base has errors, or else with the errors of every
    scenario that has some (each told apart as `check` tells them, `in_scenario`)."""
    shared = Shared()  # each file is parsed once for all the columns
    base_plan = _loaded(path, None, shared)
    base = outcome(base_plan, "base", "the plan as it is")
    chosen = scenario_names(base_plan.root) if names is None else names
    columns = []
    broken: list[str] = []
    problems: list[Diagnostic] = []
    for name in chosen:
        try:
            plan = _loaded(path, name, shared)
        except ScenarioError as err:
            broken.append(name)
            problems.extend(in_scenario(d, name) for d in err.diagnostics)
            continue
        columns.append(outcome(plan, name, _description(plan)))
    if len(broken) == 1:
        raise ScenarioError(broken[0], problems)
    if broken:
        raise ScenarioError(f"scenarios {', '.join(broken)}", problems, plans=len(broken))
    return Comparison(
        base_plan.settings.currency, base_plan.currency_exponent, base, tuple(columns)
    )


def _description(plan: Plan) -> str:
    """The description of the scenario the plan was loaded with (read again: it is small)."""
    if plan.scenario is None:
        return ""
    scenario = read_scenario(plan.root, plan.scenario, [])
    text = scenario.description if scenario is not None else ""
    return text if isinstance(text, str) else ""


# ---- sweeps


@dataclass(frozen=True)
class Vary:
    """`--vary KEY=FROM:TO:STEP`: a setting of salesplan.yaml and the values it takes."""

    key: str
    values: tuple[Decimal, ...]


def parse_vary(spec: str) -> Vary:
    """`capacity.attainment=0.7:0.9:0.05` -> the values 0.70, 0.75, ... 0.90 (inclusive);
    ValueError saying what is wrong."""
    key, sep, bounds = spec.partition("=")
    parts = bounds.split(":")
    if not sep or not key.strip() or len(parts) != 3:
        raise ValueError(
            f"--vary {spec!r}: write KEY=FROM:TO:STEP, e.g. capacity.attainment=0.7:0.9:0.05"
        )
    try:
        start, stop, step = (Decimal(p.strip().replace("_", "")) for p in parts)
    except InvalidOperation:
        raise ValueError(f"--vary {spec!r}: FROM, TO and STEP must be numbers") from None
    if not all(v.is_finite() for v in (start, stop, step)) or step <= 0 or stop < start:
        raise ValueError(f"--vary {spec!r}: STEP must be above 0 and TO at least FROM")
    count = int((stop - start) / step) + 1
    if count > MAX_ROWS:
        raise ValueError(f"--vary {spec!r}: {count:,} values; at most {MAX_ROWS:,}")
    return Vary(key.strip(), tuple(start + step * i for i in range(count)))


def with_settings(plan: Plan, values: dict[str, Decimal]) -> Plan:
    """The plan with settings of salesplan.yaml set (dotted paths; a list index is a number),
    validated like the file. ValueError names a setting that is not a number of the plan."""
    data = plan.settings.model_dump()
    for key, value in values.items():
        _set(data, key, value)
    try:
        settings = PlanSettings.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where} {friendly(first)}") from None
    # quotas.yaml is the plan's output, not compared under a what-if (as under a scenario)
    return replace(plan, settings=settings, diagnostics=[], quotas_raw=None)


def _set(data: Any, key: str, value: Decimal) -> None:
    node, parts = data, key.split(".")
    for part in parts[:-1]:
        node = _child(node, part, key)
    last = parts[-1]
    if isinstance(node, dict) and last in node and (node[last] is None or _number(node[last])):
        node[last] = value
    elif (
        isinstance(node, list)
        and last.isdigit()
        and int(last) < len(node)
        and _number(node[int(last)])
    ):
        node[int(last)] = value
    else:
        raise ValueError(f"--vary: {key!r} is not a numeric setting of salesplan.yaml")


def _child(node: Any, part: str, key: str) -> Any:
    if isinstance(node, dict) and part in node and isinstance(node[part], (dict, list)):
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise ValueError(f"--vary: {key!r} is not a setting of salesplan.yaml (no {part!r})")


def setting(plan: Plan, key: str) -> Decimal | None:
    """The value of the numeric setting at dotted path `key` (None when it is not set)."""
    node, parts = plan.settings.model_dump(), key.split(".")
    for part in parts[:-1]:
        node = _child(node, part, key)
    last = parts[-1]
    value = node[int(last)] if isinstance(node, list) else node.get(last)
    return value if _number(value) else None


def _number(value: Any) -> bool:
    return isinstance(value, Decimal)


def sweep(path: Path | str | None, varies: list[Vary], scenario: str | None = None) -> Comparison:
    """One row per value of the varied settings (a grid for two), on the base or on a
    scenario, each against that plan as it is. A row whose plan fails the checks is a
    failed row (`Outcome.problems`), and the others are computed all the same. Raises
    ScenarioError when the plan itself has errors, ValueError (before computing anything)
    for a value the setting does not allow."""
    from salesplan.checks import run_checks

    plan = _loaded(path, scenario)
    label = scenario or "base"
    grid = list(itertools.product(*(v.values for v in varies)))
    if len(grid) > MAX_ROWS:
        raise ValueError(f"--vary: {len(grid):,} combinations; at most {MAX_ROWS:,}")
    for vary in varies:
        refuse_values(plan, vary)
    base = outcome(plan, label, _description(plan) if scenario else "the plan as it is")
    keys = [v.key for v in varies]
    rows = []
    for point in grid:
        varied = tuple(zip(keys, point))
        changed = with_settings(plan, dict(varied))
        errors = [d for d in run_checks(changed) if d.is_error]
        name = ", ".join(f"{k}={v}" for k, v in varied)
        if errors:
            problems = tuple(_at_vary(d, plan, keys) for d in errors)
            rows.append(failed(changed, name, varied, problems))
        else:
            rows.append(outcome(changed, name, "", varied))
    as_is = tuple(setting(plan, k) for k in keys)
    return Comparison(
        plan.settings.currency, plan.currency_exponent, base, tuple(rows), tuple(keys), as_is
    )


def failed(
    plan: Plan, name: str, varied: tuple[tuple[str, Decimal], ...], problems: tuple[Diagnostic, ...]
) -> Outcome:
    """A sweep's row whose plan fails the checks: its errors, and its target alone."""
    nothing = (None,) * 7
    return Outcome(name, "", varied, plan.settings.target, *nothing, problems=problems)


# The checks of salesplan.yaml's values on their own (a ratio in its range, a ramp value in
# [0, 1], a positive target, a rounding the currency allows...): what a varied value must pass
# before a sweep computes anything.
def _setting_checks() -> tuple[Callable[[Plan], Iterable[Diagnostic]], ...]:
    from salesplan.checks import check_money, check_over_assign, check_ramps, check_seasonality

    return (check_money, check_over_assign, check_ramps, check_seasonality)


SHOWN_VALUES = 5  # a refused sweep names this many of its values, then counts the rest


def refuse_values(plan: Plan, vary: Vary) -> None:
    """ValueError naming `--vary KEY` and why, in the words `check` uses, when some of its
    values are not what the setting allows (each checked alone, the rest of the plan as it
    is): a usage error, given before the sweep computes anything."""
    path = dotted(_loc(plan, vary.key))
    refused: list[Decimal] = []
    reasons: dict[str, str] = {}  # the first reason of each kind (a code, or the rule broken)
    for value in dict.fromkeys(vary.values):
        try:
            changed = with_settings(plan, {vary.key: value})
        except ValueError as err:
            refused.append(value)
            reasons.setdefault(str(err).replace(str(value), ""), str(err))
            continue
        found = [
            d
            for check in _setting_checks()
            for d in check(changed)
            if d.is_error and d.path == path
        ]
        if found:
            refused.append(value)
            reasons.setdefault(found[0].code, found[0].message)
    if not refused:
        return
    shown = [str(v) for v in refused[:SHOWN_VALUES]]
    if len(refused) > SHOWN_VALUES:
        shown.append(f"{len(refused) - SHOWN_VALUES:,} more")
    values = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    verb = "is" if len(refused) == 1 else "are"
    raise ValueError(
        f"--vary {vary.key}: {values} {verb} outside what the setting allows: "
        + "; ".join(reasons.values())
    )


VARY_FILE = "--vary"  # where a problem of a varied value is: not the file's line of the old one


def _at_vary(d: Diagnostic, plan: Plan, keys: list[str]) -> Diagnostic:
    """`d` of a sweep's row: a problem of a varied value (or of the list or mapping that holds
    it) is at `--vary`, not at the line of salesplan.yaml that holds the value as it is."""
    if d.file != plan.where("plan", ()).file:
        return d
    for key in keys:
        path = dotted(_loc(plan, key))
        if path == d.path or path.startswith((f"{d.path}.", f"{d.path}[")):
            return replace(d, file=VARY_FILE, line=1, column=1)
    return d


def _loc(plan: Plan, key: str) -> tuple[str | int, ...]:
    """The dotted `key` of a setting as a path into salesplan.yaml's data (a list's index a
    number), as diagnostics give it."""
    node: Any = plan.settings.model_dump()
    loc: list[str | int] = []
    for part in key.split("."):
        step: str | int = int(part) if isinstance(node, list) and part.isdigit() else part
        loc.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(loc)


# ---- check: every scenario of the plan


def scenario_diagnostics(
    path: Path | str | None,
    base: Loaded,
    load: Callable[..., Loaded] = load_plan,
    shared: Shared | None = None,
) -> list[Diagnostic]:
    """What `check` adds for the plan's scenarios: each one's problems that the base does
    not have (those outside the scenario file say which scenario they come from). `shared`
    holds the files the base's check parsed: each is parsed once. While a plan file could
    not be read, no scenario is loaded (each would repeat the plan's problem); the files
    in scenarios/ that are no scenario (SP803) are reported all the same."""
    if base.plan is None:
        return []
    found: list[Diagnostic] = unread_scenario_files(base.plan.root)  # whatever the plan holds
    if base.plan.unparsed:
        return found
    known = set(base.diagnostics)
    shared = shared if shared is not None else Shared()
    for name in scenario_names(base.plan.root):
        diagnostics = load(path, scenario=name, shared=shared).diagnostics
        found.extend(in_scenario(d, name) for d in _new(diagnostics, known))
    return found


def in_scenario(d: Diagnostic, name: str) -> Diagnostic:
    """`d` of the plan as scenario `name` changes it: outside the scenario's own file it
    says which scenario it comes from."""
    if d.file.replace("\\", "/").endswith(f"scenarios/{name}.yaml"):
        return d
    return replace(d, message=f"{d.message} (in scenario {name})")


def _new(diagnostics: list[Diagnostic], known: set[Diagnostic]) -> Iterator[Diagnostic]:
    return (d for d in diagnostics if d not in known)
