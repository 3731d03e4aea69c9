"""Views of a balance result: reps before/after and the moves (text, CSV, Markdown), and the
JSON document of docs/design.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salesplan.balance_plan import BalanceResult
from salesplan.books import SHARE_PLACES, places
from salesplan.render import json as j
from salesplan.render.table import (
    HIGH,
    LOW,
    NORMAL,
    Column,
    Money,
    Ratio,
    ResultTable,
    carved,
)
from salesplan.words import counted

REASON_MIN = 36  # a reason wraps at no less: the name of an account goes first

TABLES = ("reps", "moves")  # the names of its tables, for `--table NAME`


def visible(text: str) -> str:
    """User text with control characters shown as escapes, never sent raw."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def exponent(result: BalanceResult) -> int:
    """Decimals to show the metric with: those of its values."""
    return places([m.metric for m in result.moves] + [r.before for r in result.reps])


def tables(
    result: BalanceResult, markdown: bool = False, empty_moves: bool = False, people: bool = True
) -> list[ResultTable]:
    """The reps and the moves. On a narrow terminal the text renderer leaves out the
    accounts counts, then the band (low and high together), then the names, says so, and
    wraps the reasons: digits are never cut. No moves: a line says so, and the moves table
    is left out unless `empty_moves` (CSV's header for a script).

    For `people` (not CSV) every figure of the metric has the decimals of its values, as
    before and after do, and the targets, shares of the total, are carved from it so they
    add up to the total the reps hold after (docs/design.md, "Money and rounding"); the band
    is already in the metric's step. CSV keeps the targets to the cent."""
    clean = visible  # the Markdown renderer escapes links, images and @mentions itself
    e = exponent(result)
    shown = max(e, SHARE_PLACES) if any(r.target % 1 for r in result.reps) else e
    exact = [r.target for r in result.reps]
    targets = carved(exact, [r.id for r in result.reps], e) if people else exact
    title = (
        f"Balance of {clean(result.metric)} by {result.objective} "
        f"(target {result.rule}, band ±{(result.band * 100).normalize():f}%)"
    )
    reps = ResultTable(
        title,
        [
            Column("rep"),
            Column("before", True),
            Column("after", True),
            Column("target", True),
            Column("low", True, priority=NORMAL, group="band"),
            Column("high", True, priority=NORMAL, group="band"),
            Column("vs target", True, key="vs_target"),
            Column("accounts before", True, LOW, key="accounts_before", group="accounts"),
            Column("after", True, LOW, key="accounts_after", group="accounts"),
        ],
        name="reps",
        decimals=e if people else None,
    )
    for rep, target in zip(result.reps, targets):
        off = (rep.after - rep.target) / rep.target if rep.target else None
        reps.add(
            [
                clean(rep.id),
                Money(rep.before, e),
                Money(rep.after, e),
                Money(target, shown),
                Money(rep.low, shown),
                Money(rep.high, shown),
                Ratio(off, "shift"),
                rep.accounts_before,
                rep.accounts_after,
            ]
        )
    reps.notes.extend(visible(line) for line in summary_lines(result, e))
    moves = ResultTable(
        f"Moves ({len(result.moves)})",
        [
            Column("account"),
            Column("name", priority=LOW),
            Column("from"),
            Column("to"),
            Column(clean(result.metric), True),
            Column("reason", priority=HIGH, wrap_min=REASON_MIN),
        ],
        name="moves",
    )
    for move in result.moves:
        moves.add(
            [
                clean(move.account),
                clean(move.name),
                clean(move.source) or None,
                clean(move.to),
                Money(move.metric, e),
                clean(move.reason),
            ]
        )
    if result.status == "infeasible":
        # no moves: the table is shown only when asked for by name or for a script (CSV,
        # its header), and then with the reason
        moves.notes.extend(reps.notes)
    found = [reps, moves] if result.status != "infeasible" or empty_moves else [reps]
    if not result.moves and result.status != "infeasible" and not empty_moves:
        reps.notes.append("No account moves: every rep's book is already within its band.")
        found = [reps]
    return found


def summary_lines(result: BalanceResult, e: int) -> list[str]:
    what = "metric moved" if result.objective == "disruption" else "total distance"
    if result.status == "infeasible":
        return [
            "Infeasible: no assignment keeps every rep within the band.",
            *(f"- {problem}" for problem in result.problems),
            "Widen the band (--band), unlock accounts or change the reps.",
        ]
    places = e if result.objective == "disruption" else 3  # a distance: to the metre
    line = f"{result.status.capitalize()}: {what} {_number(result.value, places)}"
    if result.status == "optimal":
        line += " (proven optimal)"
    else:
        gap = result.gap
        line += f", LP bound {_number(result.bound, places)}, gap {float(gap or 0):.2%}"
    line += f"; {counted(len(result.moves), 'move')}; solved by {result.method}"
    if result.candidates is not None:
        line += f" over {result.candidates} candidate reps per account"
    return [line + "."]


def _number(value: Decimal | None, places: int) -> str:
    if value is None:
        return "–"
    return f"{value.quantize(Decimal(1).scaleb(-places)):,}"


def document(result: BalanceResult) -> dict[str, Any]:
    e = exponent(result)
    shown = max(e, SHARE_PLACES)
    return {
        "status": result.status,
        "objective": result.objective,
        "metric": result.metric,
        "target": result.rule,
        "band": j.ratio(result.band),
        "value": None if result.value is None else str(result.value),
        "bound": None if result.bound is None else str(result.bound),
        "gap": j.ratio(result.gap),
        "method": result.method or None,
        "candidates": result.candidates,
        "reps": [
            {
                "id": rep.id,
                "before": str(rep.before),
                "after": str(rep.after),
                "target": j.amount(rep.target, shown),
                "low": j.amount(rep.low, shown),
                "high": j.amount(rep.high, shown),
                "accounts_before": rep.accounts_before,
                "accounts_after": rep.accounts_after,
            }
            for rep in result.reps
        ],
        "moves": [
            {
                "account": move.account,
                "from": move.source or None,
                "to": move.to,
                "metric": str(move.metric),
                "reason": move.reason,
            }
            for move in result.moves
        ],
        "problems": list(result.problems),
    }
