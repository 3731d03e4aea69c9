"""Reps and territories as CSV tables: the same plan as in YAML, the same numbers, every
problem at file:row:column."""

from __future__ import annotations

import csv
import io
import json
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from unittest.mock import patch

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from salesplan import tables
from salesplan.fiscal import Calendar
from salesplan.loading import load_plan


def as_tables(example: Path) -> None:
    """Move the example's reps and territories into reps.csv and territories.csv."""
    org = yaml.safe_load((example / "org.yaml").read_text())
    rows = ["id,name,parent,start,end,status,ote_base,ote_variable,quota"]
    for r in org.pop("reps"):
        ote = r.get("ote", {})
        cells = [r["id"], r.get("name", ""), r.get("parent", ""), r.get("start", ""),
                 r.get("end", ""), r.get("status", ""), ote.get("base", ""),
                 ote.get("variable", ""), r.get("quota", "")]  # fmt: skip
        rows.append(",".join(str(c) for c in cells))
    (example / "reps.csv").write_text("\n".join(rows) + "\n")
    (example / "org.yaml").write_text(yaml.safe_dump(org, sort_keys=False))
    territories = yaml.safe_load((example / "territories.yaml").read_text())["territories"]
    rows = ["id,name,owner,segment,geo,accounts"]
    metrics = list(csv.DictReader((example / "metrics.csv").open()))
    for t in territories:
        geo, accounts = " ".join(t.get("geo", [])), " ".join(t.get("accounts", []))
        cells = [
            t["id"],
            t.get("name", ""),
            t.get("owner", ""),
            t.get("segment", ""),
            geo,
            accounts,
        ]
        rows.append(",".join(cells))
        metrics.append({"id": t["id"], **t.get("metrics", {})})  # territory metrics move there
    names = list(dict.fromkeys(name for row in metrics for name in row))
    with (example / "metrics.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, names)
        writer.writeheader()
        writer.writerows(metrics)
    (example / "territories.csv").write_text("\n".join(rows) + "\n")
    (example / "territories.yaml").unlink()
    settings = example / "salesplan.yaml"
    settings.write_text(
        settings.read_text() + "files: {reps: reps.csv, territories: territories.csv}\n"
    )


def test_the_same_numbers_from_csv_tables(example: Path, cli) -> None:
    before = {
        c: json.loads(cli(c, example, "--format", "json").stdout)
        for c in ("allocate", "rollup", "reconcile", "capacity")
    }
    as_tables(example)
    assert load_plan(example).diagnostics == []
    for command, doc in before.items():
        assert json.loads(cli(command, example, "--format", "json").stdout) == doc, command


def test_problems_in_a_table_point_at_the_cell(example: Path) -> None:
    as_tables(example)
    reps = example / "reps.csv"
    lines = reps.read_text().splitlines()
    ben = next(i for i, line in enumerate(lines) if line.startswith("ben,"))
    carla = next(i for i, line in enumerate(lines) if line.startswith("carla,"))
    lines[ben] = lines[ben].replace(",amer-ent,", ",amer-entx,")
    lines[carla] = lines[carla].replace(",95000,", ",95OOO,", 1)
    reps.write_text("\n".join(lines) + "\n")
    found = [(d.code, d.file, d.line, d.column) for d in load_plan(example).diagnostics]
    parent_col = lines[ben].index("amer-entx") + 1
    base_col = lines[carla].index("95OOO") + 1
    assert [(code, Path(file).name, line, column) for code, file, line, column in found] == [
        ("SP302", "reps.csv", ben + 1, parent_col),
        ("SP203", "reps.csv", carla + 1, base_col),
    ]


def test_a_cell_after_a_line_break_in_a_quoted_cell(example: Path, cli) -> None:
    """A quoted cell may hold a line break (a note typed with Alt+Enter): a record then
    spans lines, and each cell is placed on its own line (it was the record's last line,
    at column 1 or at a column counted on the wrong line)."""
    as_tables(example)
    reps = example / "reps.csv"
    lines = reps.read_text().splitlines()
    ben = next(i for i, line in enumerate(lines) if line.startswith("ben,"))
    carla = next(i for i, line in enumerate(lines) if line.startswith("carla,"))
    lines[carla] = lines[carla].replace(",95000,", ",95OOO,", 1)
    lines[ben] = lines[ben].replace("Ben Carter,amer-ent,", '"Ben\nCarter",amer-entx,')
    reps.write_text("\n".join(lines) + "\n")
    found = [(d.code, d.line, d.column) for d in load_plan(example).diagnostics]
    assert found == [
        ("SP302", ben + 2, len('Carter",') + 1),  # on the record's second line
        ("SP203", carla + 2, lines[carla].index("95OOO") + 1),  # one line further down
    ]
    forecast = example / "submissions" / "emea-commercial.csv"
    text = forecast.read_text()
    first = text.splitlines()[1]
    rep, period = first.split(",")[:2]
    forecast.write_text(text.replace(first, f'{rep},{period},12O0,"a note\non two lines"', 1))
    result = cli("check", example)  # the amount, on the record's first line
    assert f"emea-commercial.csv:2:{len(rep) + len(period) + 3}: SP605" in result.stdout


def test_a_quote_inside_an_unquoted_cell_is_text(example: Path, cli) -> None:
    """`27" monitors` is read as the csv module reads it, so the next cell is placed where it
    is, not past the rest of the record (a quote used to open a quoted run anywhere)."""
    forecast = example / "submissions" / "emea-commercial.csv"
    rows = 'rep,period,note,amount\nhana,Q1,27" monitors,abc\nines,Q2,5" screens,100\n'
    forecast.write_text(rows)
    result = cli("check", example)
    assert "emea-commercial.csv:2:22: SP605 amount 'abc'" in result.stdout
    assert result.stdout.count("emea-commercial.csv:") == 1


def test_a_line_break_in_a_header_name(example: Path, cli) -> None:
    """A quoted header name over two lines is a name like any other (it was exit 3)."""
    forecast = example / "submissions" / "emea-commercial.csv"
    forecast.write_text('rep,period,"amt\n",note\nhana,Q1,5,\n')
    result = cli("check", example)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "emea-commercial.csv:1:12: SP607" in result.stdout
    as_tables(example)
    reps = example / "reps.csv"
    reps.write_text(reps.read_text().replace("id,name,", 'id,"na\nme",', 1))
    result = cli("check", example)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "reps.csv:1:4: SP201 unknown column 'na\\nme'" in result.stdout


def test_reps_given_twice(example: Path) -> None:
    org_text = (example / "org.yaml").read_text()
    as_tables(example)
    (example / "org.yaml").write_text(org_text)
    found = [(d.code, d.message) for d in load_plan(example).diagnostics]
    assert (
        "SP201",
        "reps are read from reps.csv (files.reps); remove `reps:` from this file",
    ) in found


def test_a_scenario_that_changes_reps_kept_in_a_table(example: Path, cli) -> None:
    """The example's scenario adds a rep under org.yaml's `reps:`; with reps.csv that is
    reported where the scenario says it (it was placed in org.yaml, past its last line)."""
    as_tables(example)
    scenario = (example / "scenarios" / "stretch.yaml").read_text().splitlines()
    line = scenario.index("    reps:") + 1
    result = cli("check", example)
    assert f"stretch.yaml:{line}:5: SP201 reps are read from reps.csv" in result.stdout


def test_an_unknown_column_is_named(example: Path) -> None:
    as_tables(example)
    reps = example / "reps.csv"
    text = reps.read_text()
    reps.write_text(text.replace("ote_base", "ote_bse", 1))
    found = [(d.code, d.line, d.column) for d in load_plan(example).diagnostics]
    assert ("SP201", 1, text.index("ote_base") + 1) in found


# A plain CSV text (no quote, carriage return or NUL, no blank row, rows as wide as the
# header) is split without the csv module; whatever the text, the rows, their lines and
# the problems are those the csv module's reading gives.
_PLAIN_TEXT = st.text(alphabet=" ab1,\né\u2028", max_size=60)
_ANY_TEXT = st.text(alphabet=' ab1,"\r\n\x00é', max_size=60)
# rows as wide as the header, some of empty cells (skipped)
_ROWS_TEXT = (
    st.integers(1, 3)
    .flatmap(
        lambda width: st.lists(
            st.lists(st.sampled_from(["", "a", " ", "é1"]), min_size=width, max_size=width),
            min_size=1,
            max_size=6,
        )
    )
    .map(lambda rows: "\n".join(",".join(row) for row in rows) + "\n")
)


def _read_csv(text: str, plain: bool) -> tuple[object, ...]:
    with ExitStack() as stack:
        if not plain:
            stack.enter_context(patch.object(tables.PlainRows, "of", return_value=None))
        table, rows = tables.open_csv("t.csv", text.encode())
        read = [(line, list(cells)) for line, cells in rows]
    found = [(d.code, d.line, d.column, d.message) for d in table.diagnostics]
    return table.header, table.header_line, read, found, table.truncated


@settings(max_examples=300, deadline=None)
@given(_PLAIN_TEXT | _ANY_TEXT | _ROWS_TEXT)
def test_a_plain_csv_is_read_as_the_csv_module_reads_it(text: str) -> None:
    assert _read_csv(text, plain=True) == _read_csv(text, plain=False)


_SUBMITTED = st.lists(
    st.tuples(
        st.sampled_from(["r1", " r1", "r2 ", ""]),
        st.sampled_from(["Q1", "q2", "2027-03", "Feb-27", "M1", "Q9", " Q3 "]),
        st.sampled_from(["100", " 2.5", "1e3", "-0", "0.001", "x", ""]),
        st.sampled_from(["", " ", "hi", " a note "]),
    ),
    max_size=12,
)


def _batch(text: str, plain: bool) -> tuple[object, ...]:
    from salesplan.submissions import _csv_batch

    problems: list = []
    with ExitStack() as stack:
        if not plain:
            stack.enter_context(patch.object(tables.PlainRows, "of", return_value=None))
        batch = _csv_batch("s.csv", text.encode(), Calendar(date(2027, 2, 1), "quarter"), problems)
    found = [(d.code, d.line, d.column, d.message) for d in problems]
    if batch is None:
        return None, found
    rows = [batch.entry(i) for i in range(len(batch))]
    kept = [(e.rep, e.period, e.amount, e.note, e.rep_at, e.period_at, e.amount_at) for e in rows]
    return kept, found


@settings(max_examples=200, deadline=None)
@given(_SUBMITTED, st.booleans())
def test_submitted_columns_are_read_as_the_rows_are(rows: list, notes: bool) -> None:
    """Submissions take a plain CSV's cells column by column: the same entries, at the
    same places, with the same problems, as reading it row by row."""
    header = "rep,period,amount,note" if notes else "rep,period,amount"
    lines = [",".join(row if notes else row[:3]) for row in rows]
    text = "\n".join([header, *lines]) + "\n"
    assert _batch(text, plain=True) == _batch(text, plain=False)


@settings(max_examples=200, deadline=None)
@given(_PLAIN_TEXT | _ROWS_TEXT, st.integers(1, 8))
def test_a_plain_csv_with_cells_too_long_is_read_as_the_csv_module_reads_it(
    text: str, limit: int
) -> None:
    """A cell longer than the csv module's field size limit is its error (SP112) whether
    the text is plain or not."""
    before = csv.field_size_limit(limit)
    try:
        assert _read_csv(text, plain=True) == _read_csv(text, plain=False)
    finally:
        csv.field_size_limit(before)


@settings(max_examples=300, deadline=None)
@given(_PLAIN_TEXT | _ANY_TEXT | _ROWS_TEXT, st.integers(1, 12))
def test_a_plain_csv_read_in_small_pieces_is_read_as_a_whole(text: str, piece: int) -> None:
    """A plain CSV is split a piece of about `tables.PIECE` characters at a time (cut at a
    line break): whatever the cuts, the rows, lines and problems are the csv module's."""
    with patch.object(tables, "PIECE", piece):
        assert _read_csv(text, plain=True) == _read_csv(text, plain=False)


# cells with white space that str.strip removes at either end, or inside
_PADDED_TEXT = st.text(alphabet=" a1,\n\t\xa0\u3000\x1cé", max_size=60)


def _whole_table(text: str, plain: bool, piece: int) -> tuple[object, ...]:
    with ExitStack() as stack:
        if not plain:
            stack.enter_context(patch.object(tables.PlainRows, "of", return_value=None))
        stack.enter_context(patch.object(tables, "PIECE", piece))
        table = tables.read_csv("t.csv", text.encode())
    found = [(d.code, d.line, d.column, d.message) for d in table.diagnostics]
    return table.header, table.header_line, table.rows, found, table.truncated


@settings(max_examples=300, deadline=None)
@given(_PLAIN_TEXT | _ANY_TEXT | _ROWS_TEXT | _PADDED_TEXT, st.integers(1, 12))
def test_a_plain_table_has_the_stripped_rows_the_csv_module_gives(text: str, piece: int) -> None:
    """`read_csv` strips a plain CSV's cells a piece at a time (`PlainPiece.stripped`): the
    same rows, lines and cells as stripping the csv module's rows one by one."""
    assert _whole_table(text, True, piece) == _whole_table(text, False, piece)


@settings(max_examples=200, deadline=None)
@given(_SUBMITTED, st.booleans(), st.integers(1, 40))
def test_submitted_pieces_are_read_as_the_rows_are(rows: list, notes: bool, piece: int) -> None:
    """Pieces of a plain CSV whose amounts are all numbers are read column by column, the
    others row by row: the same entries, places and problems as reading every row."""
    header = "rep,period,amount,note" if notes else "rep,period,amount"
    lines = [",".join(row if notes else row[:3]) for row in rows]
    text = "\n".join([header, *lines]) + "\n"
    with patch.object(tables, "PIECE", piece):
        assert _batch(text, plain=True) == _batch(text, plain=False)


_AMOUNT_CELLS = ["", "0", "1000", "1_000", "1000.0", "1e3", "-5", "0.00000000001", "x", "1e16"]
_REP_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3", "-bad", ""]),
        st.sampled_from(_AMOUNT_CELLS),
        st.sampled_from(_AMOUNT_CELLS),
        st.sampled_from(["", "2027-01-01", "2027-02-30"]),
    ),
    max_size=12,
)


