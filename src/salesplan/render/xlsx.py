"""The report as an XLSX workbook (openpyxl): one sheet per table.

Amounts are numbers to the currency's minor unit with a currency number format, ratios are
numbers with a percent format, totals are values (not formulas) taken from the plan, the
header row is frozen and every column has a width. Text is always stored as text, so a
name like `=HYPERLINK(...)` never becomes a formula.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salesplan.render.report import named_tables
from salesplan.render.table import Cell, Money, Ratio, Table, quantized, show

if TYPE_CHECKING:
    from salesplan.report import Report

RATIO_FORMATS = {
    "percent": "0.0%",
    "coverage": "0.0%",
    "shift": "+0.0%;-0.0%;0.0%",
    "plain": "0.00",
}
RATIO_PLACES = Decimal("0.000001")
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60


def money_format(exponent: int) -> str:
    """#,##0.00 for USD, #,##0 for JPY, #,##0.000 for KWD."""
    return "#,##0" + (f".{'0' * exponent}" if exponent > 0 else "")


def sheet_names(names: list[str]) -> list[str]:
    """Valid, distinct sheet names: no []:*?/\\, at most 31 characters."""
    seen: set[str] = set()
    result = []
    for name in names:
        base = SHEET_NAME.sub(" ", name)[:31] or "Sheet"
        candidate, n = base, 2
        while candidate.lower() in seen:
            suffix = f" ({n})"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def _value(cell: Cell) -> tuple[Any, str | None]:
    """A cell's value for Excel and its number format."""
    if isinstance(cell, Money):
        return quantized(cell), money_format(cell.exponent)
    if isinstance(cell, Ratio):
        if cell.value is None:
            return None, None
        return cell.value.quantize(RATIO_PLACES), RATIO_FORMATS.get(cell.kind, "0.00")
    if isinstance(cell, int):
        return cell, "0"
    return cell, None


def _sheet(workbook: Any, name: str, table: Table) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    header_fill = PatternFill("solid", fgColor="1E3A5F")
    rule = Side(style="thin", color="1F2933")
    widths = [len(c.header) for c in table.columns]
    for col, column in enumerate(table.columns, 1):
        cell = sheet.cell(row=1, column=col, value=column.header)
        cell.data_type = "s"
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="right" if column.numeric else "left")
    for r, (row, strong) in enumerate(zip(table.rows, table.strong), 2):
        for col, item in enumerate(row, 1):
            value, number_format = _value(item)
            cell = sheet.cell(row=r, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            if number_format:
                cell.number_format = number_format
            if strong:
                cell.font = Font(bold=True)
                cell.border = Border(top=rule)
            widths[col - 1] = max(widths[col - 1], len(show(item)))
    last = len(table.rows) + 1
    for i, note in enumerate(table.notes):
        cell = sheet.cell(row=last + 2 + i, column=1, value=note)
        cell.data_type = "s"
        cell.font = Font(italic=True, color="616E7C")
    for col, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(col)].width = min(width + 3, MAX_WIDTH)
    sheet.freeze_panes = "A2"


write_sheet = _sheet  # one table as a sheet of a workbook (render.scenarios uses it too)


def render(report: Report) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = f"{report.name}: sales plan report"
    workbook.properties.creator = "salesplan"
    found = named_tables(report, exact=True)
    for name, (_, table) in zip(sheet_names([n for n, _ in found]), found):
        _sheet(workbook, name, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
