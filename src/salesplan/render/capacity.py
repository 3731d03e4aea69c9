"""Views of a capacity report: per-period table, per-rep table and the JSON document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from salesplan.capacity import CapacityReport, RepCapacity
from salesplan.fiscal import MONTHS
from salesplan.money import AmountTexts
from salesplan.render import json as j
from salesplan.render.output import Format, emit
from salesplan.render.table import (
    HIGH,
    LOW,
    Cell,
    Column,
    Money,
    Ratio,
    ResultTable,
    carved,
    carved_periods,
    some_of,
)

TABLES = ("periods", "reps")  # the names of its tables, for `--table NAME`


def tables(
    report: CapacityReport,
    exponent: int,
    decimals: int | None = None,
    labels: Sequence[str] | None = None,
) -> list[ResultTable]:
    """The periods (named by `labels`, as the other tables name them: `Feb-27`) and the
    reps; with `decimals` (for people), the amounts carved again at those decimals, so that
    the periods add up to the year (a month as `report` shows it: `carved_periods`) and the
    reps to the totals of the notes."""
    periods = ResultTable(
        f"Expected bookings vs target ({report.currency})",
        [
            Column("period"),
            Column("target", True),
            Column("expected bookings", True),
            Column("gap", True),
            Column("capacity coverage", True),
        ],
        name="periods",
        decimals=decimals,
    )
    shown = carved_periods(report.capacity, report.periods, decimals)
    # for people, a monthly plan's quarters as subtotals (as `report` shows its phasing)
    quarters = decimals is not None and len(shown) == MONTHS
    names = labels or report.periods
    for i, (label, target, capacity, booked) in enumerate(
        zip(names, report.target, report.capacity, shown)
    ):
        periods.add(_period_cells(label, target, capacity, booked, exponent))
        if quarters and i % 3 == 2:
            months = slice(i - 2, i + 1)
            cells = _period_cells(
                f"Q{i // 3 + 1}",
                sum(report.target[months], Decimal(0)),
                sum(report.capacity[months], Decimal(0)),
                sum(shown[months], Decimal(0)),
                exponent,
            )
            periods.add(cells, strong=True)
    year = sum(shown, Decimal(0))  # the total, rounded once
    periods.add(
        [
            "year",
            Money(report.total_target, exponent),
            Money(year, exponent),
            Money(report.total_target - year, exponent),
            Ratio(report.coverage, "coverage"),
        ],
        strong=True,
    )
    periods.notes.extend(summary_lines(report, exponent if decimals is None else decimals))
    reps = ResultTable(
        f"Reps (quotas: {report.quota_source})",
        [
            Column("rep", priority=HIGH),
            Column("team", priority=LOW),
            Column("status"),
            Column("months on board", True, LOW),
            Column("quota capacity", True, HIGH),
            Column("expected bookings", True, HIGH),
            Column("quota", True, HIGH),
            Column("OTE (pro rata)", True),
            Column("commission rate", True, LOW),
            Column("quota/OTE", True, LOW),
            Column("flag"),
        ],
        name="reps",
        decimals=decimals,
    )
    ids = [rep.id for rep in report.reps]
    quota_capacity = carved([rep.quota_capacity for rep in report.reps], ids, decimals)
    bookings = carved([rep.capacity for rep in report.reps], ids, decimals)
    ote = carved([rep.ote for rep in report.reps], ids, decimals)
    for rep, carryable, booked, pay in zip(report.reps, quota_capacity, bookings, ote):
        reps.add(
            [
                rep.id,
                rep.parent or "",
                rep.status,
                _months(rep.months_on_board),
                Money(carryable, exponent),
                Money(booked, exponent),
                Money(rep.quota, exponent) if rep.quota is not None else None,
                Money(pay, exponent),
                Ratio(rep.commission_rate),
                Ratio(rep.quota_to_ote, "plain"),
                "over capacity" if rep.over_capacity else "",
            ]
        )
    return [periods, reps]


def _months(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _period_cells(
    label: str, target: Decimal, capacity: Decimal, booked: Decimal, exponent: int
) -> list[Cell]:
    """A row of the periods table: `booked` is the expected bookings as shown (carved),
    `capacity` the exact figure its coverage is worked out from."""
    return [
        label,
        Money(target, exponent),
        Money(booked, exponent),
        Money(target - booked, exponent),
        Ratio(capacity / target if target else None, "coverage"),
    ]


def summary_lines(report: CapacityReport, exponent: int) -> list[str]:
    lines = [
        f"Quota capacity of the reps: {report.total_quota_capacity:,.{exponent}f} (the quota they "
        f"can carry); expected bookings {report.total_capacity:,.{exponent}f} after attainment "
        "and attrition."
    ]
    if report.hires_needed is None:
        lines.append(
            f"A hire starting {report.hire_start} adds no expected bookings this fiscal year: the gap cannot be closed by hiring."
        )
    elif report.hires_needed == 0:
        lines.append("Expected bookings cover the target: no hire needed.")
    else:
        lines.append(
            f"Hires needed: {report.hires_needed} (each starting {report.hire_start} on the default ramp "
            f"adds {report.hire_capacity:,.{exponent}f} of expected bookings)."
        )
        for gap in report.by_profile:
            count = "none can close it" if gap.hires_needed is None else str(gap.hires_needed)
            lines.append(
                f"  as {gap.profile} hires: {count} (each adds {gap.hire_capacity:,.{exponent}f})."
            )
    if report.cost_of_sales is not None:
        budget = (
            f" (budget {report.max_cost_of_sales:.1%})"
            if report.max_cost_of_sales is not None
            else ""
        )
        verdict = " OVER BUDGET" if report.over_budget else ""
        lines.append(
            f"Cost of sales: {report.cost_of_sales:.1%}{budget}: OTE {report.total_ote:,.{exponent}f}.{verdict}"
        )
    over = [r.id for r in report.reps if r.over_capacity]
    if over:
        listed = some_of(over, "the reps table")
        lines.append(f"Over capacity (quota above quota capacity): {listed}.")
    return lines


def document(report: CapacityReport, exponent: int) -> dict[str, Any]:
    e = exponent
    return {
        "currency": report.currency,
        "periods": list(report.periods),
        "target": j.amounts(report.target, e),
        "capacity": j.amounts(report.capacity, e),
        "total_target": j.amount(report.total_target, e),
        "total_capacity": j.amount(report.total_capacity, e),
        "gap": j.amount(report.gap, e),
        "coverage": j.ratio(report.coverage),
        "cost_of_sales": j.ratio(report.cost_of_sales),
        "max_cost_of_sales": j.ratio(report.max_cost_of_sales),
        "total_ote": j.amount(report.total_ote, e),
        "hire_start": report.hire_start.isoformat(),
        "hire_capacity": j.amount(report.hire_capacity, e),
        "hires_needed": report.hires_needed,
        "total_quota_capacity": j.amount(report.total_quota_capacity, e),
        "hires_by_profile": [
            {
                "profile": g.profile,
                "hire_capacity": j.amount(g.hire_capacity, e),
                "hires_needed": g.hires_needed,
            }
            for g in report.by_profile
        ],
        "quota_source": report.quota_source,
        "reps": j.EncodedRecords(map(_rep_json(AmountTexts(exponent)), report.reps)),
    }


def _rep_json(text: AmountTexts) -> Callable[[RepCapacity], str]:
    """A rep as its JSON record ({"id", "parent", "status", "profile", "months_employed",
    "productive_months", "quota_capacity", "capacity", "periods", "ote", "quota",
    "commission_rate", "quota_to_ote", "over_capacity"}), written by a template
    (for j.EncodedRecords); the months and periods of reps alike written once. A rep's own amounts
    (carved for them, new Decimals) are formatted, not looked up (`AmountTexts.fresh`)."""
    months = j.Once(lambda value: j.number(j.ratio(value)))
    periods = j.Once(lambda values: j.amount_list(text, values))
    string, optional, boolean, fresh = j.string, j.string_or_null, j.BOOLEAN, text.fresh

    def quota(amount: Decimal | None) -> str:
        return "null" if amount is None else f'"{fresh(amount)}"'

    def encode(r: RepCapacity) -> str:
        return (
            f'{{"id": {string(r.id)}, "parent": {optional(r.parent)}, '
            f'"status": {string(r.status)}, "profile": {optional(r.profile)}, '
            f'"months_employed": {months[r.months_on_board]}, '
            f'"productive_months": {months[r.productive_months]}, '
            f'"quota_capacity": "{fresh(r.quota_capacity)}", "capacity": "{fresh(r.capacity)}", '
            f'"periods": {periods[r.periods]}, "ote": "{fresh(r.ote)}", '
            f'"quota": {quota(r.quota)}, '
            f'"commission_rate": {j.number(j.ratio(r.commission_rate))}, '
            f'"quota_to_ote": {j.number(j.ratio(r.quota_to_ote))}, '
            f'"over_capacity": {boolean[r.over_capacity]}}}'
        )

    return encode


def render(
    report: CapacityReport,
    fmt: Format,
    exponent: int,
    decimals: int,
    table: str | None,
    labels: Sequence[str] | None = None,
) -> None:
    """Write a capacity report to stdout in `fmt` (`table`: only that one); CSV has the
    exact amounts, people's formats those of `decimals`, and the periods' `labels`."""
    shown = None if fmt is Format.csv else decimals
    named = None if fmt is Format.csv else labels
    emit(
        fmt,
        lambda: tables(report, exponent, shown, named),
        lambda: document(report, exponent),
        table,
    )
