"""A neutral table, the shape every tabular result takes before a format renders it.

Cells keep their type (Money, Ratio, text), so CSV writes exact numbers while the text and
Markdown views add thousands separators and percent signs. One rule decides how an amount
looks to people: the plan's rounding unit and its currency (`display_decimals`); one rule
how a ratio looks: a percent with one decimal (`percent`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from salesplan.fiscal import MONTHS
from salesplan.money import round_to_unit, split_amount

if TYPE_CHECKING:
    from salesplan.plan import Plan

# How much a column matters when a terminal is too narrow for all of them: the lowest go
# first (the rightmost of equals first); the first column is always kept.
LOW, NORMAL, HIGH = 0, 1, 2


class Money(NamedTuple):  # a tuple: a table of 10,000 rows makes 100,000 cells
    value: Decimal
    exponent: int = 2  # the currency's decimals: what machines (CSV, XLSX) get
    signed: bool = False  # a change: +1,280,000.00 and -3,000.00, as pp and hires show


class Ratio(NamedTuple):
    value: Decimal | None
    kind: str = "percent"  # "percent" | "coverage" | "shift" | "points" | "plain"


Cell = str | int | Money | Ratio | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a result table: how it is headed, aligned, coloured and dropped."""

    header: str
    numeric: bool = False
    priority: int = NORMAL  # LOW columns are dropped first on a narrow terminal
    signed: bool = False  # text cells starting with +/- are coloured as gains and losses
    key: str = ""  # the header machines get (CSV) when it differs: M01 for "Feb-27"
    derived: bool = False  # a subtotal of other columns, for people only (not in CSV)
    group: str = ""  # columns of one group (the months) are shown or left out together
    wrap_min: int = 0  # a wrapped text column is never narrower than this (a reason, a note)


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class ResultTable:
    """A result as a table, format-free: its columns, rows and notes; each render/ module
    writes it in its own format."""

    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)  # per row, for tree indentation (text only)
    strong: list[bool] = field(default_factory=list)  # per row: a total or a unit row
    notes: list[str] = field(default_factory=list)
    name: str = ""  # a short name for `--table NAME` (one table per CSV)
    decimals: int | None = None  # decimals people see; None: each amount's own exponent

    def add(self, cells: list[Cell], depth: int = 0, strong: bool = False) -> None:
        self.rows.append(cells)
        self.depth.append(depth)
        self.strong.append(strong)


NAMES_SHOWN = 10  # a note lists this many names of a longer list, then counts the rest


def some_of(names: Sequence[str], flagged_in: str | None = None) -> str:
    """The names of a note: all of a short list; of a long one (thousands of reps on a real
    org) the first NAMES_SHOWN and how many more, with the table that flags every one."""
    if len(names) <= NAMES_SHOWN:
        return ", ".join(names)
    more = len(names) - NAMES_SHOWN
    where = f" ({flagged_in} flags each)" if flagged_in else ""
    return f"{', '.join(names[:NAMES_SHOWN])} and {more:,} more{where}"


def display_decimals(plan: Plan) -> int:
    """Decimals shown to people: those of the rounding unit, at most the currency's
    (0 for a plan rounded to 1,000 USD; 2 for one rounded to the cent; 0 for JPY)."""
    unit = plan.unit.normalize().as_tuple().exponent
    assert isinstance(unit, int)
    return min(plan.currency_exponent, max(0, -unit))


def carved(values: Sequence[Decimal], keys: Sequence[str], decimals: int | None) -> list[Decimal]:
    """Amounts that add up, as people see them with `decimals`: their total rounded once
    (half-even) and each carved from it by largest remainder (docs/design.md, "Money and
    rounding"), so the shown amounts add up to the shown total, where amounts rounded one by
    one would not (12,139,524 shown as 3,602,219 + 3,219,102 + ...). The amounts as they are
    when `decimals` is None; amounts of both signs are rounded one by one."""
    if decimals is None:
        return list(values)
    unit = Decimal(1).scaleb(-decimals)
    if all(v >= 0 for v in values):
        return split_amount(sum(values, Decimal(0)), values, keys, unit)
    if all(v <= 0 for v in values):
        return [
            -p for p in split_amount(-sum(values, Decimal(0)), [-v for v in values], keys, unit)
        ]
    return [round_to_unit(v, unit) for v in values]


