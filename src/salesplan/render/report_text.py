"""The report in a terminal: rich tables that fit 100 columns.

A terminal is no place for ten thousand rows (and rich takes a minute to lay them out): a
table longer than ROWS shows its first rows and its totals, and says where the rest is.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from salesplan.render.report import tables
from salesplan.render.table import Table
from salesplan.render.text import rich_table

if TYPE_CHECKING:
    from rich.console import Console

    from salesplan.report import Report

WIDTH = 100  # the report is laid out for this many columns
ROWS = 60  # rows per table at most, besides its totals


def clipped(t: Table, limit: int = ROWS) -> Table:
    """`t` with its first `limit` rows and every totals row, noting what was left out."""
    kept = [i for i, strong in enumerate(t.strong) if not strong][:limit]
    left_out = len(t.rows) - sum(t.strong) - len(kept)
    if left_out <= 0:
        return t
    keep = set(kept) | {i for i, strong in enumerate(t.strong) if strong}
    short = Table(t.title, t.columns, notes=list(t.notes))
    for i in sorted(keep):
        short.add(t.rows[i], t.depth[i], t.strong[i])
    short.notes.insert(
        0,
        f"{left_out:,} more row(s) not shown here: salesplan report -o report.xlsx "
        "(or .html, .md, .json) has them all.",
    )
    return short


def heading(report: Report) -> str:
    return (
        f"{report.title}: sales plan report, fiscal year {report.year_start} to "
        f"{report.year_end} ({report.currency}), as of {report.as_of}"
    )


def show(report: Report, out: Console) -> None:
    """Print the report on a rich console: a heading, then every table with its notes."""
    from rich.table import Table as RichTable
    from rich.text import Text

    out.print(Text(heading(report), style="bold"))
    out.print()
    for t in map(clipped, tables(report, compact=True)):
        table = rich_table(t)
        assert isinstance(table, RichTable)
        table.padding = (0, 1, 0, 0)  # two spaces between columns with the box's divider
        table.pad_edge = False
        for column, spec in zip(table.columns, t.columns):
            if not spec.numeric:  # a long id or note wraps in its column; numbers never do
                column.no_wrap = False
                column.overflow = "fold"
        out.print(table)
        for note in t.notes:
            out.print(Text(note))  # user text, never markup; wrapped at the console width
        out.print()


def console(width: int | None = None) -> Console:
    """A console for stdout: the terminal's width, at most WIDTH; WIDTH when redirected."""
    import shutil
    import sys

    from rich.console import Console

    if width is None:
        width = min(shutil.get_terminal_size((WIDTH, 24)).columns, WIDTH)
        if not sys.stdout.isatty():
            width = WIDTH
    return Console(width=width, highlight=False, emoji=False, soft_wrap=False)


def as_text(report: Report, width: int = WIDTH) -> str:
    """The report as plain text (no colour), for a file."""
    from rich.console import Console

    buffer = io.StringIO()
    out = Console(
        file=buffer,
        width=width,
        highlight=False,
        emoji=False,
        color_system=None,
        force_terminal=False,
        soft_wrap=False,
    )
    show(report, out)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
