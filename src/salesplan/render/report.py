"""Views of a `Report`: its tables, shared by text, Markdown, HTML and XLSX. The JSON
document is in report_json; the choice of format and destination in report_file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from salesplan.fiscal import ZERO
from salesplan.render import reconcile as reconcile_view
from salesplan.render.report_shown import blanks_carved, shown_level, shown_phasing, total_of
from salesplan.render.table import (
    HIGH,
    LOW,
    Cell,
    Column,
    Money,
    Ratio,
    ResultTable,
    percent,
    some_of,
)
from salesplan.words import counted

if TYPE_CHECKING:
    from salesplan.report import NodeRow, PeriodRow, Report


# ---- tables


def money(report: Report, exact: bool) -> Callable[[Any], Money | None]:
    exponent = decimals(report, exact)
    return lambda value: None if value is None else Money(value, exponent)


def decimals(report: Report, exact: bool) -> int:
    """The decimals amounts are shown with: the currency's when `exact` (XLSX), else
    those people see."""
    return report.exponent if exact else report.display_exponent


def summary_lines(report: Report, exact: bool = False) -> list[tuple[str, Cell, str]]:
    """(measure, value, detail) rows of the summary."""
    s = report.summary
    m = money(report, exact)
    missing = some_of(s.missing)
    rows: list[tuple[str, Cell, str]] = [
        ("Target", m(s.target), f"{report.currency}, {report.year_start} to {report.year_end}"),
        (
            "Rep quotas",
            m(s.rep_quotas),
            f"{percent(s.over_assignment[-1].effective, sign=True)} over the target"
            if s.over_assignment
            else "",
        ),
        (
            "Expected bookings",
            m(s.capacity),
            _coverage_text(s.capacity_coverage, "of the target (capacity coverage)"),
        ),
        ("Hires needed", _hires(s.hires_needed), _hire_text(report)),
        ("Cost of sales", Ratio(s.cost_of_sales), _budget_text(report)),
        (
            "Forecast (bottom-up)",
            m(s.forecast),
            _coverage_text(s.forecast_coverage, "of the target"),
        ),
        ("Forecast gap", m(s.forecast_gap), "target minus forecast"),
        (
            "Missing submissions",
            len(s.missing),
            missing or f"all {counted(s.submitted, 'rep')} submitted",
        ),
        ("quotas.yaml", s.quotas_file, _quotas_text(s.quotas_file)),
        ("Diagnostics", s.errors + s.warnings, _diagnostics_text(s.errors, s.warnings)),
    ]
    return rows


def _hires(needed: int | None) -> Cell:
    return "–" if needed is None else needed


def _coverage_text(coverage: Any, what: str) -> str:
    return "" if coverage is None else f"{coverage:.1%} {what}"


def _hire_text(report: Report) -> str:
    s = report.summary
    if s.hires_needed is None:
        return f"a hire starting {s.hire_start} adds no capacity this year"
    if s.hires_needed == 0:
        return "capacity covers the target"
    return (
        f"starting {s.hire_start} on the default ramp, each adds "
        f"{s.hire_capacity:,.{report.display_exponent}f}"
    )


def _budget_text(report: Report) -> str:
    s = report.summary
    text = f"OTE {s.total_ote:,.{report.display_exponent}f}"
    if s.max_cost_of_sales is not None:
        text += f"; budget {s.max_cost_of_sales:.1%}"
        text += ": over budget" if s.over_budget else ""
    return text


def _diagnostics_text(errors: int, warnings: int) -> str:
    if not errors and not warnings:
        return "the plan is clean"
    return f"{counted(errors, 'error')}, {counted(warnings, 'warning')}: salesplan check lists them"


def _quotas_text(status: str) -> str:
    return {
        "absent": "not written yet: quotas computed now (salesplan allocate --write)",
        "fresh": "matches the quotas computed now",
        "stale": "out of date: quotas computed now; run salesplan allocate --write",
        "edited by hand": "differs from allocate: salesplan check shows where",
    }.get(status, "")


def tables(report: Report, exact: bool = False) -> list[ResultTable]:
    """Every table of the report. `exact`: amounts to the currency's minor unit (XLSX)."""
    return [table for _, table in named_tables(report, exact)]


def named_tables(report: Report, exact: bool = False) -> list[tuple[str, ResultTable]]:
    """The tables, each with a short name (an XLSX sheet)."""
    found = [
        ("Summary", summary_table(report, exact)),
        ("Over-assignment", over_assignment_table(report, exact)),
    ]
    found += [
        (f"By {level.level}", level_table(report, i, exact))
        for i, level in enumerate(report.levels)
    ]
    found.append(("Quota per period", rep_periods_table(report, exact)))
    if report.territories is not None:
        found.append(("Territories", territory_table(report, exact)))
    found.append(("Phasing", phasing_table(report, exact)))
    if report.hybrid is not None:
        found.append(("Hybrid flags", hybrid_table(report, exact)))
    return found