def _validated_reps(text: str, shared: bool) -> tuple[object, ...]:
    """The reps of reps.csv `text` as read, or (not `shared`) as validated from the records
    the YAML would hold, built here row by row, each with its own `ote`."""
    from dataclasses import replace

    from salesplan.model import Rep
    from salesplan.reading.records import REP_COLUMNS, read_table
    from salesplan.validation import validate_items

    problems: list = []
    broken: set[str] = set()
    doc = read_table("reps.csv", text.encode(), "reps", REP_COLUMNS, problems)
    if not shared:
        rows = csv.DictReader(text.splitlines())
        records = [_rep_record(row) for row in rows if any(row.values())]  # blank: skipped
        doc = replace(doc, data={"reps": records})
    reps, index = validate_items(doc, "reps", Rep, problems, broken)
    kept = [(repr(r), r.model_fields_set, r.ote and r.ote.model_fields_set) for r in reps]
    found = [(d.code, d.line, d.column, d.message, d.path) for d in problems]
    return kept, index, found, broken


def _rep_record(row: dict[str, str]) -> dict[str, object]:
    record: dict[str, object] = {key: row[key] for key in ("id", "start") if row[key]}
    ote = {}
    for sub in ("base", "variable"):
        text = row.get(f"ote_{sub}")
        if text:
            number = tables.parse_decimal(text.replace("_", ""))
            ote[sub] = text if number is None else number
    if ote:
        record["ote"] = ote
    return record


