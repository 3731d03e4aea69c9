"""Tables written without rich (render/text.py `plain_lines`) are exactly the tables rich
writes: a file or a pipe gets the same bytes either way, whatever the cells hold and however
narrow the width that wraps their text columns."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

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


def written(table: ResultTable, width: int | None, plain: bool) -> str | None:
    buffer = io.StringIO()
    out = text.console(width, buffer)
    shown = text.shown_columns(table)
    fit = text.layout(table, width, shown)
    if plain:
        lines = text.plain_lines(table, fit, out, shown)
        if lines is None:
            return None
        out.file.write("".join(line + "\n" for line in lines))
    else:
        out.print(text.rich_table(table, fit))
    out.file.flush()
    return buffer.getvalue()


@settings(max_examples=600, deadline=None)
@given(tables(), st.sampled_from([None, 20, 30, 45, 60, 200]))
def test_a_table_written_without_rich_is_the_table_rich_writes(table, width) -> None:
    plain = written(table, width, plain=True)
    if plain is not None:
        assert plain == written(table, width, plain=False)


def test_a_big_plain_table_is_written_without_rich() -> None:
    table = ResultTable("Reps", [Column("rep"), Column("quota", numeric=True)])
    for i in range(2000):
        table.add([f"rep-{i:05d}", Money(Decimal(i * 1000))], depth=i % 2)
    plain = written(table, None, plain=True)
    assert plain is not None
    assert plain == written(table, None, plain=False)
