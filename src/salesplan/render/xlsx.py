"""The report as an XLSX workbook (openpyxl): one sheet per table.

Amounts are numbers to the currency's minor unit with an Excel currency format of the plan's
currency, ratios are numbers with a percent format; a total that is the sum of the rows
above is a `SUM` formula over them with its exact value cached (so the workbook shows the
right figure before anything recalculates, and an analyst's edit recomputes it). The header
row is frozen, filters are on, every column has a width. Text is always stored as text, so
a name like `=HYPERLINK(...)` never becomes a formula.
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salesplan.render.report import named_tables
from salesplan.render.table import Cell, Money, Ratio, ResultTable, quantized, show

if TYPE_CHECKING:
    from salesplan.report import Report

RATIO_FORMATS = {
    "percent": "0.0%",
    "coverage": "0.0%",
    "shift": "+0.0%;-0.0%;0.0%",
    "points": "+0.0%;-0.0%;0.0%",  # a change of percents (Excel has no points format)
    "plain": "0.00",
}
RATIO_PLACES = Decimal("0.000001")
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60


SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹"}


def money_format(exponent: int, currency: str = "", signed: bool = False) -> str:
    """ "$"#,##0.00 for USD, "¥"#,##0 for JPY, "KWD "#,##0.000 for KWD (negatives with a
    minus sign before the symbol); a change (`signed`) with + on gains."""
    number = "#,##0" + (f".{'0' * exponent}" if exponent > 0 else "")
    symbol = f'"{SYMBOLS.get(currency, f"{currency} ")}"' if currency else ""
    if signed:
        return f"+{symbol}{number};-{symbol}{number};{symbol}{number}"
    return f"{symbol}{number};-{symbol}{number}" if currency else number


RATIOS = {  # a ratio column of a totals row: its numerator and denominator columns
    "coverage": ("forecast", "quota"),
    "forecast coverage": ("forecast", "quota"),
    "capacity coverage": ("expected bookings", "target"),
}


def _total_formula(table: ResultTable, row: int, col: int) -> str | None:
    """The formula of a totals row's cell: a SUM, or a ratio of the row's own totals, so
    that an analyst's edit above recomputes it."""
    found = _sum_formula(table, row, col)
    parts = RATIOS.get(table.columns[col].header)
    if found is not None or parts is None or not isinstance(table.rows[row][col], Ratio):
        return found
    headers = [c.header for c in table.columns]
    if not all(part in headers for part in parts):
        return None
    from openpyxl.utils import get_column_letter

    top, bottom = (f"{get_column_letter(headers.index(p) + 1)}{row + 2}" for p in parts)
    return f'IF({bottom}=0,"",{top}/{bottom})'


def _sum_formula(table: ResultTable, row: int, col: int) -> str | None:
    """`SUM(...)` over the rows that the total in `row` (0-based) adds up, when it is their
    exact sum: the plain rows since the previous total row, else every plain row above. An
    amount or a count (headcount: active, planned); a ratio of the totals stays a value."""
    total = table.rows[row][col]
    kind = Money if isinstance(total, Money) else int
    if not isinstance(total, (Money, int)) or isinstance(total, bool):
        return None
    start = row  # the plain rows since the previous total row: walked back, not rescanned
    while start > 0 and not table.strong[start - 1]:
        start -= 1
    since = list(range(start, row))
    for members in (since, None):
        if members is None:  # only when they do not add up: every plain row above
            members = [i for i in range(row) if not table.strong[i]]
        values = [table.rows[i][col] for i in members]
        if not members or not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
            continue
        if _number(total) == sum((_number(v) for v in values), Decimal(0)):
            return "SUM(" + ",".join(_ranges(members, col)) + ")"
    return None


def _number(cell: Cell) -> Decimal:
    return quantized(cell) if isinstance(cell, Money) else Decimal(cell)  # type: ignore[arg-type]


def _ranges(rows: list[int], col: int) -> list[str]:
    """A1 ranges covering `rows` (0-based table rows; the sheet has a header row)."""
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col + 1)
    found, start = [], rows[0]
    for previous, current in zip(rows, [*rows[1:], None]):
        if current != previous + 1:
            found.append(f"{letter}{start + 2}:{letter}{previous + 2}")
            start = current if current is not None else start
    return found


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


def _value(cell: Cell, currency: str) -> tuple[Any, str | None]:
    """A cell's value for Excel and its number format."""
    if isinstance(cell, Money):
        return quantized(cell), money_format(cell.exponent, currency, cell.signed)
    if isinstance(cell, Ratio):
        if cell.value is None:
            return None, None
        return cell.value.quantize(RATIO_PLACES), RATIO_FORMATS.get(cell.kind, "0.00")
    if isinstance(cell, int):
        return cell, "0"
    return cell, None


def _sheet(workbook: Any, name: str, table: ResultTable, currency: str) -> dict[str, Decimal]:
    """Write `table` as a sheet; the cached values of its formulas, by cell."""
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
    cached: dict[str, Decimal] = {}
    for r, (row, strong) in enumerate(zip(table.rows, table.strong), 2):
        for col, item in enumerate(row, 1):
            value, number_format = _value(item, currency)
            formula = _total_formula(table, r - 2, col - 1) if strong else None
            cell = sheet.cell(row=r, column=col, value=f"={formula}" if formula else value)
            if formula:
                cached[cell.coordinate] = value
            elif isinstance(value, str):
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
    plain = [i for i, strong in enumerate(table.strong) if not strong]
    if table.columns and plain and not any(table.strong[: max(plain)]):
        # filter and sort the rows; the totals below stay out (not with subtotals between)
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A1:{last}{max(plain) + 2}"
    return cached


write_sheet = _sheet  # one table as a sheet of a workbook (render.scenarios uses it too)


def render(report: Report) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = f"{report.name}: sales plan report"
    workbook.properties.creator = "salesplan"
    found = named_tables(report, exact=True)
    cached = [
        _sheet(workbook, name, table, report.currency)
        for name, (_, table) in zip(sheet_names([n for n, _ in found]), found)
    ]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return with_cached_values(buffer.getvalue(), cached)


def with_cached_values(data: bytes, cached: list[dict[str, Decimal]]) -> bytes:
    """The workbook with each formula's exact value stored next to it, as Excel stores the
    last result: readers that do not calculate (and Excel before it does) show the total."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            sheet = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if sheet and cached[int(sheet.group(1)) - 1]:
                body = _cache(body.decode(), cached[int(sheet.group(1)) - 1]).encode()
            target.writestr(item, body)
    return out.getvalue()


def _cache(xml: str, values: dict[str, Decimal]) -> str:
    def value(match: re.Match[str]) -> str:
        known = values.get(match.group(2))
        return match.group(0) if known is None else f"{match.group(1)}<v>{known}</v>"

    return FORMULA.sub(value, xml)


FORMULA = re.compile(r'(<c r="([A-Z]+\d+)"[^>]*><f>[^<]*</f>)<v\s*/>')