@settings(max_examples=300, deadline=None)
@given(_REP_ROWS, st.sampled_from(["ote_base,ote_variable", "ote_variable,ote_base", "ote_base"]))
def test_a_shared_ote_is_the_ote_validated_in_its_rep(rows: list, columns: str) -> None:
    """Each distinct OTE of reps.csv is validated once and shared by its reps: the same reps,
    the same problems at the same cells, as validating each rep's OTE within it."""
    width = columns.count(",") + 1
    lines = [",".join([rep_id, *amounts[:width], start]) for rep_id, *amounts, start in rows]
    text = "\n".join([f"id,{columns},start", *lines]) + "\n"
    assert _validated_reps(text, shared=True) == _validated_reps(text, shared=False)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="a,\né\u2028\x85\r", max_size=30))
def test_line_starts_are_where_the_csv_module_starts_lines(text: str) -> None:
    expected = [0] + [m.end() for m in tables._LINE_BREAK.finditer(text)]
    assert list(tables._line_starts.__wrapped__(text)) == expected


@settings(max_examples=300, deadline=None)
@given(_PLAIN_TEXT | _ANY_TEXT | _ROWS_TEXT)
def test_the_csv_module_is_given_the_lines_a_stringio_gives(text: str) -> None:
    assert list(tables._lines(text)) == list(io.StringIO(text, newline=""))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="0123456789", max_size=18) | st.text(alphabet="0123456789.-e_ x", max_size=8)
)
def test_a_cell_of_digits_is_read_as_any_number(text: str) -> None:
    """Plain digits below 10^15 skip the bounds check: the same value, or the same reason
    it is none."""
    from decimal import Decimal, InvalidOperation

    from salesplan.money import out_of_bounds

    try:
        value = Decimal(text)
    except InvalidOperation:
        expected: object = tables.NOT_A_NUMBER
    else:
        problem = out_of_bounds(value)
        expected = value if problem is None else f"is out of range: it {problem}"
    found = tables.read_number(text)
    assert (type(found), str(found)) == (type(expected), str(expected))