def summary_table(report: Report, exact: bool = False) -> ResultTable:
    table = ResultTable("Summary", [Column("measure"), Column("value", True), Column("detail")])
    for row in summary_lines(report, exact):
        table.add(list(row))
    return table


def over_assignment_table(report: Report, exact: bool = False) -> ResultTable:
    m = money(report, exact)
    table = ResultTable(
        "Over-assignment by level",
        [
            Column("level"),
            Column("nominal", True),
            Column("quotas", True),
            Column("over the target", True),
        ],
    )
    for share in report.summary.over_assignment:
        table.add(
            [share.level, Ratio(share.nominal), m(share.total), Ratio(share.effective, "shift")]
        )
    table.notes.append(
        "Nominal: the level's over_assign; over the target: the level's quotas "
        "summed, against the company target."
    )
    return table


def level_table(report: Report, index: int, exact: bool = False) -> ResultTable:
    level = report.levels[index]
    m = money(report, exact)
    is_rep = index == len(report.levels) - 1
    columns = [Column(level.level, priority=HIGH)]
    columns += [Column("name", priority=LOW)]
    if index:
        columns.append(Column(report.levels[index - 1].level, priority=LOW))
    columns += [Column("status", priority=LOW)] if is_rep else []
    columns += [Column("quota", True, HIGH), Column("forecast", True, HIGH)]
    columns += [Column("gap", True), Column("coverage", True, HIGH), Column("expected", True)]
    columns += [] if is_rep else [Column("active", True, LOW), Column("planned", True, LOW)]
    table = ResultTable(f"By {level.level}", columns, name=level.level)

    def cells(row: NodeRow) -> list[Cell]:
        out: list[Cell] = [row.id]
        out += [row.name or ""]
        out += [row.parent or ""] if index else []
        out += [row.status or ""] if is_rep else []
        out += [
            m(row.quota),
            m(row.forecast),
            m(row.gap),
            # a planned hire is not expected to forecast: no coverage to colour red
            Ratio(None if row.status == "planned" else row.coverage, "coverage"),
            m(row.capacity),
        ]
        out += [] if is_rep else [row.active, row.planned]
        return out

    rows, total = shown_level(level, decimals(report, exact))
    for row in rows:
        table.add(cells(row))
    table.add(cells(total), strong=True)
    if is_rep:
        table.notes.append(
            f"Headcount: {level.total.active} active, {level.total.planned} planned. "
            "Expected: expected bookings after ramp, attainment and attrition."
        )
    return table


def rep_periods_table(report: Report, exact: bool = False) -> ResultTable:
    """Each rep's quota per period (the source of quota letters), with quarter subtotals in a
    monthly plan, and the total of every column."""
    from salesplan.render import periods

    m = money(report, exact)
    spec = periods.period_columns(report.calendar)
    columns = [Column("rep", priority=HIGH), Column("name", priority=LOW)]
    columns += [Column("team" if len(report.levels) > 1 else "parent", priority=LOW)]
    columns += [Column("quota", True, HIGH), *periods.columns(spec)]
    table = ResultTable("Quota per rep and period", columns, name="quota-per-period")
    exponent = report.exponent if exact else report.display_exponent
    totals = [ZERO] * len(report.periods)
    for rep in report.reps:
        totals = [a + b for a, b in zip(totals, rep.quota)]
        cells: list[Cell] = [rep.id, rep.name or "", rep.parent or "", m(rep.total)]
        table.add([*cells, *periods.cells(spec, rep.quota, exponent)])
    total: list[Cell] = ["total", "", "", m(sum(totals, ZERO))]
    table.add([*total, *periods.cells(spec, totals, exponent)], strong=True)
    table.notes.append(
        "Each rep's quota split over the periods by seasonality and the rep's ramp; "
        "the periods add up to the quota."
    )
    return table


