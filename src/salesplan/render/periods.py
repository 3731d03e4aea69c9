"""Period columns for people: month labels from the fiscal calendar (`Feb-27`) and, in a
monthly plan, a subtotal per quarter after its third month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from salesplan.fiscal import Calendar
from salesplan.render.table import LOW, NORMAL, Column, Money


@dataclass(frozen=True)
class PeriodColumn:
    header: str
    members: tuple[int, ...]  # the periods it sums: one, or three for a quarter subtotal

    @property
    def subtotal(self) -> bool:
        return len(self.members) > 1


def label(calendar: Calendar, index: int) -> str:
    """`Q2` for a quarterly plan; `Feb-27` for the first month of a year starting in February."""
    return calendar.shown_label(index)


def labels(calendar: Calendar) -> list[str]:
    return [label(calendar, i) for i in range(len(calendar.labels))]


def period_columns(calendar: Calendar, subtotals: bool = True) -> list[PeriodColumn]:
    """Every period, with quarter subtotals in a monthly plan."""
    found = []
    for i in range(len(calendar.labels)):
        found.append(PeriodColumn(label(calendar, i), (i,)))
        if subtotals and calendar.kind == "month" and i % 3 == 2:
            found.append(PeriodColumn(f"Q{i // 3 + 1}", (i - 2, i - 1, i)))
    return found


def columns(spec: Sequence[PeriodColumn]) -> list[Column]:
    """Months are the first to go on a narrow terminal; quarters stay longer."""
    monthly = any(p.subtotal for p in spec)
    return [
        Column(
            p.header,
            True,
            NORMAL if p.subtotal or not monthly else LOW,
            key=key,
            derived=p.subtotal,
            group="" if p.subtotal or not monthly else "months",
        )
        for p, key in zip(spec, keys(spec))
    ]


def keys(spec: Sequence[PeriodColumn]) -> list[str]:
    """The calendar's own labels (M01, Q1) for machines."""
    found, month = [], 0
    monthly = any(p.subtotal for p in spec)
    for p in spec:
        if p.subtotal:
            found.append(p.header)
        else:
            month += 1
            found.append(f"M{month:02d}" if monthly else p.header)
    return found


def cells(spec: Sequence[PeriodColumn], values: Sequence[Decimal], exponent: int) -> list[Money]:
    return [Money(sum((values[i] for i in p.members), Decimal(0)), exponent) for p in spec]
