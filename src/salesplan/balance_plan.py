"""The parts of `balance` that need no solver: options, the result records, distances,
candidate reps and costs (balance_result.py turns a solution into a result). numpy is
imported inside the functions that need it (only `balance` calls them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salesplan.books import eligible, places
from salesplan.money import MAX_DECIMALS

if TYPE_CHECKING:
    from salesplan.accounts import Distances
    from salesplan.books import Books
    from salesplan.model import BalanceSettings

NEAREST = 4  # candidate reps per account by distance, on big problems
ROTATING = 3  # candidate reps per account among those under target, on big problems
EARTH_KM = 6371.0088


class BalanceError(Exception):
    """The inputs cannot be balanced as asked (a usage problem, not a plan error)."""


@dataclass(frozen=True)
class BalanceOptions:
    metric: str | None
    band: Decimal
    target: str  # capacity | even
    objective: str  # disruption | distance
    locked: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        settings: BalanceSettings,
        metric: str | None = None,
        band: Decimal | None = None,
        target: str | None = None,
        objective: str | None = None,
    ) -> BalanceOptions:
        """The plan's `balance:` settings, with what the command line overrides."""
        if band is not None and not Decimal(0) <= band < 1:
            raise BalanceError(f"--band must be a ratio in [0, 1) (0.1 means ±10%), not {band}")
        return cls(
            metric or settings.metric,
            settings.band if band is None else band,
            target or settings.target,
            objective or settings.objective,
            tuple(settings.locked),
        )


@dataclass(frozen=True, slots=True)
class Move:
    account: str
    name: str
    source: str  # the owner before ("" none)
    to: str
    metric: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class RepBalance:
    id: str
    name: str
    before: Decimal
    after: Decimal
    target: Decimal
    low: Decimal
    high: Decimal
    accounts_before: int
    accounts_after: int


@dataclass(frozen=True)
class BalanceResult:
    metric: str
    objective: str
    rule: str
    band: Decimal
    status: str  # optimal | feasible | infeasible
    method: str  # milp | lp+repair
    value: Decimal | None  # the objective of the assignment
    bound: Decimal | None  # a lower bound of the objective (LP or MILP dual bound)
    candidates: int | None  # reps an account could go to (None: every eligible rep)
    reps: tuple[RepBalance, ...]
    moves: tuple[Move, ...]
    problems: tuple[str, ...] = ()  # why the band cannot be met
    owners: dict[str, str] = field(default_factory=dict)  # account -> owner after

    @property
    def gap(self) -> Decimal | None:
        if self.value is None or self.bound is None:
            return None
        if self.value == 0:
            return Decimal(0)
        return max((self.value - self.bound) / self.value, Decimal(0))


@dataclass
class Solution:
    chosen: list[int]  # rep index of each account
    status: str  # "" when it follows from the value and the bound
    method: str
    bound: float | None  # of the primary objective
    candidates: int | None


# ---- distances and costs


