"""Books of business (docs/design.md): who owns which accounts now, and each rep's target and band
of the balanced metric. Pure Decimal arithmetic, shared by `check` (territory health) and
`balance` (the optimizer starts from here).

A rep's target is their share of the metric total: by quota capacity in the fiscal year
(docs/design.md, "Capacity": a rep ramping from July carries less) or even among the reps on board; the band
is target × (1 ± band), rounded inward to the metric's step. When the reps' territory segments split the accounts into pools
(enterprise reps hold enterprise accounts), the share is of the rep's own pool. Reps who leave before the year starts, or are never on board in it,
hold no book: their accounts are to be placed like unassigned ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from salesplan.fiscal import ZERO, productivity
from salesplan.money import MAX_DECIMALS, figure

if TYPE_CHECKING:
    from salesplan.accounts import Account, AccountBook
    from salesplan.model import Rep
    from salesplan.plan import Plan

ONE = Decimal(1)
TARGETS = ("capacity", "even")
OBJECTIVES = ("disruption", "distance")


@dataclass(frozen=True, slots=True)
class RepBook:
    """One rep's place in the balance: the weight their target comes from, and the band."""

    id: str
    name: str
    weight: Decimal  # quota capacity (or productive months without full_quota), or 1
    target: Decimal
    low: Decimal
    high: Decimal
    segments: frozenset[str]  # segments of the territories they own (empty: any account)
    base: tuple[float, float] | None  # (lat, lon) they work from


@dataclass(frozen=True)
class Books:
    """The starting point of a balance: accounts sorted by id, their owners now, the reps."""

    metric: str
    band: Decimal
    rule: str  # capacity | even
    reps: tuple[RepBook, ...]  # sorted by id
    accounts: tuple[Account, ...]  # the accounts to place, sorted by id
    owners: tuple[str, ...]  # each account's owner now ("" none), resolved through territory
    locked: tuple[bool, ...]  # each account keeps its owner
    outside: tuple[Account, ...]  # locked to an owner who holds no book: left where they are
    total: Decimal  # the metric total to share

    def rep_index(self) -> dict[str, int]:
        return {rep.id: i for i, rep in enumerate(self.reps)}

    @cached_property
    def places(self) -> int:
        """Decimals to quote the metric with in messages: those of its values, at least
        two (targets and bounds are shares of a total), at most six."""
        return max(places(a.metric(self.metric) for a in self.accounts), SHARE_PLACES)

    def quote(self, value: Decimal) -> str:
        """A figure of the metric for a message (`amount` with the metric's decimals)."""
        return amount(value, self.places)

    def totals(self, owners: Iterable[str]) -> dict[str, Decimal]:
        """Each rep's metric total when the accounts have `owners` (in account order)."""
        sums = {rep.id: ZERO for rep in self.reps}
        for account, owner in zip(self.accounts, owners):
            if owner in sums:
                sums[owner] += account.metric(self.metric)
        return sums

    def counts(self, owners: Iterable[str]) -> dict[str, int]:
        found = {rep.id: 0 for rep in self.reps}
        for owner in owners:
            if owner in found:
                found[owner] += 1
        return found


def on_board(plan: Plan, rep: Rep) -> bool:
    """The rep works at least one day of the fiscal year (a month's share of time on board
    is an exact fraction, never negative)."""
    return any(productivity(plan.calendar, rep.start, rep.end, []))


def rep_weights(plan: Plan, rule: str) -> dict[str, Decimal]:
    """The weight of each rep who can hold a book (positive weights only), by `rule`."""
    from salesplan.capacity import quota_capacities
    from salesplan.productivity import plan_productivity

    reps = [r for r in plan.org.reps if r.id in plan.tree and on_board(plan, r)]
    if rule == "even":
        return {r.id: ONE for r in reps}
    capacities = quota_capacities(plan)
    months = plan_productivity(plan).months
    weights = {r.id: capacities[r.id] if capacities else _decimal(months(r)) for r in reps}
    return {rep_id: w for rep_id, w in weights.items() if w > 0}


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def rep_segments(plan: Plan) -> dict[str, frozenset[str]]:
    """The segments of the territories each rep owns."""
    found: dict[str, set[str]] = {}
    for territory in plan.territories or ():
        if territory.owner and territory.segment:
            found.setdefault(territory.owner, set()).add(territory.segment)
    return {rep_id: frozenset(s) for rep_id, s in found.items()}


def current_owner(plan: Plan, account: Account) -> str:
    """The owner a row names, else the owner of the territory it names, else ""."""
    if account.owner or not account.territory or plan.territories is None:
        return account.owner
    index = plan.territory_index.get(account.territory)
    owner = plan.territories[index].owner if index is not None else None
    return owner or ""


def territory_after_move(plan: Plan, account: Account, owner: str) -> str:
    """The territory an account given to `owner` is written in: the one territory `owner`
    owns whose segment fits the account (either has none, or they are equal), else none
    (""): it is then owned through its `owner` cell alone."""
    fitting = [
        t.id
        for t in plan.territories or ()
        if t.owner == owner
        and (not t.segment or not account.segment or t.segment == account.segment)
    ]
    return fitting[0] if len(fitting) == 1 else ""


