"""Tables for the terminal with rich: tree indentation, aligned numbers, coloured ratios."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from salesplan.render.table import Cell, Ratio, Table, show

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

COVERAGE_STYLES = ((0.9, "red"), (1.0, "yellow"))  # below 90% red, below 100% yellow


PIPE_WIDTH = 200  # redirected output is not cut to 80 columns


def console(width: int | None = None) -> Console:
    import sys

    from rich.console import Console

    if width is None and not sys.stdout.isatty():
        width = PIPE_WIDTH
    return Console(width=width, highlight=False, emoji=False, soft_wrap=False)


def _cell(cell: Cell) -> Text:
    from rich.text import Text

    text = Text(show(cell))  # user text is never parsed as markup
    if isinstance(cell, Ratio) and cell.value is not None:
        if cell.kind == "coverage":
            value = float(cell.value)
            text.stylize(next((s for limit, s in COVERAGE_STYLES if value < limit), "green"))
        elif cell.kind == "shift" and cell.value != 0:
            text.stylize("cyan")
    return text


def rich_table(t: Table) -> object:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(title=t.title or None, box=box.SIMPLE_HEAVY, title_justify="left")
    for column in t.columns:
        table.add_column(column.header, justify="right" if column.numeric else "left", no_wrap=True)
    for row, depth, strong in zip(t.rows, t.depth, t.strong):
        cells = [_cell(c) for c in row]
        if cells and depth:
            cells[0] = Text("  " * depth) + cells[0]
        table.add_row(*cells, style="bold" if strong else None)
    return table


def render(tables: Sequence[Table], out: Console | None = None) -> None:
    from rich.text import Text

    out = out or console()
    for t in tables:
        out.print(rich_table(t))
        for note in t.notes:
            out.print(Text(note), soft_wrap=True)
        if t.notes:
            out.print()
