"""The fiscal calendar: periods, fiscal months, time on board and ramp productivity.

Time on board and productivity are exact fractions (`Fraction`): a rep on board 17 of
September's 30 days has 17/30 of that month, and sums of such months stay exact until a
figure is shown (docs/design.md, "Top-down allocation").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import TypeVar

MONTHS = 12
ONE = Decimal(1)
ZERO = Decimal(0)
NONE: Fraction = 0  # type: ignore[assignment]  # exact ints where whole: fast to add
FULL: Fraction = 1  # type: ignore[assignment]
Amount = TypeVar("Amount", Decimal, Fraction)
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# ASCII digits only, as in an amount (tables.read_number): `\d` takes any script's, and
# `Q৪` (a Bengali four, drawn like an 8) would be Q4 where a reviewer reads Q8
NUMBERED_LABEL = re.compile(r"([qm])0*(\d{1,2})", re.ASCII)  # a label: Q1, m01, M1
_MONTH_YEAR = re.compile(r"([a-z]{3,9})[\s./'-]*(\d{2}|\d{4})", re.ASCII)  # Feb-27, feb 2027
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})", re.ASCII)  # 2027-02


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

    def shown_label(self, index: int) -> str:
        """How people see a period: `Q2`, or `Feb-27` for a month of a monthly plan."""
        if self.kind == "quarter":
            return self.labels[index]
        return f"{self.month_start(index):%b-%y}"

    def find_period(self, name: str) -> tuple[str, tuple[int, ...]] | None:
        """The period `name` asks for (`rollup --period`), as its label and the periods it
        spans; None if the calendar has none by that name. A label may be written in any
        case and with leading zeros or without (`m1`, `Q01`); in a monthly plan, a month
        may also be named by month and year as the tables show it or as people write it
        (`Feb-27`, `feb 2027`, `February 2027`, `2027-02`), and a quarter (`Q1`) spans its
        three months. Each of these names one period only, so none is a guess."""
        key = name.strip().lower()
        numbered = NUMBERED_LABEL.fullmatch(key)
        if numbered is not None:
            kind, number = numbered[1], int(numbered[2])
            if kind == "q" and 1 <= number <= 4:
                size = self.months_per_period
                first = (number - 1) * 3 // size
                return f"Q{number}", tuple(range(first, first + 3 // size))
            if kind == "m" and self.kind == "month" and 1 <= number <= MONTHS:
                return self.labels[number - 1], (number - 1,)
            return None
        month = self.named_month(key)
        if self.kind == "month" and month is not None and 0 <= month < MONTHS:
            return self.labels[month], (month,)
        return None

    def named_month(self, name: str) -> int | None:
        """The fiscal month (0 for the first; outside 0..11 outside the year) that `name`
        gives by month and year (`Feb-27`, `feb 2027`, `2027-02`), None if it gives none.
        A two-digit year is the one of its century nearest the fiscal year."""
        key = name.strip().lower()
        if (found := _YEAR_MONTH.fullmatch(key)) is not None:
            year, month = int(found[1]), int(found[2])
        elif (found := _MONTH_YEAR.fullmatch(key)) is not None:
            word, year = found[1], int(found[2])
            month = next((i + 1 for i, m in enumerate(MONTH_NAMES) if m.startswith(word)), 0)
            if len(found[2]) == 2:
                century = self.start.year - self.start.year % 100
                nearest = (century + d + year for d in (-100, 0, 100))
                year = min(nearest, key=lambda y: abs(y - self.start.year))
        else:
            return None
        if not 1 <= month <= MONTHS:
            return None
        return (year - self.start.year) * MONTHS + month - self.start.month

    def submitted_period(self, text: str) -> str | None:
        """The label of the period a submission's period cell names: any name that
        `find_period` takes for one period (`q1`, `M1`, `Feb-27`), or a date (`2027-03-01`,
        as an XLSX date cell reads) in the fiscal year, for the period holding it; else
        None (a quarter of a monthly plan spans three periods: no one of them)."""
        found = self.find_period(text)
        if found is not None:
            label, members = found
            return label if len(members) == 1 else None
        day = as_date(text)
        if day is None or not 0 <= self.month_index(day) < MONTHS:
            return None
        return self.labels[self.period_of_month(self.month_index(day))]

    @cached_property
    def end(self) -> date:
        """The first day after the fiscal year."""
        return self.month_start(MONTHS)

    @cached_property
    def month_bounds(self) -> tuple[tuple[date, date], ...]:
        """Each fiscal month's first and last day."""
        return tuple(
            (self.month_start(m), self.month_start(m + 1) - timedelta(days=1))
            for m in range(MONTHS)
        )

    def month_index(self, day: date) -> int:
        """The fiscal month holding `day`: 0 for the first, negative before the year."""
        return (day.year - self.start.year) * MONTHS + day.month - self.start.month

    def period_of_month(self, month: int) -> int:
        return month // self.months_per_period

    def period_start(self, period: int) -> date:
        return self.month_start(period * self.months_per_period)

    def month_start(self, month: int) -> date:
        total = self.start.month - 1 + month
        return date(self.start.year + total // MONTHS, total % MONTHS + 1, 1)

    def per_period(self, monthly: Sequence[Amount]) -> list[Amount]:
        """Monthly values summed into the calendar's periods."""
        size = self.months_per_period
        return [sum(monthly[i + 1 : i + size], monthly[i]) for i in range(0, MONTHS, size)]

    def on_board(self, start: date | None, end: date | None) -> list[Fraction]:
        """Time on board per fiscal month: the fraction of the month's days employed,
        `start` and `end` both inclusive (docs/design.md, "Top-down allocation"). Whole months are the int 1 (exact,
        and fast to add up); only the first and last months of an employment are fractions."""
        first = 0 if start is None else self.month_index(start)
        last = MONTHS - 1 if end is None else self.month_index(end)
        values: list[Fraction] = []
        for month, (month_first, month_last) in enumerate(self.month_bounds):
            if month < first or month > last:
                values.append(NONE)
                continue
            since = month_first if start is None or start < month_first else start
            until = month_last if end is None or end > month_last else end
            if since == month_first and until == month_last:
                values.append(FULL)
            else:
                days = (month_last - month_first).days + 1
                values.append(Fraction((until - since).days + 1, days))
        return values


def as_date(text: str) -> date | None:
    """The day a text gives as `YYYY-MM-DD`, alone or at midnight (`2027-03-01 00:00:00`,
    how a date cell of a workbook reads); else None."""
    day, _, time = text.partition(" ")
    if len(day) != 10 or time not in ("", "00:00:00"):
        return None
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def exact_sum(values: Sequence[Fraction]) -> Fraction:
    """`sum(values, NONE)`: the same number, of the same type (an int when every value is
    one), added as whole numbers over one common denominator. A year of time on board or
    productivity is ints but for a Fraction or two, and every addition of a Fraction
    reduces the partial sum (a gcd each): 2.4 -> 1.1 ms for the 326 kinds of reps of the
    10k plan."""
    denominator = math.lcm(*[v.denominator for v in values])
    if denominator == 1:
        return sum(values, NONE)
    scaled = [v.numerator * (denominator // v.denominator) for v in values]
    return Fraction(sum(scaled), denominator)


def fraction_of_year(on_board: Sequence[Fraction]) -> Fraction:
    """The sum of the twelve months' time on board over 12 (a rep starting mid-year: 6/12)."""
    return Fraction(exact_sum(on_board), MONTHS) if on_board else Fraction(0)


_RAMPS: dict[Decimal, Fraction] = {}


def _exact(value: Decimal) -> Fraction:
    found = _RAMPS.get(value)
    if found is None:
        found = _RAMPS[value] = Fraction(value)
        if found.denominator == 1:
            found = _RAMPS[value] = int(found)  # type: ignore[assignment]
    return found


def productivity(
    calendar: Calendar,
    start: date | None,
    end: date | None,
    ramp: Sequence[Decimal],
) -> list[Fraction]:
    """A rep's productivity in each fiscal month (docs/design.md, "Capacity"): ramp[k-1] in tenure month k
    (the month holding the start date is tenure month 1), 1 past the ramp, times the
    month's time on board (so the first and last months count pro rata by days)."""
    first = calendar.month_index(start) if start is not None else -10_000
    values: list[Fraction] = []
    for month, share in enumerate(calendar.on_board(start, end)):
        if not share:
            values.append(NONE)
            continue
        tenure = month - first  # 0-based tenure month
        values.append(share * _exact(ramp[tenure]) if tenure < len(ramp) else share)
    return values
