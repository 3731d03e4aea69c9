"""Tables for the terminal with rich: tree indentation, aligned numbers, coloured ratios.

The one text renderer of every command. Output fits the width it is given (the terminal's,
else `COLUMNS`, else no limit for a file or a pipe) without ever cutting a digit: long text
wraps in its column, and when the numbers still do not fit, whole columns are left out,
the least important first, and a note under the table names them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from salesplan.escape import printable
from salesplan.render.table import HIGH, Cell, Column, Money, Ratio, ResultTable, show

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

COVERAGE_STYLES = ((0.9, "red"), (1.0, "yellow"))  # below 90% red, below 100% yellow
KIND_STYLES = {"added": "green", "removed": "red", "moved": "cyan", "changed": "yellow"}
WRAP_MIN = 12  # a text column wraps down to this many cells before any column is dropped
KEY_WRAP_MIN = 30  # the first column (the id people look for) wraps only when longer
INDENT = 2  # cells of indentation per tree level; 1 when the table is too wide


def terminal_width() -> int | None:
    """The width to fit: the terminal's, else `COLUMNS`, else None (a file or a pipe)."""
    import shutil

    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


class Trimmed:
    """A stream that drops the spaces ending each line: rich pads every line of a table to
    the table's width, which a file or a pipe should not keep (`| cat -A`, `git diff`).
    Colour codes after the spaces are kept; only whole lines are trimmed."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.pending = ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        if lines:
            self.file.write("".join(_trimmed(line) + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        self.file.write(self.pending)
        self.pending = ""
        self.file.flush()

    def __getattr__(self, name: str) -> object:  # encoding, isatty, fileno...
        return getattr(self.file, name)


_CODE = re.compile(r"\x1b\[[0-9;]*m")  # a colour code


def _trimmed(line: str) -> str:
    """`line` without the spaces that end it, colour codes among them kept (rich closes a
    coloured cell with a code after its padding). Peeled from the end: a search for the
    spaces followed by nothing but codes and spaces would scan to the end from every space."""
    rest = line.rstrip(" ")
    if "\x1b" not in line:
        return rest
    codes: list[str] = []
    while rest.endswith("m"):
        start = rest.rfind("\x1b[")
        if start < 0 or not _CODE.fullmatch(rest, start):
            break
        codes.append(rest[start:])
        rest = rest[:start].rstrip(" ")
    return rest + "".join(reversed(codes))


def console(width: int | None = None, file: IO[str] | None = None) -> Console:
    """A rich console on `file` (stdout); lines without trailing spaces off a terminal."""
    from rich.console import Console

    target = file if file is not None else sys.stdout
    out = Console(
        file=target if target.isatty() else Trimmed(target),  # type: ignore[arg-type]
        width=width or 10_000,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        markup=False,
    )
    # rich answers a closed pipe with exit 1, the status of a plan with errors; the CLI
    # answers it with SIGPIPE's status (141), whatever the format
    out.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    return out


def _broken_pipe() -> None:
    raise BrokenPipeError


@dataclass(frozen=True)
class Layout:
    keep: list[int]  # indices of the columns shown
    widths: dict[int, int]  # column index -> width, for text columns that wrap
    dropped: list[str]  # headers of the columns left out
    indent: int = INDENT
    needed: int = 0  # the width at which no column is left out (text columns wrapped)


def table_width(widths: Sequence[int]) -> int:
    """Cells taken by a table whose columns are `widths` wide (one space either side of a
    column, one between columns: the box of `rich_table`)."""
    return sum(widths) + 3 * len(widths) - 1 if widths else 0


def cell_width(text: str) -> int:
    """The cells a printable text takes on a terminal: one per character for ASCII."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def one_cell_or_more(texts: Sequence[str]) -> bool:
    """Whether every character of `texts` takes a cell or two: rich lays out no others
    (combining marks, variation selectors) as `plain_lines` does."""
    joined = "".join(texts)
    if joined.isascii():
        return True
    from rich.cells import get_character_cell_size

    return all(get_character_cell_size(character) > 0 for character in set(joined))


def widest(texts: Sequence[str]) -> int:
    """The width of the widest of `texts` (0 for none)."""
    if "".join(texts).isascii():
        return max(map(len, texts), default=0)
    return max(map(cell_width, texts), default=0)


