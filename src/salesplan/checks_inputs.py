"""Checks of the optional inputs: territories, metrics.csv and submissions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from itertools import chain
from operator import attrgetter

from salesplan.diagnostics import Diagnostic, Suggestions, report
from salesplan.fiscal import as_date
from salesplan.model import Rep, Territory, Unit
from salesplan.money import finer_than, finer_than_problem, minor_unit
from salesplan.plan import Plan
from salesplan.submitted import AMOUNT, PERIOD, REP, Batch

ZERO = Decimal(0)


def departed(plan: Plan, rep_id: str) -> bool:
    """A rep who has left by the start of the fiscal year."""
    rep = plan.reps_by_id.get(rep_id)
    return rep is not None and rep.end is not None and rep.end <= plan.settings.fiscal_year.start


def check_territories(plan: Plan) -> Iterator[Diagnostic]:
    if plan.territories is None:
        return
    doc = plan.documents["territories"]
    items = doc.data.get("territories") if isinstance(doc.data, dict) else None
    first_at: dict[str, int] = {}
    every = isinstance(items, list) and len(plan.territories) == len(items)
    unique = every and len(plan.territory_index) == len(plan.territories)
    for i, item in enumerate(items if isinstance(items, list) and not unique else ()):
        territory_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(territory_id, str):
            continue
        if territory_id in first_at:
            where = plan.where("territories", ("territories", i, "id"))
            line = plan.where("territories", ("territories", first_at[territory_id], "id")).line
            message = f"territory id {territory_id!r} is already used on line {line}; give each territory its own id"
            yield report("SP310", message, where, f"territories[{i}].id")
        else:
            first_at[territory_id] = i
    account_home: dict[str, str] = {}
    accounts = [a for territory in plan.territories for a in territory.accounts]
    listed_once = len(set(accounts)) == len(accounts)  # as a rule: no account to look for
    did_you_mean = Suggestions(plan.reps_by_id)
    found = _owners_still_there(plan)
    owners = found if found is not None else set()
    for territory in plan.territories if found is None or not listed_once else ():
        if found is None:  # some territory is not owned by a rep still there: which
            yield from _claim(plan, territory, owners, did_you_mean)
        for j, account in enumerate(() if listed_once else territory.accounts):
            home = account_home.setdefault(account, territory.id)
            if home != territory.id:
                i = plan.territory_index[territory.id]
                message = f"account {account!r} is already in territory {home!r}; list each account in one territory"
                yield report(
                    "SP311",
                    message,
                    plan.at_territory(territory.id, "accounts", j),
                    f"territories[{i}].accounts[{j}]",
                )
    if isinstance(items, list) and not every:
        # the owner of a territory whose record is invalid (reported there) owns one
        owners.update(
            item["owner"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("owner"), str)
        )
    for rep in plan.org.reps:
        if rep.id not in owners and rep.status == "active" and not departed(plan, rep.id):
            message = f"rep {rep.id!r} owns no territory; make them the owner of one"
            yield report(
                "SP503", message, plan.at_rep(rep.id, "id"), f"reps[{plan.rep_index[rep.id]}]"
            )


def _claim(
    plan: Plan, territory: Territory, owners: set[str], did_you_mean: Suggestions
) -> Iterator[Diagnostic]:
    """Add the owner of `territory` to `owners` when a rep still there; else report why
    not, and add the rep a mistyped owner probably meant."""
    owner = territory.owner
    rep = plan.reps_by_id.get(owner) if owner is not None else None
    if rep is not None and (rep.end is None or rep.end > plan.settings.fiscal_year.start):
        owners.add(rep.id)  # the common case: owned by a rep still there
        return
    yield from _owner_problem(plan, territory, did_you_mean)
    if (
        owner is not None
        and rep is None
        and owner not in plan.broken_ids  # no hint is shown for an invalid rep
        and (meant := did_you_mean.closest(owner))
    ):
        owners.add(meant)  # `benn` for `ben`: fixing the typo gives ben one


def _owners_still_there(plan: Plan) -> set[str] | None:
    """The owners of the territories when each is a rep still there at the year's start
    (the common case), else None: told by set operations over the distinct owners, without
    looking each territory's owner up one by one."""
    assert plan.territories is not None
    owners: set[str | None] = {t.owner for t in plan.territories}
    reps, year_start = plan.reps_by_id, plan.settings.fiscal_year.start
    if None in owners or not owners.issubset(reps.keys()):
        return None
    gone = [i for i, rep in reps.items() if rep.end is not None and rep.end <= year_start]
    return None if not owners.isdisjoint(gone) else owners  # type: ignore[return-value]