def haversine(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    import numpy as np

    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def distance_matrix(books: Books, distances: Distances | None) -> Any:
    """accounts × reps distances (NaN unknown): distances.csv first, else great-circle km
    from the account's lat/lon to the rep's base; None when nothing is known."""
    import numpy as np

    n, reps = len(books.accounts), len(books.reps)
    matrix = np.full((n, reps), np.nan)
    lat = np.array([math.nan if a.lat is None else float(a.lat) for a in books.accounts])
    lon = np.array([math.nan if a.lon is None else float(a.lon) for a in books.accounts])
    for r, rep in enumerate(books.reps):
        if rep.base is not None:
            matrix[:, r] = haversine(lat, lon, rep.base[0], rep.base[1])
    if distances is not None and distances.pairs:
        accounts = {a.id: i for i, a in enumerate(books.accounts)}
        rep_index = books.rep_index()
        for (account, rep_id), value in distances.pairs.items():
            row, column = accounts.get(account), rep_index.get(rep_id)
            if row is not None and column is not None:
                matrix[row, column] = float(value)
    return None if np.isnan(matrix).all() else matrix


def metric_places(books: Books) -> int:
    """The decimals of the metric's values (2 for cents, 0 for whole numbers)."""
    return places((a.metric(books.metric) for a in books.accounts), MAX_DECIMALS)


def metric_quantum(books: Books) -> float:
    """The smallest step of the metric's values (0.01 for cents, 1 for whole numbers)."""
    return 10.0 ** -metric_places(books)


def cost_arrays(books: Books, objective: str, distance: Any) -> tuple[Any, Any]:
    """(primary, secondary) accounts × reps costs. The secondary breaks ties and is too
    small to change the primary optimum."""
    import numpy as np

    n, reps = len(books.accounts), len(books.reps)
    metric = np.array([float(a.metric(books.metric)) for a in books.accounts])
    rep_index = books.rep_index()
    owner = np.array([rep_index.get(o, -1) for o in books.owners], dtype=np.int64)
    stays = np.zeros((n, reps), dtype=bool)
    held = np.nonzero(owner >= 0)[0]
    stays[held, owner[held]] = True
    moved = np.where(stays, 0.0, metric[:, None])
    if objective == "distance":
        primary = np.nan_to_num(distance, nan=0.0)
        finite = primary[np.isfinite(distance)]
        eps = 1e-6 * (float(finite.mean()) if finite.size else 1.0)
        return primary, eps * (~stays) / max(n, 1)
    # (An account of metric 0 moves for nothing: `balance_result` takes it back home.)
    if distance is None:
        return moved, np.zeros((n, reps))
    known = np.nan_to_num(distance, nan=0.0)
    worst = float(known.max(axis=1).sum()) if n else 0.0
    eps = 0.25 * metric_quantum(books) / worst if worst > 0 else 0.0
    return moved, eps * known


def candidate_lists(
    books: Books, distance: Any, exact: bool, objective: str = "disruption"
) -> list[list[int]]:
    """The reps each account may go to: every eligible rep (exact), or a few of them: its
    owner, the nearest (when distances are known) and, for `disruption`, reps under target
    in turn (their cost does not depend on where an account goes)."""
    import numpy as np

    rep_index = books.rep_index()
    before = books.totals(books.owners)
    under = [r for r, rep in enumerate(books.reps) if before[rep.id] < rep.target]
    # Moving an account away from a rep at or below target never lowers the disruption:
    # the reps above target have at least what those below it lack.
    givers = {r for r, rep in enumerate(books.reps) if before[rep.id] > rep.target}
    disruption = objective == "disruption"
    groups: dict[str, tuple[list[int], list[int]]] = {}  # segment -> (allowed, under)
    known = None if distance is None else ~np.isnan(distance)
    lists: list[list[int]] = []
    turn: dict[str, int] = {}
    for i, account in enumerate(books.accounts):
        own = rep_index.get(books.owners[i], -1)
        if books.locked[i] and own >= 0:
            lists.append([own])
            continue
        group = groups.get(account.segment)
        if group is None:
            allowed = [r for r, rep in enumerate(books.reps) if eligible(rep, account)]
            group = groups[account.segment] = (allowed, [r for r in under if r in set(allowed)])
        allowed, pool = group
        if known is not None and not known[i, allowed].all():
            allowed = [r for r in allowed if known[i, r]] or allowed
            pool = [r for r in pool if known[i, r]]
        if exact:
            lists.append(list(allowed))
            continue
        if disruption and own in allowed and own not in givers:
            lists.append([own])
            continue
        picked = {own} if own in allowed else set()
        if distance is not None:
            for reps, count in ((allowed, 0 if disruption else NEAREST), (pool, NEAREST // 2)):
                if reps and count:
                    row = distance[i, reps]
                    picked.update(reps[k] for k in np.argsort(row, kind="stable")[:count])
        targets = pool or allowed
        start = turn.get(account.segment, 0)
        turn[account.segment] = start + ROTATING
        if disruption or distance is None or len(picked) < 2 or own in givers:
            count = min(ROTATING, len(targets))
            picked.update(targets[(start + k) % len(targets)] for k in range(count))
        lists.append(sorted(picked))
    if not exact:
        _reach_under(books, distance, lists, under, before, disruption, givers)
    return lists


def _reach_under(
    books: Books,
    distance: Any,
    lists: list[list[int]],
    under: list[int],
    before: dict[str, Decimal],
    disruption: bool,
    givers: set[int],
) -> None:
    """Make each rep under target a candidate of enough accounts (the nearest first) that
    their metric is twice what the rep lacks, so the restriction cannot starve a rep."""
    import numpy as np

    n, reps = len(lists), len(books.reps)
    rep_index = books.rep_index()
    metric = np.array([float(a.metric(books.metric)) for a in books.accounts])
    owner = np.array([rep_index.get(o, -1) for o in books.owners])
    has = np.zeros((n, reps), dtype=bool)
    rows = np.repeat(np.arange(n), [len(c) for c in lists])
    has[rows, np.fromiter((r for c in lists for r in c), dtype=np.int64, count=len(rows))] = True
    locked = np.array(books.locked) & (owner >= 0)
    movable = ~locked
    if disruption:  # accounts of reps at or below target stay (see candidate_lists)
        movable &= (owner < 0) | np.isin(owner, list(givers))
    for r in under:
        rep = books.reps[r]
        need = 2 * float(rep.target - before[rep.id])
        reach = float(metric[has[:, r]].sum())
        if reach >= need:
            continue
        order = np.arange(n)
        if distance is not None:
            order = np.argsort(np.nan_to_num(distance[:, r], nan=np.inf), kind="stable")
        for i in order[movable[order] & ~has[order, r]]:
            if reach >= need:
                break
            if not eligible(rep, books.accounts[i]):
                continue
            if distance is not None and np.isnan(distance[i, r]):
                continue
            lists[i] = sorted({*lists[i], int(r)})
            reach += metric[i]
