"""What a balance found, as a result: the reps before and after, each move with its reason,
the status with the value and bound, and, when no assignment meets the bands, which rep
cannot be brought within which bound and by how much."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from salesplan.balance_plan import BalanceResult, Move, RepBalance, Solution, metric_places
from salesplan.books import eligible

if TYPE_CHECKING:
    from salesplan.books import Books


def _bound(value: float | None, quantum: Decimal, exact_steps: bool) -> Decimal | None:
    if value is None:
        return None
    rounding = ROUND_CEILING if exact_steps else ROUND_FLOOR
    return Decimal(repr(value - 1e-9 * abs(value) - 1e-9)).quantize(quantum, rounding)


def solved_result(
    books: Books, objective: str, solution: Solution, distance: Any = None
) -> BalanceResult:
    chosen = list(solution.chosen)
    if objective == "disruption":
        chosen = _free_accounts_stay(books, chosen)
    after = [books.reps[r].id for r in chosen]
    before_totals, after_totals = books.totals(books.owners), books.totals(after)
    moves = []
    for i, account in enumerate(books.accounts):
        source, to = books.owners[i], after[i]
        if source != to:
            why = move_reason(books, before_totals, after_totals, source, to)
            if objective == "distance" and distance is not None:
                why = f"{why}; {_distance_note(books, distance, i, source, to)}"
            moves.append(
                Move(account.id, account.name, source, to, account.metric(books.metric), why)
            )
    if objective == "distance":
        total = sum(float(distance[i, r]) for i, r in enumerate(solution.chosen)) if after else 0.0
        quantum = Decimal("0.001")
        value: Decimal = Decimal(repr(total)).quantize(quantum)
    else:
        quantum = Decimal(1).scaleb(-metric_places(books))
        value = sum((m.metric for m in moves), Decimal(0))
    # A disruption is a sum of metric values, so its LP bound may be rounded up to a step.
    bound = _bound(solution.bound, quantum, objective == "disruption")
    status = solution.status
    if status == "optimal" or (bound is not None and value <= bound):
        status, bound = "optimal", value
    status = status or "feasible"
    return BalanceResult(
        books.metric,
        objective,
        books.rule,
        books.band,
        status,
        solution.method,
        value,
        bound,
        solution.candidates,
        rep_rows(books, after),
        tuple(moves),
        (),
        dict(zip((a.id for a in books.accounts), after)),
    )


def _free_accounts_stay(books: Books, chosen: list[int]) -> list[int]:
    """An account of metric 0 goes back to its owner when the solver moved it: the move
    cost nothing, so only a tie-break too small for the solver's tolerances kept it home,
    and taking it back changes no rep's total."""
    index = books.rep_index()
    for i, account in enumerate(books.accounts):
        owner = index.get(books.owners[i], -1)
        free = owner >= 0 and chosen[i] != owner and not account.metric(books.metric)
        if free and eligible(books.reps[owner], account):
            chosen[i] = owner
    return chosen


def _distance_note(books: Books, distance: Any, i: int, source: str, to: str) -> str:
    index = books.rep_index()
    new = distance[i, index[to]]
    old = distance[i, index[source]] if source in index else math.nan
    if math.isnan(old):
        return f"distance {new:,.2f}"
    return f"distance {old:,.2f} → {new:,.2f}"


def infeasible_result(books: Books, objective: str, problems: list[str]) -> BalanceResult:
    return BalanceResult(
        books.metric,
        objective,
        books.rule,
        books.band,
        "infeasible",
        "",
        None,
        None,
        None,
        rep_rows(books, list(books.owners)),
        (),
        tuple(problems),
    )


def rep_rows(books: Books, after: list[str]) -> tuple[RepBalance, ...]:
    before_totals, after_totals = books.totals(books.owners), books.totals(after)
    before_counts, after_counts = books.counts(books.owners), books.counts(after)
    return tuple(
        RepBalance(
            rep.id,
            rep.name,
            before_totals[rep.id],
            after_totals[rep.id],
            rep.target,
            rep.low,
            rep.high,
            before_counts[rep.id],
            after_counts[rep.id],
        )
        for rep in books.reps
    )