def shown_columns(t: ResultTable) -> list[tuple[str, ...]]:
    """Every column of `t`, its cells as people see them (`show`), made printable; each
    distinct amount or ratio shown once (a plan's amounts repeat, row after row)."""
    decimals = t.decimals
    texts: dict[Cell, str] = {}

    def shown(cell: Cell) -> str:
        if isinstance(cell, (Money, Ratio)) and cell.value:  # not 0: -0 shows as -0
            found = texts.get(cell)
            if found is None:
                found = texts[cell] = printable(show(cell, decimals))
            return found
        return printable(show(cell, decimals))

    rows = [[shown(cell) for cell in row] for row in t.rows]
    return list(zip(*rows)) if rows else [() for _ in t.columns]


def indented(texts: Sequence[str], depth: Sequence[int], indent: int) -> list[str]:
    """The first column's cells, each indented by its row's depth in the tree."""
    return [" " * (indent * d) + text if d else text for text, d in zip(texts, depth)]


def natural_widths(t: ResultTable, shown: list[tuple[str, ...]], indent: int = INDENT) -> list[int]:
    """The width of each column's widest cell, header included (`shown`: the columns of `t`
    as `shown_columns` gives them), the first column's cells indented by depth."""
    widths = [cell_width(printable(c.header)) for c in t.columns]
    for i, texts in enumerate(shown):
        cells = indented(texts, t.depth, indent) if i == 0 and any(t.depth) else texts
        widths[i] = max(widths[i], widest(cells))
    return widths


def layout(t: ResultTable, width: int | None, shown: list[tuple[str, ...]] | None = None) -> Layout:
    """Which columns of `t` fit in `width` cells, and how narrow its text columns wrap
    (`shown`: its columns as `shown_columns` gives them, when known)."""
    shown = shown_columns(t) if shown is None else shown
    natural = natural_widths(t, shown)
    keep = list(range(len(t.columns)))
    if width is None or table_width(natural) <= width:
        return Layout(keep, {}, [])
    natural = natural_widths(t, shown, 1)
    narrow = {
        i: min(natural[i], max(KEY_WRAP_MIN if i == 0 else WRAP_MIN, len(c.header), c.wrap_min))
        for i, c in enumerate(t.columns)
        if not c.numeric
    }
    widths = [narrow.get(i, w) for i, w in enumerate(natural)]
    needed = table_width(widths)
    order = sorted(
        range(1, len(t.columns)),
        key=lambda i: (HIGH + 1 if i == 0 else t.columns[i].priority, -i),
    )
    dropped: list[int] = []
    while table_width([widths[i] for i in keep]) > width and order:
        group = t.columns[order[0]].group
        gone = [i for i in order if group and t.columns[i].group == group] or order[:1]
        for i in gone:
            order.remove(i)
            keep.remove(i)
        dropped.extend(gone)
    for i in reversed(dropped):  # a narrow column left out early may fit again
        if not t.columns[i].group and table_width([widths[k] for k in [*keep, i]]) <= width:
            keep = sorted([*keep, i])
            dropped.remove(i)
    # give the room left back to the wrapped text columns, from the left
    room = width - table_width([widths[i] for i in keep])
    for i in keep:
        grow = min(natural[i] - widths[i], max(room, 0))
        widths[i] += grow
        room -= grow
    return Layout(
        keep,
        {i: widths[i] for i in keep if i in narrow and widths[i] < natural[i]},
        named(t.columns, sorted(dropped)),
        1,
        needed,
    )


def named(columns: Sequence[Column], indices: list[int]) -> list[str]:
    """Headers of the columns left out; a group as one entry: `months Feb-27 to Jan-28`."""
    found: list[str] = []
    seen: set[str] = set()
    for i in indices:
        group = columns[i].group
        if not group:
            found.append(columns[i].header)
        elif group not in seen:
            seen.add(group)
            members = [c.header for c in columns if c.group == group]
            if len(members) == 2:  # `low and high`, `accounts before and after`
                found.append(f"{members[0]} and {members[1]}")
            else:
                found.append(f"{group} {members[0]} to {members[-1]}")
    return found


def _cell(cell: Cell, column: Column, decimals: int | None) -> Text:
    from rich.text import Text

    text = Text(printable(show(cell, decimals)))  # user text is never parsed as markup
    style = _style(cell, column, text.plain)
    if style:
        text.stylize(style)
    return text


def _style(cell: Cell, column: Column, shown: str) -> str | None:
    """The colour of a cell shown as `shown`: ratios by how far they are from plan, signed
    amounts by their sign, a diff's kind of change by its kind."""
    if isinstance(cell, Ratio) and cell.value is not None:
        if cell.kind == "coverage":
            value = float(cell.value)
            return next((s for limit, s in COVERAGE_STYLES if value < limit), "green")
        if cell.kind == "shift" and cell.value != 0:
            return "cyan"
        return None
    if column.signed and shown[:1] in "+-" and shown:
        return "green" if shown.startswith("+") else "red"
    if column.header == "change":
        return KIND_STYLES.get(shown) or None
    return None