_TABLE_NAMES = ["id", "name", "start", "status", "ote_base", "ote_variable", "quota", "geo", "x"]
_TABLE_CELLS = ["", " ", "r1", " r2 ", "1000", "1_000", "0", "-5", "x", "a b", "2027-01-01"]
_TABLE_TEXT = st.lists(st.sampled_from(_TABLE_NAMES), min_size=1, max_size=6).flatmap(
    lambda header: st.tuples(
        st.just(header),
        st.lists(
            st.lists(st.sampled_from(_TABLE_CELLS), min_size=len(header), max_size=len(header)),
            max_size=8,
        ),
        st.sampled_from(["", '"q, r"', "\n", "extra"]),  # plain, or read by the csv module
    )
)


def _record_by_row(
    cells: list[str], header: list[str], columns: dict[str, tuple[str, ...]]
) -> dict[str, object]:
    """reps.csv's record of a row, by its definition: each column's non-empty cell under
    its key, text as it is, amounts as numbers (else the text), lists split on spaces, the
    cells of `ote_*` as a sub-record, an `Ote` when valid (keys in that order)."""
    from pydantic import ValidationError

    from salesplan.model import Ote
    from salesplan.reading.records import AMOUNTS, LISTS

    def number(text: str) -> object:
        value = tables.parse_decimal(text.replace("_", ""))
        return text if value is None else value

    named = [(name, cell) for name, cell in zip(header, cells) if name in columns and cell]
    record: dict[str, object] = {}
    for name, cell in named:
        if name not in AMOUNTS | LISTS and len(columns[name]) == 1:
            record[name] = cell
    for name, cell in named:
        if name in LISTS or (name in AMOUNTS and len(columns[name]) == 1):
            record[name] = cell.split() if name in LISTS else number(cell)
    ote = {columns[n][1]: number(c) for n, c in named if columns[n][0] == "ote"}
    if ote:
        try:
            record["ote"] = Ote.model_validate(ote)
        except ValidationError:
            record["ote"] = ote
    return record