def default_metric(book: AccountBook) -> str | None:
    """`potential` when the file has it, else its first metric column."""
    names = book.metric_names
    return "potential" if "potential" in names else (names[0] if names else None)


def plan_books(
    plan: Plan,
    book: AccountBook,
    metric: str,
    band: Decimal,
    rule: str,
    locked_ids: Iterable[str] = (),
) -> Books:
    """The books before balancing, with every rep's target and band."""
    weights = rep_weights(plan, rule)
    segments = rep_segments(plan)
    locked_set = set(locked_ids)
    accounts, owners, locked, outside = [], [], [], []
    for account in sorted(book.accounts, key=lambda a: a.id):
        owner = current_owner(plan, account)
        keep = account.locked or account.id in locked_set
        if keep and owner and owner not in weights:
            outside.append(account)
            continue
        accounts.append(account)
        owners.append(owner)
        locked.append(keep and bool(owner))
    total = sum((a.metric(metric) for a in accounts), ZERO)
    step = Decimal(1).scaleb(-places((a.metric(metric) for a in accounts), MAX_DECIMALS))
    pools = segment_pools(accounts, metric, weights, segments) or {
        frozenset(): (total, sum(weights.values(), ZERO))
    }
    reps = []
    for rep_id in sorted(weights):
        rep = plan.reps_by_id[rep_id]
        key = segments.get(rep_id, frozenset()) if len(pools) > 1 else frozenset()
        pool, weight_sum = pools[key]
        target = pool * weights[rep_id] / weight_sum if weight_sum else ZERO
        low, high = band_of(target, band, step)
        base = (float(rep.base.lat), float(rep.base.lon)) if rep.base else None
        reps.append(
            RepBook(
                rep_id,
                rep.name or rep_id,
                weights[rep_id],
                target,
                low,
                high,
                segments.get(rep_id, frozenset()),
                base,
            )
        )
    return Books(
        metric,
        band,
        rule,
        tuple(reps),
        tuple(accounts),
        tuple(owners),
        tuple(locked),
        tuple(outside),
        total,
    )


def segment_pools(
    accounts: list[Account],
    metric: str,
    weights: dict[str, Decimal],
    segments: dict[str, frozenset[str]],
) -> dict[frozenset[str], tuple[Decimal, Decimal]] | None:
    """When reps' segments split the accounts into separate pools (each segment covered by
    reps of one kind only), each rep's target is a share of its own pool: {segments of a
    kind of rep: (metric of the accounts only they may hold, their weights)}. Accounts with
    no segment, or a segment no rep has, go to reps without segments; when there are none,
    their metric is shared among the pools by weight (one such account moves every target
    a little, never all of them to shares of the total). None when the segments do not
    split the accounts that way (targets are then shares of the total)."""
    kinds = {segments.get(rep_id, frozenset()) for rep_id in weights}
    if len(kinds) < 2 or any(a & b for a in kinds for b in kinds if a != b):
        return None
    kind_of = {segment: kind for kind in kinds for segment in kind}
    pools = {kind: [ZERO, ZERO] for kind in kinds}
    shared = ZERO
    for account in accounts:
        kind = kind_of.get(account.segment, frozenset())
        if kind in pools:
            pools[kind][0] += account.metric(metric)
        else:
            shared += account.metric(metric)
    for rep_id, weight in weights.items():
        pools[segments.get(rep_id, frozenset())][1] += weight
    if shared:
        weight_sum = sum((weight for _, weight in pools.values()), ZERO)
        for pool in pools.values():
            pool[0] += shared * pool[1] / weight_sum
    return {kind: (pool, weight) for kind, (pool, weight) in pools.items()}


def band_of(target: Decimal, band: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
    """The low and high bounds, target × (1 ± band), rounded inward to the metric's `step`
    (1 for whole numbers, 0.01 for cents): a rep's total is a sum of the metric's values, a
    multiple of the step, so it lies within these bounds exactly when it lies within the
    exact ones, and every figure of the band shown is one a total can meet (4,066,946, not
    4,066,945.61, the first total above it). A share of a total is a decimal with 28
    digits: it is first rounded to 10^-12, below any step, so that 600,000.000…01 for
    666,666.67 × 0.9 stays 600,000."""
    with localcontext() as wide:
        wide.prec = 60  # a total of many accounts of 10^15 still has room for 12 decimals
        low = (target * (ONE - band)).quantize(SNAP).quantize(step, ROUND_CEILING)
        high = (target * (ONE + band)).quantize(SNAP).quantize(step, ROUND_FLOOR)
    return low, high


def eligible(rep: RepBook, account: Account) -> bool:
    """A rep may hold an account: segments match when both have one."""
    return not (rep.segments and account.segment) or account.segment in rep.segments


SNAP = Decimal("1e-12")  # below the smallest step of a metric (10 decimals)
SHARE_PLACES = 2  # targets and bounds are shares of a total: at least two decimals


def places(values: Iterable[Decimal], most: int = 6) -> int:
    """The decimals the values are written with (at most `most`: six to show them)."""
    found = [max(-int(v.as_tuple().exponent), 0) for v in values if v.is_finite()]
    return min(max(found, default=0), most)


def amount(value: Decimal, decimals: int = SHARE_PLACES) -> str:
    """A metric figure for messages (`money.figure`, with the metric's own decimals, see
    `Books.places`)."""
    return figure(value, decimals)
