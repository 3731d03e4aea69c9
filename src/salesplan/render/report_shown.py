"""The report's amounts as people see them (docs/design.md, "Money and rounding"): each
column that adds up is carved from its total, rounded once, so that the rows shown add up to
the total shown, where amounts rounded one by one would not (with `rounding: 1000`, teams of
3,602,219 + 3,219,102 + 2,419,102 + 2,899,102 against a total of 12,139,524)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from salesplan.fiscal import ZERO
from salesplan.render.table import carved, carved_periods

if TYPE_CHECKING:
    from salesplan.report import LevelReport, NodeRow, PeriodRow, Report


def total_of(amounts: Sequence[Decimal | None]) -> Decimal | None:
    """The sum of the amounts there are; None when there are none."""
    present = [a for a in amounts if a is not None]
    return sum(present, ZERO) if present else None


def blanks_carved(
    values: Sequence[Decimal | None], keys: Sequence[str], places: int
) -> list[Decimal | None]:
    """`table.carved` of the amounts there are; a blank stays blank."""
    kept = [(v, k) for v, k in zip(values, keys) if v is not None]
    shown = iter(carved([v for v, _ in kept], [k for _, k in kept], places))
    return [None if v is None else next(shown) for v in values]


def shown_level(level: LevelReport, places: int) -> tuple[list[NodeRow], NodeRow]:
    """A level's rows and total as shown: the quotas, forecasts and expected bookings each
    carved from their total, the gaps their differences (the coverage stays exact)."""
    rows = level.rows
    ids = [r.id for r in rows]
    quotas = blanks_carved([r.quota for r in rows], ids, places)
    forecasts = carved([r.forecast for r in rows], ids, places)
    capacities = carved([r.capacity for r in rows], ids, places)
    shown = [
        replace(r, quota=q, forecast=f, capacity=c, gap=None if q is None else q - f)
        for r, q, f, c in zip(rows, quotas, forecasts, capacities)
    ]
    quota = sum((q for q in quotas if q is not None), ZERO)
    forecast = sum(forecasts, ZERO)
    total = replace(
        level.total,
        quota=quota,
        forecast=forecast,
        capacity=sum(capacities, ZERO),
        gap=quota - forecast,
    )
    return shown, total


def shown_phasing(report: Report, places: int) -> list[PeriodRow]:
    """The periods as shown: each amount of the year carved into the periods as `capacity`
    carves them too (`table.carved_periods`: in a monthly plan, the quarters from the year
    and their months from them); the gaps their differences, the coverage exact."""
    rows = report.phasing
    labels = list(report.periods)

    def column(values: list[Decimal]) -> list[Decimal]:
        return carved_periods(values, labels, places)

    targets = column([r.target for r in rows])
    forecasts = column([r.forecast for r in rows])
    return [
        replace(r, target=t, quotas=q, capacity=c, forecast=f, gap=t - f)
        for r, t, q, c, f in zip(
            rows,
            targets,
            column([r.quotas for r in rows]),
            column([r.capacity for r in rows]),
            forecasts,
        )
    ]
