"""Tables written without rich (render/text.py `plain_lines`) are exactly the tables rich
writes: a file or a pipe gets the same bytes either way, whatever the cells hold and however
narrow the width that wraps their text columns."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from salesplan.render import text
from salesplan.render.table import Cell, Column, Money, Ratio, ResultTable

# narrow, wide, zero-width (combining, soft hyphen), control and odd spaces
PIECES = ["a", "B", " ", "  ", "1", "-", "é", "e\u0301", "\u0300", "山", "日本", "🚀", "😀"]
PIECES += ["\u00ad", "\u3000", "\u2003", "﷽", "\u200d", "\t", "\u0e31", "\u1100", "\U0001f1ef"]
PIECES += ["dddd-eeee ", "verylongwordwithoutspaces", "x/y ", "日本語テキスト ", "1,234 "]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
CELLS: st.SearchStrategy[Cell] = st.one_of(
    TEXTS,
    st.none(),
    st.integers(-(10**8), 10**8).map(lambda n: Money(Decimal(n) / 100)),
    st.integers(0, 2000).map(lambda n: Ratio(Decimal(n) / 1000)),
)


@st.composite
def tables(draw: st.DrawFn) -> ResultTable:
    columns = [
        Column(draw(TEXTS) or "h", numeric=draw(st.booleans()))
        for _ in range(draw(st.integers(1, 4)))
    ]
    table = ResultTable(draw(TEXTS), columns)
    for _ in range(draw(st.integers(0, 5))):
        table.add(
            [draw(CELLS) for _ in columns], draw(st.sampled_from([0, 0, 1, 2])), draw(st.booleans())
        )
    return table


def written(table: ResultTable, width: int | None, fast: bool, colour: bool = False) -> str | None:
    """`table` written by the fast path (`plain_lines` for a file, `styled_rows` on a colour
    terminal) or by rich's table; None when the fast path leaves it to rich."""
    buffer = io.StringIO()
    out = (
        Console(file=buffer, width=width, force_terminal=True, color_system="standard")
        if colour
        else text.console(width, buffer)
    )
    shown = text.shown_columns(table)
    fit = text.layout(table, width, shown)
    if not fast:
        out.print(text.rich_table(table, fit))
    elif colour:
        styled = text.styled_rows(table, fit, out, shown)
        if styled is None:
            return None
        widths, rows = styled
        out.print(text.rich_table(table, fit, widths))
        if rows:
            out.print(rows, soft_wrap=True)
    else:
        lines = text.plain_lines(table, fit, out, shown)
        if lines is None:
            return None
        out.file.write("".join(line + "\n" for line in lines))
    out.file.flush()
    return buffer.getvalue()


@settings(max_examples=600, deadline=None)
@given(tables(), st.sampled_from([None, 20, 30, 45, 60, 200]))
def test_a_table_written_without_rich_is_the_table_rich_writes(table, width) -> None:
    plain = written(table, width, fast=True)
    if plain is not None:
        assert plain == written(table, width, fast=False)


def test_a_big_plain_table_is_written_without_rich() -> None:
    table = ResultTable("Reps", [Column("rep"), Column("quota", numeric=True)])
    for i in range(2000):
        table.add([f"rep-{i:05d}", Money(Decimal(i * 1000))], depth=i % 2)
    plain = written(table, None, fast=True)
    assert plain is not None
    assert plain == written(table, None, fast=False)


def seen(output: str) -> list[list[tuple[str, str | None, bool]]]:
    """Each line's characters other than spaces, with their colour and boldness."""
    from rich.ansi import AnsiDecoder

    console = Console(width=10_000)
    lines = []
    for line in AnsiDecoder().decode(output):
        styled = []
        for offset, character in enumerate(line.plain):
            if character != " ":
                style = line.get_style_at_offset(console, offset)
                colour = style.color.name if style.color else None
                styled.append((character, colour, bool(style.bold)))
        lines.append(styled)
    while lines and not lines[-1]:
        lines.pop()
    return lines


SIGNED = st.sampled_from(["+1,200", "-3", "+", "-", "added", "removed", "moved", "x"])
COLOURED: st.SearchStrategy[Cell] = st.one_of(
    CELLS,
    SIGNED,
    st.builds(
        Ratio,
        st.one_of(st.none(), st.integers(0, 2000).map(lambda n: Decimal(n) / 1000)),
        st.sampled_from(["percent", "coverage", "shift", "points", "plain"]),
    ),
)


@st.composite
def coloured_tables(draw: st.DrawFn) -> ResultTable:
    """Tables with every kind of coloured cell: ratios of each kind, signed text, a diff's
    change column, strong rows."""
    columns = [
        Column(
            draw(st.sampled_from(["change", "h", "shift", "山"])),
            numeric=draw(st.booleans()),
            signed=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    table = ResultTable(draw(TEXTS), columns)
    for _ in range(draw(st.integers(0, 5))):
        table.add(
            [draw(COLOURED) for _ in columns],
            draw(st.sampled_from([0, 0, 1, 2])),
            draw(st.booleans()),
        )
    return table


@settings(max_examples=300, deadline=None)
@given(st.one_of(tables(), coloured_tables()), st.sampled_from([30, 60, 200]))
def test_rows_coloured_without_rich_tables_look_as_rich_colours_them(table, width) -> None:
    fast = written(table, width, fast=True, colour=True)
    if fast is not None:
        slow = written(table, width, fast=False, colour=True)
        assert slow is not None
        assert [line.rstrip() for line in Text.from_ansi(fast).plain.splitlines()] == [
            line.rstrip() for line in Text.from_ansi(slow).plain.splitlines()
        ]
        assert seen(fast) == seen(slow)


LINE_PIECES = [" ", "  ", "a", "1", "\x1b[0m", "\x1b[1;31m", "\x1b[", "m", "\x1b[x", ";", "\x1b"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(LINE_PIECES), max_size=12).map("".join))
def test_a_line_is_trimmed_of_its_last_spaces_and_keeps_its_codes(line) -> None:
    import re

    # the spaces followed by nothing but colour codes and spaces, found by a search
    expected = re.sub(r" +(?=(?:\x1b\[[0-9;]*m| )*$)", "", line)
    assert text._trimmed(line) == expected