def territory_table(report: Report, exact: bool = False) -> ResultTable:
    """Territories; the history column only when some territory gives a history."""
    m = money(report, exact)
    totals = report.territory_totals
    history = totals is not None and totals.history is not None
    columns = [Column("territory"), Column("name", priority=LOW)]
    columns += [Column("owner"), Column("segment"), Column("potential", True)]
    columns += [Column("history", True)] if history else []
    columns += [Column("owner quota", True), Column("quota/potential", True), Column("flag")]
    table = ResultTable("Territories", columns)
    flags = {"open": "open", "unknown": "unknown owner", "planned": "planned hire"}
    territories = report.territories or ()
    ids, places = [t.id for t in territories], decimals(report, exact)
    potentials = blanks_carved([t.potential for t in territories], ids, places)
    histories = blanks_carved([t.history for t in territories], ids, places)
    for t, potential, past in zip(territories, potentials, histories):
        cells: list[Cell] = [t.id]
        cells += [t.name or ""]
        cells += [t.owner or "", t.segment or "", m(potential)]
        cells += [m(past)] if history else []
        cells += [m(t.owner_quota), Ratio(t.quota_share), flags.get(t.owner_status, "")]
        table.add(cells)
    if totals is not None:
        total: list[Cell] = ["total"]
        total += [f"{totals.count} territories"]
        total += ["", "", m(total_of(potentials))] + ([m(total_of(histories))] if history else [])
        total += [None, None, f"{totals.open} open" if totals.open else ""]
        table.add(total, strong=True)
        if totals.open:
            table.notes.append(
                f"{totals.open} territory(ies) with a potential of "
                f"{totals.open_potential:,.{report.display_exponent}f} have no owner in the org."
            )
    table.notes.append(
        "quota/potential: the owner's quota against the potential of every territory they own."
    )
    if not history:
        table.notes.append("No territory gives a history metric.")
    return table


def phasing_table(report: Report, exact: bool = False) -> ResultTable:
    m = money(report, exact)
    table = ResultTable(
        "Phasing per period",
        [
            Column("period"),
            Column("target", True),
            Column("rep quotas", True),
            Column("expected", True),
            Column("forecast", True),
            Column("gap", True),
            Column("coverage", True),
        ],
    )
    for row, strong in phasing_rows(report, decimals(report, exact)):
        table.add(
            [
                row.label,
                m(row.target),
                m(row.quotas),
                m(row.capacity),
                m(row.forecast),
                m(row.gap),
                Ratio(row.coverage, "coverage"),
            ],
            strong=strong,
        )
    table.notes.append(
        "Expected: expected bookings. Gap: target minus forecast. "
        "Coverage: forecast against the target."
    )
    return table


def phasing_rows(report: Report, places: int | None = None) -> list[tuple[PeriodRow, bool]]:
    """The periods with people's labels (`Feb-27`), a subtotal after each quarter of a
    monthly plan, and the year; with `places`, as shown with those decimals."""
    from salesplan.render.periods import label
    from salesplan.report import period_total

    exact = report.phasing
    shown = exact if places is None else tuple(shown_phasing(report, places))

    def total(name: str, start: int, end: int) -> PeriodRow:
        """The periods start..end added up, with the coverage of the exact figures."""
        coverage = period_total(name, exact[start:end]).coverage
        return replace(period_total(name, shown[start:end]), coverage=coverage)

    rows: list[tuple[PeriodRow, bool]] = []
    monthly = report.calendar.kind == "month"
    for i, row in enumerate(shown):
        rows.append((replace(row, label=label(report.calendar, i)), False))
        if monthly and i % 3 == 2:
            rows.append((total(f"Q{i // 3 + 1}", i - 2, i + 1), True))
    return [*rows, (total("year", 0, len(shown)), True)]


def hybrid_table(report: Report, exact: bool = False) -> ResultTable:
    hybrid = report.hybrid
    assert hybrid is not None
    m = money(report, exact)
    table = ResultTable(
        f"Hybrid proposal: flags (guardrail ±{hybrid.max_shift:.0%})", list(reconcile_view.COLUMNS)
    )
    for node in hybrid.flagged:
        table.add(
            [
                node.id,
                node.level,
                m(node.top_down),
                m(node.bottom_up),
                m(node.proposal),
                Ratio(node.shift, "shift"),
                ", ".join(node.flags),
            ]
        )
    table.notes.extend(hybrid_notes(report))
    return table


def hybrid_notes(report: Report) -> list[str]:
    hybrid = report.hybrid
    if hybrid is None:
        return []
    move = "moves" if hybrid.moved == 1 else "move"
    lines = [
        f"{counted(hybrid.moved, 'quota')} {move} in the proposal (salesplan reconcile shows them all)."
    ]
    if not hybrid.flagged:
        lines.append("No node is clamped, held, sandbagging or over capacity.")
    shown = {flag for node in hybrid.flagged for flag in node.flags}
    words = [
        text
        for flag, text in (
            ("clamped", f"Clamped: stopped by its own guardrail (±{hybrid.max_shift:.0%})."),
            ("held", "Held: stopped inside its guardrail by the pins and guardrails below it."),
        )
        if flag in shown
    ]
    if words:
        lines.append(" ".join(words))
    if hybrid.relaxed:
        lines.append(f"Guardrail relaxed for the children of {', '.join(hybrid.relaxed)}.")
    if hybrid.budget_breach:
        lines.append("Budget breach: cost of sales is above budget.max_cost_of_sales.")
    return lines + list(hybrid.problems)
