"""The report in a terminal: rich tables that fit the terminal (100 columns in a file).

A terminal is no place for ten thousand rows (and rich takes a minute to lay them out): a
table longer than ROWS shows its first rows and its totals, and says where the rest is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesplan.escape import printable
from salesplan.render.report import tables
from salesplan.render.table import ResultTable
from salesplan.words import counted

if TYPE_CHECKING:
    from rich.console import Console

    from salesplan.report import Report

WIDTH = 100  # the report's width in a file or a pipe
ROWS = 60  # rows per table at most, besides its totals


def clipped(t: ResultTable, limit: int = ROWS) -> ResultTable:
    """`t` with its first `limit` rows and every totals row, noting what was left out."""
    kept = [i for i, strong in enumerate(t.strong) if not strong][:limit]
    left_out = len(t.rows) - sum(t.strong) - len(kept)
    if left_out <= 0:
        return t
    keep = set(kept) | {i for i, strong in enumerate(t.strong) if strong}
    short = ResultTable(t.title, t.columns, notes=list(t.notes), name=t.name, decimals=t.decimals)
    for i in sorted(keep):
        short.add(t.rows[i], t.depth[i], t.strong[i])
    short.notes.insert(
        0,
        f"{counted(left_out, 'more row')} not shown here: salesplan report -o report.xlsx "
        "(or .html, .md, .json) has them all.",
    )
    return short


def heading(report: Report) -> str:
    return (
        f"{report.title}: sales plan report, fiscal year {report.year_start} to "
        f"{report.year_end} ({report.currency}), as of {report.as_of}"
    )


def show(report: Report, out: Console, width: int) -> None:
    """Print the report on a rich console fitted to `width`: a heading, then every table
    with its notes (render/text: no digit is ever cut, columns that do not fit are named)."""
    from rich.text import Text

    from salesplan.render.text import print_table

    out.print(Text(printable(heading(report)), style="bold"), width=width)
    out.print()
    for t in map(clipped, tables(report)):
        print_table(out, t, width)


def width_for_stdout() -> int:
    """The terminal's width (or COLUMNS); WIDTH for a file or a pipe."""
    from salesplan.render.text import terminal_width

    return terminal_width() or WIDTH


def console(width: int | None = None) -> Console:
    from salesplan.render.text import console as text_console

    return text_console(width or width_for_stdout())


def as_text(report: Report, width: int = WIDTH) -> str:
    """The report as plain text (no colour), for a file."""
    import io

    from salesplan.render.text import console as text_console

    buffer = io.StringIO()
    show(report, text_console(width, buffer), width)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
