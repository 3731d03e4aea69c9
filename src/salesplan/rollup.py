"""Bottom-up rollup (docs/design.md, "Plan files" `rollup`): rep submissions summed up the tree, against quotas.

`rollup(plan, quotas)` returns a `Rollup`: for every node, top-down, its forecast per period
and in total, its quota, the gap and coverage, and the reps under it who have not submitted.
One bottom-up pass over the tree, so the cost grows linearly with the number of reps.
Entries the checks reject (unknown rep or period, negative amount) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, Rounded, localcontext
from itertools import chain, compress
from typing import TYPE_CHECKING, NamedTuple

from salesplan.diagnostics import closest, did_you_mean
from salesplan.fiscal import MONTHS, NUMBERED_LABEL, ZERO

if TYPE_CHECKING:
    import pandas as pd

    from salesplan.allocate import Allocation
    from salesplan.diagnostics import Diagnostic
    from salesplan.fiscal import Calendar
    from salesplan.model import Rep
    from salesplan.plan import Plan
    from salesplan.submitted import Batch


class RollupNode(NamedTuple):
    id: str
    level: str
    parent: str | None
    forecast_total: Decimal
    forecast_periods: tuple[Decimal, ...]
    quota_total: Decimal | None  # None: the node has no quota in the allocation given
    quota_periods: tuple[Decimal, ...] | None
    gap: Decimal | None  # quota - forecast
    coverage: Decimal | None  # forecast / quota; None when there is no quota or it is 0
    missing: tuple[str, ...]  # reps under the node expected to submit who have not, top-down
    submitted: int  # reps under the node who have submitted something


@dataclass(frozen=True)
class Rollup:
    """Bottom-up (`salesplan rollup`): every node's submitted forecast summed up the tree,
    beside its quota."""

    currency: str
    periods: tuple[str, ...]
    unit: Decimal
    nodes: tuple[RollupNode, ...]  # top-down order
    quota_source: str = "computed"  # where the quotas came from: "quotas.yaml" | "computed"

    def to_frame(self) -> pd.DataFrame:
        """One row per node as a pandas DataFrame (exact Decimals; one column per period)."""
        from salesplan.frames import rows_frame

        return rows_frame(self.nodes, self.periods)

    @property
    def root(self) -> RollupNode:
        """The first node: the root, unless `select` filtered by level."""
        return self.nodes[0]

    def by_id(self) -> dict[str, RollupNode]:
        return {n.id: n for n in self.nodes}


def submitted_forecasts(plan: Plan) -> dict[str, list[Decimal]]:
    """Each submitting rep's forecast per period. Entries for unknown reps or periods and
    negative amounts (all reported by the checks) are left out; several entries for one rep
    and period add up."""
    labels = list(plan.periods)
    index = {label: i for i, label in enumerate(labels)}
    reps = {node.id for node in plan.tree.nodes.values() if node.is_rep}
    forecasts: dict[str, list[Decimal]] = {}
    for batch in plan.submissions.batches:
        if _whole_rows(batch, labels, reps, forecasts):
            continue
        last, known, row = None, False, None
        for rep, label, amount in zip(batch.reps, batch.periods, batch.amounts):
            if rep is not last:  # a rep's rows usually follow each other
                last, known, row = rep, rep in reps, forecasts.get(rep)
            period = index.get(label)
            if not known or period is None or amount < ZERO:
                continue
            if row is None:
                row = forecasts[rep] = [ZERO] * len(index)
            earlier = row[period]
            # the first amount is kept as it is: amounts are shared objects, sums are not
            row[period] = amount if earlier is ZERO else earlier + amount
    return forecasts


def _whole_rows(
    batch: Batch, labels: list[str], reps: set[str], forecasts: dict[str, list[Decimal]]
) -> bool:
    """Add a batch laid out as the submission template lays it out (each rep's rows in a
    block, one per period in the plan's order, no amount negative, no rep met before) to
    `forecasts`, each rep's row a slice of the amounts, and say whether it was; checked and
    sliced column by column, without a Python loop over the rows."""
    rep_ids, amounts, width = batch.reps, batch.amounts, len(labels)
    if not rep_ids or not width or len(rep_ids) % width:
        return False
    if batch.periods != labels * (len(rep_ids) // width) or min(amounts) < ZERO:
        return False
    firsts = rep_ids[::width]
    if any(rep_ids[k::width] != firsts for k in range(1, width)):
        return False
    if len(set(firsts)) != len(firsts) or not reps.issuperset(firsts):
        return False
    if not forecasts.keys().isdisjoint(firsts):
        return False
    rows = (amounts[start : start + width] for start in range(0, len(amounts), width))
    forecasts.update(zip(firsts, rows))
    return True


def expected_to_submit(rep: Rep, year_start: date, year_end: date) -> bool:
    """Active reps on board during the fiscal year. Planned hires are not expected to
    submit: a missing forecast from a req is not a missing submission."""
    if rep.status == "planned":
        return False
    if rep.end is not None and rep.end < year_start:
        return False
    return rep.start is None or rep.start < year_end


class Forecasts(NamedTuple):
    """Submissions summed up the tree, per node id."""

    periods: dict[str, tuple[Decimal, ...]]
    totals: dict[str, Decimal]
    submitted: dict[str, int]  # reps under the node who have submitted something
    missing: dict[str, tuple[str, ...]]  # reps under it expected to submit who have not


def forecast_tree(plan: Plan, employed_only: bool = False) -> Forecasts:
    """One bottom-up pass: every node's forecast per period and in total, and who under it
    has or has not submitted. With `employed_only`, a rep's amounts for periods in which
    they are not employed are left out (reconcile's signal, docs/design.md, "Hybrid reconcile")."""
    tree = plan.tree
    width = len(plan.periods)
    year_start = plan.calendar.start
    year_end = plan.calendar.end
    submitted = submitted_forecasts(plan)
    if employed_only:
        submitted = _employed(plan, submitted)
    nothing = (ZERO,) * width
    reps = plan.reps_by_id
    forecast: dict[str, tuple[Decimal, ...]] = {}
    totals: dict[str, Decimal] = {}
    missing: dict[str, tuple[str, ...]] = {}
    count: dict[str, int] = {}
    for node in tree.bottom_up():
        node_id = node.id
        if node.is_rep:
            row = submitted.get(node_id)
            if row is None:
                forecast[node_id], totals[node_id], count[node_id] = nothing, ZERO, 0
                expected = expected_to_submit(reps[node_id], year_start, year_end)
                missing[node_id] = (node_id,) if expected else ()
                continue
            forecast[node_id] = periods = tuple(row)
            totals[node_id], count[node_id], missing[node_id] = sum(periods, ZERO), 1, ()
            continue
        children = node.children
        periods = tuple(sum(col, ZERO) for col in zip(nothing, *(forecast[c] for c in children)))
        forecast[node_id], totals[node_id] = periods, sum(periods, ZERO)
        count[node_id] = sum(count[c] for c in children)
        missing[node_id] = tuple(chain.from_iterable(missing[c] for c in children))
    return Forecasts(forecast, totals, count, missing)


class Submitted(NamedTuple):
    """What reconcile reads of the submissions, per node id: the employed total (periods in
    which a rep is not employed left out) and how many reps under the node submitted."""

    totals: dict[str, Decimal]
    submitted: dict[str, int]


def employed_forecasts(plan: Plan) -> Submitted:
    """The totals and counts of `forecast_tree(plan, employed_only=True)` (all reconcile
    reads), without its per-period sums and missing lists: a unit's total is its children's
    totals' sum.

    That adds the amounts in another order than `forecast_tree`, which gives the same
    figures as long as no sum is rounded (amounts are at most 10^15: far from the 28
    digits); should one be, the totals are `forecast_tree`'s own."""
    employed = _employed(plan, submitted_forecasts(plan))
    tree = plan.tree
    units = tree.units
    try:
        with localcontext() as exact:
            exact.traps[Rounded] = True
            # the reps first, all at once: every rep of the tree (the children of the units
            # whose children are reps) as submitting nothing, then those who did
            totals = dict.fromkeys(chain.from_iterable(tree.teams), ZERO)
            counts = dict.fromkeys(totals, 0)
            totals.update({rep_id: sum(row, ZERO) for rep_id, row in employed.items()})
            counts.update(dict.fromkeys(employed, 1))
            for node in reversed(units):  # then the units only, bottom-up
                children = node.children
                totals[node.id] = sum(map(totals.__getitem__, children), ZERO)
                counts[node.id] = sum(map(counts.__getitem__, children))
    except Rounded:
        found = forecast_tree(plan, employed_only=True)
        return Submitted(found.totals, found.submitted)
    return Submitted(totals, counts)


def _employed(plan: Plan, submitted: dict[str, list[Decimal]]) -> dict[str, list[Decimal]]:
    """`submitted` with each rep's amounts for periods without a day on board as zero: the
    reps with such periods (`_off_board_reps`: a few in a big plan) looked at alone."""
    outside = _off_board_reps(plan)
    kept = dict(submitted)
    for rep_id in outside.keys() & submitted.keys():
        off = outside[rep_id]
        kept[rep_id] = [ZERO if i in off else a for i, a in enumerate(submitted[rep_id])]
    return kept


def _off_board_reps(plan: Plan) -> dict[str, frozenset[int]]:
    """The tree's reps with periods without a day on board, those periods, worked out kind by
    kind (`Productivity.kinds`: reps alike by their own start, end, ramp and profile, each
    kind's the same periods): a kind with neither end nor a start within reach of the year
    (on board from before it, past any ramp) has none, and its reps are not looked at."""
    from salesplan.productivity import plan_productivity

    off_board, reps = _off_board(plan), plan.reps_by_id
    found: dict[str, frozenset[int]] = {}
    for (start, end, _, _), ids in plan_productivity(plan).kinds.items():
        if start is None and end is None:
            continue  # on board from before the year's first day on
        off = off_board(reps[ids[0]])
        if off is not None:
            found.update(dict.fromkeys(ids, off))
    return found


def _off_board(plan: Plan) -> Callable[[Rep], frozenset[int] | None]:
    """A rep's periods with no day on board, None when there is none (most reps); worked
    out once per distinct (start, end) among the reps asked about, not once per rep."""
    from salesplan.productivity import plan_productivity

    productivity = plan_productivity(plan)
    year_start = plan.calendar.start
    found: dict[tuple[date | None, date | None], frozenset[int] | None] = {}

    def off_board(rep: Rep) -> frozenset[int] | None:
        start, end = rep.start, rep.end
        if end is None and (start is None or start <= year_start):
            return None  # on board from the year's first day on: some of every period
        key = (start, end)
        if key not in found:
            shares = productivity.on_board_periods(rep)
            found[key] = frozenset(i for i, share in enumerate(shares) if not share) or None
        return found[key]

    return off_board


def check_outside_employment(plan: Plan) -> Iterator[Diagnostic]:
    """SP609: a submitted amount for a period in which the rep is not employed (it counts in
    the rollup as submitted, but not in reconcile's signal)."""
    from salesplan.diagnostics import report
    from salesplan.money import finer_than, minor_unit
    from salesplan.submitted import PERIOD

    off_board = _off_board(plan)
    index = {label: i for i, label in enumerate(plan.periods)}
    tree = plan.tree
    outside: dict[str, frozenset[int]] = {}  # reps with a period off board: those periods
    for rep in plan.org.reps:
        if rep.id in tree and tree[rep.id].is_rep:
            off = off_board(rep)
            if off is not None:
                outside[rep.id] = off
    if not outside:
        return
    reps = plan.reps_by_id
    unit = minor_unit(plan.settings.currency)
    for batch in plan.submissions.batches:
        rep_ids, labels, amounts = batch.reps, batch.periods, batch.amounts
        # only the rows of those reps (a few in a big plan), picked out without a Python loop
        for row in compress(range(len(rep_ids)), map(outside.__contains__, rep_ids)):
            rep_id, label, amount = rep_ids[row], labels[row], amounts[row]
            if amount <= 0 or index.get(label) not in outside[rep_id]:
                continue  # a negative amount is rejected (SP603) and counts nowhere
            if unit is not None and finer_than(amount, unit):
                continue  # rejected too (SP412)
            rep = reps[rep_id]
            later = rep.start is not None and plan.calendar.period_start(index[label]) < rep.start
            when = f"starts on {rep.start}" if later else f"leaves on {rep.end}"
            message = (
                f"{rep_id} forecasts {amount} for {label}, when they are not employed ({when}); "
                "reconcile leaves it out"
            )
            yield report("SP609", message, batch.where(row, PERIOD), rep_id)


def rollup(plan: Plan, quotas: Allocation, quota_source: str = "computed") -> Rollup:
    """Forecasts summed up the tree and compared with the quotas in `quotas`.

    `quota_source` only labels the result ("quotas.yaml" when the caller read a fresh
    quotas.yaml, "computed" when it allocated on the fly)."""
    found = forecast_tree(plan)
    width = len(plan.periods)
    quota_of = quotas.by_id()
    periods, totals, submitted, missing = found
    new = tuple.__new__  # a NamedTuple from a tuple, as its own `_make` does (`_record`, inline)
    nodes = []
    for node in plan.tree.top_down():
        node_id = node.id
        quota = quota_of.get(node_id)
        total = totals[node_id]
        row: tuple[Decimal | None, tuple[Decimal, ...] | None, Decimal | None, Decimal | None]
        if quota is None:
            row = (None, None, None, None)
        else:
            amount = quota.total
            row = (
                amount,
                tuple(quota.periods) if len(quota.periods) == width else None,
                amount - total,
                total / amount if amount else None,
            )
        nodes.append(
            new(
                RollupNode,
                (
                    node_id,
                    node.level,
                    node.parent,
                    total,
                    periods[node_id],
                    *row,
                    missing[node_id],
                    submitted[node_id],
                ),
            )
        )
    return Rollup(plan.settings.currency, plan.periods, plan.unit, tuple(nodes), quota_source)


def _record(
    node_id: str,
    level: str,
    parent: str | None,
    forecast: tuple[Decimal, ...],
    quota: Decimal | None,
    quota_periods: tuple[Decimal, ...] | None,
    missing: tuple[str, ...],
    submitted: int,
    total: Decimal | None = None,  # sum(forecast), when the caller has it
) -> RollupNode:
    if total is None:
        total = sum(forecast, ZERO)
    if quota is None:
        return RollupNode(
            node_id, level, parent, total, forecast, None, None, None, None, missing, submitted
        )
    coverage = total / quota if quota else None
    return RollupNode(
        node_id,
        level,
        parent,
        total,
        forecast,
        quota,
        quota_periods,
        quota - total,
        coverage,
        missing,
        submitted,
    )


def select(
    rollup: Rollup,
    level: str | None = None,
    period: str | None = None,
    calendar: Calendar | None = None,
) -> Rollup:
    """The rollup restricted to one level and/or one period.

    With a period, each node shows that period only: its forecast, quota, gap and coverage
    for the period (`periods` becomes that period's label, `M01` or `Q1`, whatever name it
    was asked by). The `calendar` knows the other names a period goes by
    (`Calendar.find_period`: `m1`, `Feb-27`, `2027-02`, and a quarter of a monthly plan);
    without it, a period is one of the rollup's labels in any case. Raises ValueError for a
    level or a period the rollup does not have.
    """
    nodes = rollup.nodes
    if level is not None:
        levels = list(dict.fromkeys(n.level for n in nodes))
        level = next((name for name in levels if name.lower() == level.lower()), level)
        if level not in levels:
            hint = did_you_mean(level, levels) or f"; the levels are {', '.join(levels)}"
            raise ValueError(f"unknown level {level!r}{hint}")
        nodes = tuple(n for n in nodes if n.level == level)
    if period is None:
        return replace(rollup, nodes=nodes)
    if calendar is not None:
        found = calendar.find_period(period)
    else:
        index = {p.lower(): (p, (i,)) for i, p in enumerate(rollup.periods)}
        found = index.get(period.lower())
    if found is None:
        raise ValueError(unknown_period(period, rollup.periods, calendar))
    name, members = found
    return replace(rollup, periods=(name,), nodes=tuple(_some_periods(n, members) for n in nodes))


def unknown_period(period: str, labels: Sequence[str], calendar: Calendar | None) -> str:
    """Why `period` is no period of the plan, and what to write instead."""
    message = f"unknown period {period!r}"
    month = calendar.named_month(period) if calendar is not None else None
    if calendar is not None and month is not None:
        if 0 <= month < MONTHS:  # a month of a quarterly plan
            named = f"{calendar.month_start(month):%b-%y}"
            quarter = labels[calendar.period_of_month(month)]
            return f"{message}: the periods are quarters, and {named} is in {quarter}"
        year = f"{calendar.month_start(0):%b-%y} to {calendar.month_start(MONTHS - 1):%b-%y}"
        return f"{message}: no month of the fiscal year ({year})"
    names = list(labels)
    listed = f"; the periods are {', '.join(labels)}"
    if calendar is not None and calendar.kind == "month":
        shown = [calendar.shown_label(i) for i in range(len(labels))]
        names += [*shown, "Q1", "Q2", "Q3", "Q4"]
        listed = (
            f"; the periods are the months {labels[0]} to {labels[-1]} "
            f"({shown[0]} to {shown[-1]}) and the quarters Q1 to Q4"
        )
    if NUMBERED_LABEL.fullmatch(period.strip().lower()):  # M13 is no misspelt M12
        return message + listed
    by_case = {name.lower(): name for name in names}
    close = closest(period.lower(), by_case)
    return message + (f"; did you mean {by_case[close]!r}?" if close is not None else listed)


def _some_periods(node: RollupNode, members: tuple[int, ...]) -> RollupNode:
    """The node over the periods `members` as one."""
    quota = (
        sum((node.quota_periods[i] for i in members), ZERO)
        if node.quota_periods is not None
        else None
    )
    return _record(
        node.id,
        node.level,
        node.parent,
        (sum((node.forecast_periods[i] for i in members), ZERO),),
        quota,
        (quota,) if quota is not None else None,
        node.missing,
        node.submitted,
    )