def _owner_problem(
    plan: Plan, territory: Territory, did_you_mean: Suggestions
) -> Iterator[Diagnostic]:
    """What is wrong with the owner of a territory that no rep still there owns."""
    path = f"territories[{plan.territory_index[territory.id]}]"
    if territory.owner is None:
        message = (
            f"territory {territory.id!r} has no owner: nobody covers it; set `owner:` to a rep id"
        )
        yield report("SP502", message, plan.at_territory(territory.id, "id"), path)
    elif territory.owner not in plan.reps_by_id:
        if territory.owner not in plan.broken_ids:
            hint = did_you_mean(territory.owner)
            message = f"territory {territory.id!r} is owned by {territory.owner!r}, who is not a rep in the org{hint}"
            where = plan.at_territory(territory.id, "owner")
            yield report("SP308", message, where, f"{path}.owner")
    else:
        end = plan.reps_by_id[territory.owner].end
        yield report(
            "SP309",
            f"territory {territory.id!r} is owned by {territory.owner!r}, who left on {end}; reassign it",
            plan.at_territory(territory.id, "owner"),
            f"{path}.owner",
        )


def check_negative_metrics(plan: Plan) -> Iterator[Diagnostic]:
    nodes: list[Unit | Rep] = [*plan.org.units, *plan.org.reps]
    territories = plan.territories or ()
    for node in nodes if _any_negative(map(attrgetter("metrics"), nodes)) else ():
        for name, value in node.metrics.items():
            if value < 0:
                yield report(
                    "SP406",
                    f"metric {name!r} of {node.id!r} is negative ({value}); metrics are weights, 0 or more",
                    plan.at_node(node.id, "metrics", name),
                    node.id,
                )
    for territory in territories if _any_negative(map(attrgetter("metrics"), territories)) else ():
        for name, value in territory.metrics.items():
            if value < 0:
                yield report(
                    "SP406",
                    f"metric {name!r} of territory {territory.id!r} is negative ({value}); metrics are weights, 0 or more",
                    plan.at_territory(territory.id, "metrics", name),
                    territory.id,
                )
    rows = plan.metric_rows
    for row in rows if _any_negative(map(attrgetter("values"), rows)) else ():
        for name, value in row.values.items():
            if value < 0:
                yield report(
                    "SP406",
                    f"metric {name!r} of {row.id!r} is negative ({value}); metrics are weights, 0 or more",
                    row.where,
                    row.id,
                )


def _any_negative(metrics: Iterable[dict[str, Decimal]]) -> bool:
    """Whether a value of these metrics is below 0: the smallest of them all, found in C
    (metrics are almost never negative, so the item by item walk that names them is
    seldom needed)."""
    return min(chain.from_iterable(map(dict.values, metrics)), default=ZERO) < ZERO


def check_metric_rows(plan: Plan) -> Iterator[Diagnostic]:
    if _rows_known_once(plan):
        return
    known = {plan.settings.id, *plan.units_by_id, *plan.reps_by_id, *plan.broken_ids}
    known.update(t.id for t in plan.territories or ())
    first: dict[str, int] = {}
    did_you_mean = Suggestions(known)
    for row in plan.metric_rows:
        if row.id in first:
            message = f"metrics for {row.id!r} are already given on line {first[row.id]}; merge the two rows"
            yield report("SP313", message, row.where, row.id)
            continue
        first[row.id] = row.line
        if row.id not in known:
            message = f"metrics for unknown id {row.id!r} (not a unit, rep or territory){did_you_mean(row.id)}"
            yield report("SP312", message, row.where, row.id)


def _rows_known_once(plan: Plan) -> bool:
    """Whether every row of metrics.csv names a distinct id of the plan (the common case):
    told by set operations, which look each id up in the plan's own indexes, without
    building a set of every id of the plan."""
    ids = [row.id for row in plan.metric_rows]
    left = set(ids)
    if len(left) != len(ids):
        return False
    left = left.difference(plan.reps_by_id).difference(plan.units_by_id)
    if left:
        left = left.difference({t.id for t in plan.territories or ()}, plan.broken_ids)
        left.discard(plan.settings.id)
    return not left


