"""The fiscal calendar: periods, fiscal months, tenure and ramp productivity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

MONTHS = 12
ONE = Decimal(1)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Calendar:
    """A fiscal year of 12 months starting at `start`, cut into quarters or months."""

    start: date
    kind: str  # "quarter" | "month"

    @property
    def months_per_period(self) -> int:
        return 3 if self.kind == "quarter" else 1

    @cached_property
    def labels(self) -> tuple[str, ...]:
        if self.kind == "quarter":
            return ("Q1", "Q2", "Q3", "Q4")
        return tuple(f"M{m:02d}" for m in range(1, MONTHS + 1))

    def tenure_key(self, start: date | None, end: date | None) -> tuple[int, int]:
        """What productivity depends on: the fiscal months of the start and of the end."""
        return (
            self.month_index(start) if start is not None else -10_000,
            self.month_index(end) if end is not None else 10_000,
        )

    def month_index(self, day: date) -> int:
        """The fiscal month holding `day`: 0 for the first, negative before the year."""
        return (day.year - self.start.year) * MONTHS + day.month - self.start.month

    def period_of_month(self, month: int) -> int:
        return month // self.months_per_period

    def month_start(self, month: int) -> date:
        total = self.start.month - 1 + month
        return date(self.start.year + total // MONTHS, total % MONTHS + 1, 1)

    def per_period(self, monthly: Sequence[Decimal]) -> list[Decimal]:
        """Monthly values summed into the calendar's periods."""
        size = self.months_per_period
        return [sum(monthly[i : i + size], ZERO) for i in range(0, MONTHS, size)]


def productivity(
    calendar: Calendar,
    start: date | None,
    end: date | None,
    ramp: Sequence[Decimal],
) -> list[Decimal]:
    """A rep's productivity in each fiscal month (DESIGN §4.4).

    The month holding the start date is tenure month 1 and gets ramp[0]; past the ramp it
    is 1; before the start it is 0, and from the month holding the end date on it is 0.
    """
    first = calendar.month_index(start) if start is not None else -10_000
    stop = calendar.month_index(end) if end is not None else 10_000
    values: list[Decimal] = []
    for month in range(MONTHS):
        if month < first or month >= stop:
            values.append(ZERO)
            continue
        tenure = month - first  # 0-based tenure month
        values.append(ramp[tenure] if tenure < len(ramp) else ONE)
    return values