def move_reason(
    books: Books, before: dict[str, Decimal], after: dict[str, Decimal], source: str, to: str
) -> str:
    """Why an account moves: the state of the rep it leaves and of the rep it joins."""
    reps = {rep.id: rep for rep in books.reps}
    if not source:
        parts = ["unassigned"]
    elif source not in reps:
        parts = [f"{source} holds no book this year"]
    else:
        rep, held = reps[source], before[source]
        if held > rep.high:
            parts = [f"{source} above its band by {books.quote(held - rep.high)}"]
        elif held > rep.target:
            parts = [f"{source} above target"]
        else:
            parts = [f"{source} within band"]
    rep, held = reps[to], before[to]
    if held < rep.low:
        parts.append(f"{to} below its band by {books.quote(rep.low - held)}")
    elif held < rep.target:
        parts.append(f"{to} below target")
    else:
        parts.append(
            f"{to} has room ({books.quote(after[to])} after, up to {books.quote(rep.high)})"
        )
    return "; ".join(parts)


def band_problems(books: Books, eligible_lists: list[list[int]]) -> list[str]:
    """Reasons no assignment can exist that need no solver: an account no rep may hold,
    a rep whose locked accounts exceed its high bound, or whose reachable accounts fall
    short of its low bound."""
    problems = []
    locked = [Decimal(0)] * len(books.reps)
    reach = [Decimal(0)] * len(books.reps)
    for i, account in enumerate(books.accounts):
        allowed = eligible_lists[i]
        value = account.metric(books.metric)
        if not allowed:
            segment = f" (segment {account.segment!r})" if account.segment else ""
            problems.append(f"account {account.id!r}{segment} may go to no rep")
        elif value > max(books.reps[r].high for r in allowed):
            roomiest = max(books.reps[r].high for r in allowed)
            problems.append(
                f"account {account.id!r} alone holds {books.quote(value)} of {books.metric}, "
                f"more than the high bound of any rep it may go to (at most {books.quote(roomiest)}, "
                f"{books.quote(value - roomiest)} short)"
            )
        if len(allowed) == 1 and books.locked[i]:
            locked[allowed[0]] += value
        for r in allowed:
            reach[r] += value
    for r, rep in enumerate(books.reps):
        if locked[r] > rep.high:
            problems.append(
                f"rep {rep.id!r} cannot be brought within its high bound {books.quote(rep.high)}: "
                f"its locked accounts alone hold {books.quote(locked[r])} "
                f"({books.quote(locked[r] - rep.high)} over)"
            )
        if reach[r] < rep.low:
            problems.append(
                f"rep {rep.id!r} cannot be brought within its low bound {books.quote(rep.low)}: "
                f"all the accounts it may hold total {books.quote(reach[r])} "
                f"({books.quote(rep.low - reach[r])} short)"
            )
    return problems


def violation_messages(books: Books, short: Any, over: Any) -> list[str]:
    """The reps the least-violation assignment leaves outside their band."""
    problems = []
    tolerance = float(books.total) * 1e-9
    for r, rep in enumerate(books.reps):
        if short[r] > tolerance:
            problems.append(
                f"rep {rep.id!r} cannot be brought within its low bound {books.quote(rep.low)}: "
                f"at best it stays {books.quote(_decimal(short[r]))} short"
            )
        if over[r] > tolerance:
            problems.append(
                f"rep {rep.id!r} cannot be brought within its high bound {books.quote(rep.high)}: "
                f"at best it stays {books.quote(_decimal(over[r]))} over"
            )
    if not problems:
        problems.append(
            "no assignment of whole accounts that meets every band was found (the LP "
            "meets them only by splitting accounts); widen the band"
        )
    return problems


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"))
