"""Read tabular inputs (CSV and XLSX) as rows of text with their positions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.source import decode


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its cells by column name, and the line and column of each cell."""

    line: int
    cells: dict[str, Any]
    columns: dict[str, int]


@dataclass
class Table:
    file: str
    header: list[str]
    rows: list[Row]
    diagnostics: list[Diagnostic]
    header_line: int = 1
    header_columns: list[int] = field(default_factory=list)  # 1-based column of each name


def _cell_columns(raw_line: str, cells: list[str]) -> list[int]:
    """1-based character column where each cell starts (exact for unquoted lines)."""
    columns, offset = [], 0
    if '"' not in raw_line:
        for cell in cells:
            columns.append(offset + 1)
            offset += len(cell) + 1
        return columns
    for cell in cells:
        columns.append(offset + 1)
        offset += len(cell) + 3  # assume the cell was quoted
    return columns


def read_csv(file: str, raw: bytes) -> Table:
    text, problems = decode(file, raw)
    if text is None:
        return Table(file, [], [], problems)
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    rows: list[Row] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            raw_line = lines[line - 1] if line - 1 < len(lines) else ""
            positions = _cell_columns(raw_line, cells)
            if not header:
                header = [c.strip() for c in cells]
                header_line, header_columns = line, positions
                continue
            named = dict(zip(header, (c.strip() for c in cells)))
            columns = dict(zip(header, positions))
            if len(cells) > len(header):
                message = (
                    f"row has {len(cells)} cells but the header has {len(header)}; "
                    "remove the extra cells or quote a cell that holds a comma"
                )
                problems.append(diagnostic("SP112", message, file, line, positions[len(header)]))
            rows.append(Row(line, named, columns))
    except csv.Error as err:
        problems.append(diagnostic("SP112", str(err), file, reader.line_num or 1, 1))
    if not header:
        return Table(file, [], [], problems)
    return Table(file, header, rows, problems, header_line, header_columns)


def read_xlsx(file: str, path: Path) -> Table:
    """The first sheet of a workbook; positions are the sheet row and column numbers."""
    from openpyxl import load_workbook

    problems: list[Diagnostic] = []
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        return Table(file, [], [], [diagnostic("SP113", f"cannot open workbook: {err}", file, 1, 1)])
    try:
        sheet = workbook.worksheets[0]
        label = f"{file}[{sheet.title}]"
        header: list[str] = []
        rows: list[Row] = []
        header_line = 1
        for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            if not header:
                header = ["" if v is None else str(v).strip() for v in values]
                while header and not header[-1]:
                    header.pop()
                header_line = r
                continue
            cells = {h: _xlsx_cell(v) for h, v in zip(header, values) if h}
            columns = {h: i + 1 for i, h in enumerate(header) if h}
            rows.append(Row(r, cells, columns))
        columns = list(range(1, len(header) + 1))
        return Table(label, header, rows, problems, header_line, columns)
    finally:
        workbook.close()


def _xlsx_cell(value: Any) -> Any:
    """A cell as text, numbers exactly as Excel shows them (15 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(f"{value:.15g}"), "f") if value == value else "nan"
    return str(value).strip()


def parse_decimal(text: str) -> Decimal | None:
    """A cell's number (underscores and thousands commas are not accepted), or None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def iter_cells(table: Table, column: str) -> Iterator[tuple[Row, str]]:
    for row in table.rows:
        yield row, str(row.cells.get(column, ""))