def rich_table(t: ResultTable, fit: Layout, widths: Sequence[int] | None = None) -> object:
    """`t` as a rich table laid out as `fit` says (see `layout`); with `widths` (one per
    column shown), only its title and header, the columns that wide (see `styled_rows`)."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(
        title=Text(printable(t.title)) if t.title else None,
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        show_edge=False,
    )
    for k, i in enumerate(fit.keep):
        column = t.columns[i]
        wraps = i in fit.widths
        table.add_column(
            Text(printable(column.header)),
            justify="right" if column.numeric else "left",
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
            width=fit.widths.get(i) if widths is None else widths[k],
        )
    if widths is not None:
        return table
    for row, depth, strong in zip(t.rows, t.depth, t.strong):
        cells = [_cell(row[i], t.columns[i], t.decimals) for i in fit.keep]
        if cells and depth:
            cells[0] = Text(" " * fit.indent * depth) + cells[0]
        table.add_row(*cells, style="bold" if strong else None)
    return table


def dropped_note(fit: Layout, width: int) -> str:
    return (
        f"Not shown at {width} columns: {', '.join(fit.dropped)} (a terminal "
        f"{fit.needed} columns wide, or COLUMNS={fit.needed}, shows every column)."
    )


def plain_lines(
    t: ResultTable, fit: Layout, out: Console, shown: list[tuple[str, ...]]
) -> list[str] | None:
    """`t` exactly as `rich_table` prints it on a console without colour (a file or a pipe):
    the title wrapped to the table's width, then each cell padded with a space either side,
    justified (a text column as wide as `fit` says wrapped as rich wraps it), the columns a
    space apart, a line of ━ under the header, trailing spaces dropped (`Trimmed`). None
    when rich must lay it out: a terminal, colour forced, a stream that cannot write ━,
    characters that take no cell. rich takes seconds on a table of 10,000 rows; this, a few
    hundredths."""
    if out.is_terminal or out.color_system is not None:
        return None
    laid = _columns(t, fit, out, shown)
    if laid is None:
        return None
    columns, wrapped, widths = laid
    total = table_width(widths)
    title = printable(t.title) if t.title else ""
    if not one_cell_or_more([title]):
        return None
    rows: Iterable[Sequence[str]] = zip(*columns)
    if wrapped:
        rows = _row_lines([list(row) for row in rows], wrapped, widths)
    lines = [" " + "   ".join(cells).rstrip(" ") for cells in rows]
    header = max([len(cells[0]) for cells in wrapped.values()] + [1])  # its lines
    above = [line.rstrip(" ") for line in _folded(title, total, out)] if title else []
    return [*above, *lines[:header], "━" * total, *lines[header:]]


def styled_rows(
    t: ResultTable, fit: Layout, out: Console, shown: list[tuple[str, ...]]
) -> tuple[list[int], Text] | None:
    """On a terminal, or with colour: the widths of the columns shown and the rows of `t` as
    one `Text`, coloured as `rich_table` colours them, to print under the title and header
    that `rich_table(t, fit, widths)` lays out. The characters are rich's, and so are their
    colours (tests/test_text_plain.py); a strong row is bold to its last padding space. None
    when a text column wraps, or rich must lay the table out (`_columns`). rich takes
    seconds on a table of 10,000 rows (about 100 µs a cell); this, a few tenths."""
    from rich.text import Span, Text

    laid = None if fit.widths else _columns(t, fit, out, shown)
    if laid is None:
        return None
    columns, _, widths = laid
    styles = [
        [_style(row[i], t.columns[i], text) for row, text in zip(t.rows, shown[i])]
        for i in fit.keep
    ]
    lines: list[Text] = []
    for r, (depth, strong) in enumerate(zip(t.depth, t.strong)):
        parts: list[str] = []
        spans: list[Span] = []
        at = 0  # characters written so far: a span counts characters, not cells
        for k, (i, cells) in enumerate(zip(fit.keep, columns)):
            padded, style = cells[r + 1], styles[k][r]
            parts.append(" " if k == 0 else "   ")
            at += 1 if k == 0 else 3
            numeric = t.columns[i].numeric
            text = shown[i][r].rstrip() if numeric else shown[i][r]
            if style is not None and text:  # the padding is not coloured, only the text
                start = at + (len(padded) - len(text) if numeric else 0)
                start += fit.indent * depth if k == 0 and not numeric else 0
                spans.append(Span(start, start + len(text), style))
            parts.append(padded)
            at += len(padded)
        parts.append(" ")
        lines.append(Text("".join(parts), "bold" if strong else "", spans=spans))
    return widths, Text("\n").join(lines)


def _columns(
    t: ResultTable, fit: Layout, out: Console, shown: list[tuple[str, ...]]
) -> tuple[list[list[str]], dict[int, list[list[str]]], list[int]] | None:
    """The columns shown, header first, each cell padded and justified in its column (a
    wrapped cell: its first line), the lines of the wrapped columns' cells by position, and
    the columns' widths. None when rich must lay the table out: a stream that cannot write
    ━, characters that take no cell, a table wider than the console."""
    if not t.columns or out.legacy_windows or out.options.ascii_only:
        return None
    columns: list[list[str]] = []
    wrapped: dict[int, list[list[str]]] = {}  # position -> its cells' lines, when it wraps
    widths: list[int] = []
    for i in fit.keep:
        texts = [printable(t.columns[i].header), *shown[i]]
        if not one_cell_or_more(texts):
            return None
        if i == 0 and any(t.depth):
            texts[1:] = indented(texts[1:], t.depth, fit.indent)
        right = t.columns[i].numeric
        width = fit.widths.get(i) or widest(texts)
        if i in fit.widths:
            folded = wrapped[len(columns)] = [_folded(text, width, out) for text in texts]
            texts = [lines[0] if lines else "" for lines in folded]
        elif right:  # rich strips a right-justified cell's trailing whitespace
            texts = [text.rstrip() for text in texts]
        columns.append(_padded(texts, width, right))
        widths.append(width)
    if table_width(widths) > out.width:
        return None
    return columns, wrapped, widths


def _folded(text: str, width: int, out: Console) -> list[str]:
    """`text` wrapped at `width` as rich wraps it (a cell, a title): one line when it fits."""
    if cell_width(text) <= width:
        return [text]
    from rich.text import Text

    return [line.plain for line in Text(text).wrap(out, width, justify="left", overflow="fold")]


def _row_lines(
    rows: list[list[str]], wrapped: dict[int, list[list[str]]], widths: list[int]
) -> Iterator[list[str]]:
    """The lines of each row whose wrapped cells take more than one: each cell padded to
    its column's width, the header's cells at the bottom of its lines, the others at the top."""
    for r, row in enumerate(rows):
        height = max(max(len(cells[r]) for cells in wrapped.values()), 1)
        if height == 1:
            yield row
            continue
        blank = [" " * width for width in widths]
        for k in range(height):
            line = []
            for c, cell in enumerate(row):
                cells = wrapped.get(c)
                if cells is None:
                    first = height - 1 if r == 0 else 0
                    line.append(cell if k == first else blank[c])
                    continue
                pieces = cells[r]
                at = k - (height - len(pieces)) if r == 0 else k
                line.append(
                    _padded([pieces[at]], widths[c], False)[0]
                    if 0 <= at < len(pieces)
                    else blank[c]
                )
            yield line


def _padded(texts: list[str], width: int, right: bool) -> list[str]:
    """`texts` justified in `width` cells, with spaces."""
    if "".join(texts).isascii():  # one cell per character
        return [text.rjust(width) if right else text.ljust(width) for text in texts]
    if right:
        return [" " * (width - cell_width(text)) + text for text in texts]
    return [text + " " * (width - cell_width(text)) for text in texts]


def print_table(out: Console, t: ResultTable, width: int | None) -> None:
    from rich.text import Text

    shown = shown_columns(t)
    fit = layout(t, width, shown)
    lines = plain_lines(t, fit, out, shown)
    styled = None if lines is not None else styled_rows(t, fit, out, shown)
    if lines is not None:
        out.file.write("".join(line + "\n" for line in lines))
    elif styled is not None:
        widths, rows = styled
        out.print(rich_table(t, fit, widths))
        if rows:
            out.print(rows, soft_wrap=True)
    else:
        out.print(rich_table(t, fit))
    notes = [*t.notes, *([dropped_note(fit, width)] if fit.dropped and width else [])]
    for note in notes:
        out.print(Text(printable(note)), soft_wrap=width is None)
    out.print()


def render(
    tables: Sequence[ResultTable], width: int | None = -1, file: IO[str] | None = None
) -> None:
    """Print `tables` to `file` (stdout) fitted to `width` (-1: `terminal_width()`)."""
    fit = terminal_width() if width == -1 else width
    out = console(fit, file)
    for t in tables:
        print_table(out, t, fit)


def to_string(tables: Sequence[ResultTable], width: int | None) -> str:
    """`tables` as plain text (no colour), fitted to `width`."""
    import io

    buffer = io.StringIO()
    render(tables, width, buffer)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