@settings(max_examples=300, deadline=None)
@given(_TABLE_TEXT, st.integers(1, 40))
def test_records_read_column_by_column_are_the_rows_records(case: tuple, piece: int) -> None:
    """`read_table` makes the records column by column: each is the record of its row, at
    the line the csv module reads it on, its cells where the csv module puts them, with
    the csv module's problems, whatever the reading (plain or not, any piece size)."""
    from salesplan.reading.records import REP_COLUMNS, read_table

    header, rows, odd = case
    lines = [",".join(header), *(",".join(row) for row in rows)]
    if odd and rows:
        lines[1] = odd if odd == "\n" else f"{lines[1]},{odd}"
    text = "\n".join(lines) + "\n"
    columns = {**REP_COLUMNS, "geo": ("geo",)}  # and a list
    problems: list = []
    with patch.object(tables, "PIECE", piece):
        doc = read_table("t.csv", text.encode(), "reps", columns, problems)
    table = tables.read_csv("t.csv", text.encode())
    width = len(table.header)
    names = [name.strip().lower() for name in table.header]
    expected = [_record_by_row(row.values[:width], names, columns) for row in table.rows]
    assert doc.data == {"reps": expected}
    at = {name: j for j, name in enumerate(names) if name in columns}  # the last, if twice
    places = [doc.locate(("reps", i, *columns[name])) for i in range(len(expected)) for name in at]
    cells = [table.cell_at(row.line, j) for row in table.rows for j in at.values()]
    assert places == cells
    found = [(d.code, d.line, d.column, d.message) for d in problems]
    assert found[: len(table.diagnostics)] == [
        (d.code, d.line, d.column, d.message) for d in table.diagnostics
    ]
