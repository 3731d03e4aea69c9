"""Views of a scenario comparison (`salesplan scenarios`): side by side for scenarios, one
row per value for a sweep; text, JSON, Markdown and XLSX from the same tables."""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

from salesplan.render import json as j
from salesplan.render.scenario_format import ScenariosFormat
from salesplan.render.table import HIGH, LOW, NORMAL, Cell, Column, Money, Ratio, ResultTable, show
from salesplan.whatif import METRICS, MONEY, Comparison, Outcome, delta, is_amount
from salesplan.words import counted, noun

LABELS = {
    "target": "target",
    "total_quota": "total quota (reps)",
    "over_assignment": "effective over-assignment",
    "expected_bookings": "expected bookings",
    "capacity_coverage": "capacity coverage",
    "hires_needed": "hires needed",
    "cost_of_sales": "cost of sales",
    "forecast_coverage": "forecast coverage",
}
PERCENT = Decimal("0.001")  # a ratio as a percent with one decimal shows it
RATIO_KINDS = {
    "over_assignment": "shift",
    "capacity_coverage": "coverage",
    "cost_of_sales": "percent",
    "forecast_coverage": "coverage",
}


def printable(text: str) -> str:
    """User text with control characters (ESC, BEL, CR, newlines) shown as spaces."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def _cell(outcome: Outcome, metric: str, exponent: int) -> Cell:
    value = getattr(outcome, metric)
    if metric in MONEY:
        return Money(value, exponent)
    if metric == "hires_needed":
        return "–" if value is None else int(value)
    return Ratio(value, RATIO_KINDS[metric])


def _delta_cell(outcome: Outcome, base: Outcome, metric: str, exponent: int) -> Cell:
    change = delta(outcome, base, metric)
    if change is None:
        return None
    if metric in MONEY:
        return Money(change, exponent, signed=True)  # type: ignore[arg-type]
    if metric == "hires_needed":
        return f"{change:+d}"
    # a change of percents is in points, between the percents as shown (87.7% -> 79.8%:
    # -7.9 pp, which the reader can check, not the exact -7.95 shown as -8.0)
    shown = [Decimal(str(getattr(o, metric))).quantize(PERCENT) for o in (outcome, base)]
    return Ratio(shown[0] - shown[1], "points")


def tables(result: Comparison) -> list[ResultTable]:
    return [sweep_table(result)] if result.swept else [side_by_side(result)]


FIGURE_WIDTH, COLUMN_WIDTH = 44, 34  # the figure and base columns; a scenario and its Δ


def terminal_tables(result: Comparison, width: int) -> list[ResultTable]:
    """For a terminal `width` columns wide: a sweep shows only the figures that vary (the
    others in a note), a comparison as many scenarios per table as fit; no digit is cut."""
    if result.swept:
        return [sweep_table(result, compact=True)]
    per_table = max(1, (width - FIGURE_WIDTH) // COLUMN_WIDTH)
    outcomes = result.outcomes
    groups = [outcomes[i : i + per_table] for i in range(0, len(outcomes), per_table)]
    return [side_by_side(result, group) for group in groups or [()]]


def side_by_side(result: Comparison, outcomes: tuple[Outcome, ...] | None = None) -> ResultTable:
    """One row per figure; the base, then each scenario with its change against the base."""
    outcomes = result.outcomes if outcomes is None else outcomes
    columns = [Column("figure"), Column("base", True)]
    for outcome in outcomes:
        columns += [Column(printable(outcome.name), True), Column("Δ", True)]
    table = ResultTable(f"Scenarios against the base ({result.currency})", columns)
    e = result.exponent
    for metric in METRICS:
        row: list[Cell] = [LABELS[metric], _cell(result.base, metric, e)]
        for outcome in outcomes:
            row += [_cell(outcome, metric, e), _delta_cell(outcome, result.base, metric, e)]
        table.add(row)
    table.notes.extend(
        f"{printable(o.name)}: {printable(o.description)}" for o in outcomes if o.description
    )
    return table


# What a sweep is for: on a narrow terminal the figures it moves the most are kept longest;
# the quotas (which follow the target by construction) go first.
SWEEP_PRIORITY = {
    "capacity_coverage": HIGH,
    "hires_needed": HIGH,
    "target": LOW,
    "total_quota": LOW,
    "over_assignment": LOW,
}


def _setting_cell(key: str, value: Decimal | None, exponent: int) -> Cell:
    if value is None:
        return "–"
    return Money(value, exponent) if is_amount(key) else str(value)


def _like(value: Decimal | None, index: int, result: Comparison) -> Decimal | None:
    """The setting as it is, with the decimals of the values swept (0.80 among 0.75, 0.85)."""
    if value is None or not result.outcomes:
        return value
    places = min(int(o.varied[index][1].as_tuple().exponent) for o in result.outcomes)
    return value.quantize(Decimal(1).scaleb(places)) if places < 0 else value


def sweep_table(result: Comparison, compact: bool = False) -> ResultTable:
    """One row per value (per combination for a grid), the plan as it is first. A varied
    setting that is also a figure (the target) is shown once, as the key. `compact` leaves
    out the figures that show the same on every row (listed in a note). A row whose plan
    fails the checks shows – for its figures and its codes in a last column, `failed`; a
    note says why."""
    keys = [printable(k) for k in result.swept]
    e = result.exponent
    computed = [o for o in (result.base, *result.outcomes) if not o.failed]
    failures = [o for o in result.outcomes if o.failed]
    shown = [m for m in METRICS if m not in result.swept]
    same = []
    if compact:
        same = [m for m in shown if len({show(_cell(o, m, e)) for o in computed}) == 1]
        shown = [m for m in shown if m not in same]
    columns = [Column(k, True, HIGH) for k in keys]
    columns += [Column(LABELS[m], True, SWEEP_PRIORITY.get(m, NORMAL)) for m in shown]
    if failures:
        columns.append(Column("failed", priority=HIGH))
    title = f"{printable(result.base.name)}: {', '.join(keys)} varied ({result.currency})"
    table = ResultTable(title, columns)
    as_is = result.settings or tuple(None for _ in keys)
    first = [
        _setting_cell(k, _like(v, i, result), e)
        for i, (k, v) in enumerate(zip(result.swept, as_is))
    ]
    last: list[Cell] = [""] if failures else []
    table.add(first + [_cell(result.base, m, e) for m in shown] + last, strong=True)
    for outcome in result.outcomes:
        values = [_setting_cell(k, v, e) for k, v in outcome.varied]
        if outcome.failed:
            table.add([*values, *("–" for _ in shown), _codes(outcome)])
        else:
            table.add([*values, *(_cell(outcome, m, e) for m in shown), *last])
    plan = (
        "the plan" if result.base.name == "base" else f"the scenario {printable(result.base.name)}"
    )
    table.notes.append(f"The first row is {plan} as it is.")
    if same:
        unchanged = ", ".join(f"{LABELS[m]} {show(_cell(result.base, m, e))}" for m in same)
        table.notes.append(f"The same on every row: {unchanged}.")
    table.notes.extend(failure_notes(failures, len(result.outcomes)))
    return table


def _codes(outcome: Outcome) -> str:
    return ", ".join(dict.fromkeys(d.code for d in outcome.problems))


FAILURES_SHOWN = 5  # failed rows a note explains, one line each (JSON lists every problem)


def failure_notes(failures: list[Outcome], rows: int) -> list[str]:
    """Why rows failed, briefly: each one's first error (and how many more it has), for the
    first few rows."""
    if not failures:
        return []
    verb = noun(len(failures), "fails", "fail")
    notes = [f"{counted(len(failures), 'row')} of {rows:,} {verb} the checks, without figures:"]
    for outcome in failures[:FAILURES_SHOWN]:
        first, *others = outcome.problems
        more = f" ({counted(len(others), 'more error')})" if others else ""
        notes.append(f"{printable(outcome.name)}: {first.code} {printable(first.message)}{more}")
    if len(failures) > FAILURES_SHOWN:
        notes.append(
            f"and {len(failures) - FAILURES_SHOWN:,} more (--format json lists every problem)."
        )
    return notes


def _figures(outcome: Outcome, exponent: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for metric in METRICS:
        value = getattr(outcome, metric)
        if metric in MONEY:
            figures[metric] = j.amount(value, exponent)
        elif metric == "hires_needed":
            figures[metric] = value
        else:
            figures[metric] = j.ratio(value)
    return figures


def _changes(outcome: Outcome, base: Outcome, exponent: int) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for metric in METRICS:
        change = delta(outcome, base, metric)
        if metric in MONEY:
            changes[metric] = j.amount(change, exponent)  # type: ignore[arg-type]
        elif metric == "hires_needed":
            changes[metric] = change
        else:
            changes[metric] = j.ratio(change)  # type: ignore[arg-type]
    return changes


def document(result: Comparison) -> dict[str, Any]:
    """`{"currency", "varied", "base": {...}, "scenarios"|"rows": [{..., "delta": {...}}]}`:
    amounts are exact decimal strings, ratios numbers, hires an integer (null: none can).
    Each row of a sweep has "problems": the errors of a row that fails the checks (each a
    diagnostic as `check --format json` gives it), whose figures but the target are null."""
    e = result.exponent
    base = {
        "name": result.base.name,
        "description": result.base.description,
        **_figures(result.base, e),
    }
    items = [
        {
            "name": o.name,
            "description": o.description,
            "settings": {k: str(v) for k, v in o.varied},
            **_figures(o, e),
            "delta": _changes(o, result.base, e),
        }
        for o in result.outcomes
    ]
    if result.swept:
        base["settings"] = {
            k: None if v is None else str(v) for k, v in zip(result.swept, result.settings)
        }
        for item, o in zip(items, result.outcomes):  # a failed row: its errors, figures null
            item["problems"] = [d.to_dict() for d in o.problems]
    key = "rows" if result.swept else "scenarios"
    return {"currency": result.currency, "varied": list(result.swept), "base": base, key: items}


def workbook(result: Comparison) -> bytes:
    """The comparison as an XLSX workbook, one sheet (see render.xlsx)."""
    from openpyxl import Workbook

    from salesplan.render.xlsx import write_sheet

    book = Workbook()
    book.remove(book.active)
    book.properties.title = "salesplan scenarios"
    book.properties.creator = "salesplan"
    table = tables(result)[0]
    write_sheet(book, "Sweep" if result.swept else "Scenarios", table, result.currency)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def deliver(result: Comparison, fmt: ScenariosFormat, output: Path | None, force: bool) -> None:
    """Render in `fmt` to stdout, or to `output` (atomically; never over a file without
    `force`). XLSX goes to a file or to a pipe, never to a terminal."""
    import sys

    from salesplan.render import markdown, text
    from salesplan.render.output import write

    if fmt is ScenariosFormat.xlsx:
        data = workbook(result)
    elif fmt is ScenariosFormat.json:
        data = (j.dumps(document(result))).encode()
    elif fmt is ScenariosFormat.markdown:
        data = markdown.render(tables(result)).encode()
    elif output is None:
        width = text.terminal_width()
        text.render(terminal_tables(result, width or 10_000) if width else tables(result), width)
        return
    else:
        data = text.to_string(tables(result), None).encode()
    if output is not None:
        from salesplan.fsutil import output_refused, write_atomic

        if refused := output_refused(output, force):
            raise ValueError(refused)
        write_atomic(output, data)
    elif fmt is ScenariosFormat.xlsx and sys.stdout.isatty():
        raise ValueError("an XLSX workbook is not for a terminal; use -o FILE")
    elif fmt is ScenariosFormat.xlsx:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write(data.decode())