def check_submissions(plan: Plan) -> Iterator[Diagnostic]:
    periods = set(plan.periods)
    reps = plan.reps_by_id
    zero = Decimal(0)
    did_you_mean = Suggestions(reps)
    batches = plan.submissions.batches
    # A rep and period in two files is likely a double entry; only reps found in more than
    # one file can have one, so only their rows are tracked.
    files_of: dict[str, int] = {}
    for batch in batches if len(batches) > 1 else ():
        for rep in set(batch.reps):
            files_of[rep] = files_of.get(rep, 0) + 1
    shared = {rep for rep, count in files_of.items() if count > 1}
    seen: dict[tuple[str, str], Batch] = {}  # (rep, period) -> the last file it came from
    currency = plan.settings.currency
    unit = minor_unit(currency)  # None for an unknown currency (SP407)
    for batch in batches:
        # the distinct amounts finer than the currency (12.345 USD): usually none
        amounts = set(batch.amounts)
        fine = set() if unit is None else {a for a in amounts if finer_than(a, unit)}
        if not fine and _common_rows(batch, amounts, reps, periods, shared):
            continue  # every row is the common one below: none to look at
        last, known, tracked = None, False, False
        for row, (rep, period, amount) in enumerate(zip(batch.reps, batch.periods, batch.amounts)):
            if rep is not last:  # a rep's rows usually follow each other
                last, known, tracked = rep, rep in reps, rep in shared
            if (
                known
                and period in periods
                and amount >= zero
                and not tracked
                and amount not in fine
            ):
                continue  # the common row, kept short
            if not known:
                if rep not in plan.broken_ids:
                    yield report(
                        "SP601", _unknown_rep(rep, did_you_mean), batch.where(row, REP), rep
                    )
                continue
            if period not in periods:
                message = f"unknown period {period!r}{_outside(plan, period)}; {_periods(plan)}"
                yield report("SP602", message, batch.where(row, PERIOD), rep)
                continue
            rejected = amount < zero
            if rejected:
                message = f"{rep} {period} amount {amount} is negative; submit 0 or more"
                yield report("SP603", message, batch.where(row, AMOUNT), rep)
            if amount in fine and not rejected:  # never rounded: changed only by hand
                assert unit is not None
                message = f"{rep} {period} amount {finer_than_problem(amount, currency, unit)}"
                yield report("SP412", message, batch.where(row, AMOUNT), rep)
                rejected = True
            if rejected or not tracked:
                continue  # a rejected row counts nowhere: not as a double entry either
            earlier = seen.setdefault((rep, period), batch)
            if earlier is not batch:
                seen[rep, period] = batch
                message = (
                    f"{rep} {period} is also submitted in {earlier.source.file}; the amounts "
                    "add up; remove one if it is a double entry"
                )
                yield report("SP606", message, batch.where(row, REP), rep)


def _common_rows(
    batch: Batch, amounts: set[Decimal], reps: dict[str, Rep], periods: set[str], shared: set[str]
) -> bool:
    """Whether every row of the batch is by a known rep found in no other file, for a period
    of the calendar, with an amount of 0 or more: told from the distinct values (a batch's
    reps, periods and amounts repeat), without a pass over its rows."""
    names = set(batch.reps)
    return (
        all(a >= 0 for a in amounts)
        and periods.issuperset(batch.periods)
        and names.isdisjoint(shared)
        and reps.keys() >= names
    )


# what the rep cell of a sheet's totals row says
TOTALS = frozenset({"total", "totals", "grand total", "subtotal", "sum"})


def _unknown_rep(rep: str, did_you_mean: Suggestions) -> str:
    """SP601's message: a row without a rep, and a sheet's totals row, are named so."""
    if not rep:
        return "row has no rep; write the rep's id or delete the row"
    if rep.casefold() in TOTALS:
        return (
            f"submission for unknown rep {rep!r}; a totals row? salesplan adds up the rows "
            "itself: delete it"
        )
    return f"submission for unknown rep {rep!r}{did_you_mean(rep)}"


def _periods(plan: Plan) -> str:
    """The periods a submission may name, for SP602."""
    calendar = plan.calendar
    if calendar.kind == "quarter":
        return f"the periods are {', '.join(calendar.labels)}"
    last = len(calendar.labels) - 1
    first_shown, last_shown = calendar.shown_label(0), calendar.shown_label(last)
    return (
        f"the periods are {calendar.labels[0]}…{calendar.labels[last]} "
        f"or {first_shown}…{last_shown}"
    )


def _outside(plan: Plan, period: str) -> str:
    """Why a date is no period: it lies outside the fiscal year."""
    if as_date(period) is None:
        return ""
    calendar = plan.calendar
    last = calendar.end - timedelta(days=1)
    return f", a date outside the fiscal year {calendar.start} to {last}"
