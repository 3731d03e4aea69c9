"""`salesplan init --templates xlsx`: one submission workbook per rep, ready to send out.

Each workbook holds a `Submissions` sheet in the long format the plan reads
(`rep,period,amount,note`), one row per period of the year, the rep and period
filled in and the amount left for the rep to write; an `Instructions` sheet says what to do.
They are written to `templates/submissions/` (outside `submissions/`, which the plan reads):
a filled-in one is copied into `submissions/`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from salesplan.fiscal import Calendar
from salesplan.render.periods import label
from salesplan.rollup import expected_to_submit

if TYPE_CHECKING:
    from salesplan.plan import Plan

FOLDER = "templates/submissions"


def workbook(plan: Plan, rep_id: str, periods: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Submissions"
    sheet.append(["rep", "period", "amount", "note"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for period in periods:
        sheet.append([rep_id, period, None, None])
    for row in sheet.iter_rows(min_row=2, max_col=2):
        for cell in row:
            cell.data_type = "s"
    decimals = plan.currency_exponent
    fmt = "#,##0" + (f".{'0' * decimals}" if decimals else "")
    for (cell,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        cell.number_format = fmt
    rule = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    rule.error = "An amount: a number, 0 or more."
    sheet.add_data_validation(rule)
    rule.add(f"C2:C{len(periods) + 1}")
    for column, width in zip("ABCD", (14, 10, 16, 40)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("Instructions")
    for line in instructions(plan, rep_id):
        notes.append([line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def instructions(plan: Plan, rep_id: str) -> list[str]:
    calendar = plan.calendar
    size = calendar.months_per_period
    months = ", ".join(
        f"{p} = {label(Calendar(calendar.start, 'month'), i * size)}"
        + (
            f" to {label(Calendar(calendar.start, 'month'), i * size + size - 1)}"
            if size > 1
            else ""
        )
        for i, p in enumerate(plan.periods)
    )
    return [
        f"{plan.settings.name}: bottom-up forecast of {rep_id}",
        f"Write in the Submissions sheet what you expect to close in each period, in "
        f"{plan.settings.currency}.",
        f"Periods of the fiscal year starting {plan.settings.fiscal_year.start}: {months}.",
        "Keep the rep and period columns as they are; a note is optional.",
        f"Send it back, or save it as submissions/{rep_id}.xlsx in the plan repository.",
    ]


def submitters(plan: Plan) -> tuple[list[str], list[str]]:
    """The reps of the tree expected to submit (as rollup counts them missing), and the
    others: planned hires, reps not on board in the fiscal year."""
    reps = plan.reps_by_id
    expected: list[str] = []
    others: list[str] = []
    for rep_id in plan.tree.reps_under(plan.settings.id):
        submits = expected_to_submit(reps[rep_id], plan.calendar.start, plan.calendar.end)
        (expected if submits else others).append(rep_id)
    return expected, others


def templates(plan: Plan) -> dict[str, bytes]:
    """{path in the plan: workbook} for every rep expected to submit."""
    return {
        f"{FOLDER}/{rep}.xlsx": workbook(plan, rep, list(plan.periods))
        for rep in submitters(plan)[0]
    }