QUARTERS = ["Q1", "Q2", "Q3", "Q4"]  # a monthly plan's quarters, as ties name them


def carved_periods(
    values: Sequence[Decimal], keys: Sequence[str], decimals: int | None
) -> list[Decimal]:
    """Amounts per period of the year (`keys`, the calendar's: M01 or Q1), as people see them
    with `decimals`: the year rounded once and, in a monthly plan (twelve periods), carved
    into its quarters and each quarter into its months, so that a month shows the same
    wherever it is shown, with or without its quarter's subtotal (`capacity`, `report`), and
    the months add up to their quarter and the quarters to the year (docs/design.md, "Money
    and rounding"). A quarterly plan's periods are carved from the year; amounts of both
    signs, or with `decimals` None, are as `carved` gives them."""
    if decimals is None or len(values) != MONTHS or not all(v >= 0 for v in values):
        return carved(values, keys, decimals)
    unit = Decimal(1).scaleb(-decimals)
    months = [values[q : q + 3] for q in range(0, MONTHS, 3)]
    quarters = carved([sum(m, Decimal(0)) for m in months], QUARTERS, decimals)
    return [
        amount
        for q, (quarter, amounts) in enumerate(zip(quarters, months))
        for amount in split_amount(quarter, amounts, keys[3 * q : 3 * q + 3], unit)
    ]


def quantized(money: Money, decimals: int | None = None) -> Decimal:
    places = money.exponent if decimals is None else decimals
    return money.value.quantize(Decimal(1).scaleb(-places))


def amount(value: Decimal, decimals: int, sign: bool = False) -> str:
    """An amount for people: 1,234,000 or -1,234.50 (+ on gains when `sign`)."""
    shown = value.quantize(Decimal(1).scaleb(-decimals))
    return f"{shown:+,}" if sign else f"{shown:,}"


def percent(value: Decimal | float, sign: bool = False) -> str:
    """A ratio for people: 12.5% (+1.5% when `sign`)."""
    return f"{Decimal(str(value)) * 100:{'+' if sign else ''}.1f}%"


def points(delta: Decimal | float) -> str:
    """A change of percents in points, one decimal: +1.5 pp; one that rounds to nothing is
    +0.0 pp, never -0.0 pp (a fall of 0.0004 is no fall shown)."""
    shown = (Decimal(str(delta)) * 100).quantize(Decimal("0.1")) + 0  # -0.0 + 0 is 0.0
    return f"{shown:+.1f} pp"


def show(cell: Cell, decimals: int | None = None) -> str:
    """A cell for people: 1,234,000 and 12.5%."""
    if cell is None:
        return ""
    if isinstance(cell, Money):
        return f"{quantized(cell, decimals):{'+' if cell.signed else ''},}"
    if isinstance(cell, Ratio):
        if cell.value is None:
            return "–"
        if cell.kind == "plain":
            return f"{cell.value:.2f}"
        if cell.kind == "points":  # a change of percents: +1.5 pp
            return points(cell.value)
        return percent(cell.value, sign=cell.kind == "shift" and cell.value != 0)
    return str(cell)


def raw(cell: Cell) -> str:
    """A cell for machines: exact decimals, ratios as plain numbers."""
    if cell is None:
        return ""
    if isinstance(cell, Money):
        return str(quantized(cell))
    if isinstance(cell, Ratio):
        return "" if cell.value is None else f"{cell.value:.6f}".rstrip("0").rstrip(".")
    return str(cell)
