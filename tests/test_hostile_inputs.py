"""A hostile corpus (issue #11): inputs that used to cost minutes, crash a later command
(exit 3) or give a silently wrong number. Each is rejected with exit 1, a
`file:line:col: CODE` diagnostic and no traceback, well within a second, through the CLI."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

PLAN = """\
salesplan: 1
name: Hostile
currency: USD
fiscal_year: {start: 2027-01-01}
target: 1000000
levels: [{name: rep}]
"""
TEAM_PLAN = PLAN.replace("levels: [{name: rep}]", "levels: [{name: team}, {name: rep}]")
ORG = "reps:\n  - {id: ana, start: 2024-01-01}\n"
SECONDS = 2.0  # generous: each case takes well under a second on a 2-core machine
MEGABYTES = 100


@pytest.fixture(scope="module", autouse=True)
def warm_imports() -> None:
    """Import what `check` imports lazily, so the clock measures the input only."""
    import salesplan.checks
    import salesplan.cli
    import salesplan.loading
    import salesplan.render.diagnostics  # noqa: F401


def run(cli, folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str, memory: bool = False):
    """`salesplan <args> .` inside `folder` (default `check`), timed and without traceback;
    with `memory`, run once more to measure the peak of memory allocated (tracemalloc slows
    the run several times, so that run is not timed)."""
    monkeypatch.chdir(folder)
    start = time.perf_counter()
    result = cli(*(args or ("check",)), ".")
    elapsed = time.perf_counter() - start
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code != 3, result.stdout + result.stderr
    assert elapsed < SECONDS, f"took {elapsed:.2f} s"
    if memory:
        tracemalloc.start()
        try:
            cli(*(args or ("check",)), ".")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < MEGABYTES * 1e6, f"peak {peak / 1e6:.0f} MB"
    return result


def assert_reported(result, *where_codes: str) -> None:
    """Exit 1 and each `file:line:col: CODE` at the start of some output line."""
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for expected in where_codes:
        assert any(line.startswith(expected + " ") for line in lines), (expected, lines[:5])


# ---- cost: the error path is a path


def test_every_row_broken_is_fast_and_capped(cli, write_tree, monkeypatch) -> None:
    forecast = "rep,period,amount\n" + "ana,Q1,x\n" * 20_000  # 180 KB, every amount wrong
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, "submissions/f.csv": forecast})
    result = run(cli, folder, monkeypatch, memory=True)
    assert_reported(result, "submissions/f.csv:2:8: SP605", "submissions/f.csv:201:8: SP605")
    lines = result.stdout.splitlines()
    assert len(lines) == 201
    assert lines[-1] == (
        "submissions/f.csv:202:8: SP115 19,800 more SP605 problems in this file are not "
        "listed; fix the ones above first"
    )


def test_one_wide_row_of_bad_metrics(cli, write_tree, monkeypatch) -> None:
    names = ",".join(f"m{i}" for i in range(20_000))
    metrics = f"id,{names}\nana," + ",".join("x" * 20_000) + "\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, "metrics.csv": metrics})
    result = run(cli, folder, monkeypatch, memory=True)
    # the columns are still exact: m0 is cell 2 of line 2, at character 5; m99 at 203
    assert_reported(result, "metrics.csv:2:5: SP411", "metrics.csv:2:203: SP411")
    assert "SP115 19,800 more SP411 problems" in result.stdout


def test_rows_with_extra_cells(cli, write_tree, monkeypatch) -> None:
    row = "ana,Q1,1," + ",".join(["xxx"] * 20) + "\n"
    forecast = "rep,period,amount\n" + row * 5_000
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, "submissions/f.csv": forecast})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.csv:2:10: SP112", "submissions/f.csv:201:10: SP112")
    assert "SP115 4,800 more SP112 problems" in result.stdout


TABLES_PLAN = PLAN + "files: {reps: reps.csv, territories: territories.csv}\n"
REPS_CSV = "id,name,start\nana,Ana,2024-01-01\nben,Ben,2024-01-01\n"
TERRITORIES_CSV = "id,owner\nt1,ana\nt2,ben\n"


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        (
            "submissions/f.csv",
            'rep,period,amount,note\nana,Q1,10,"to check\nana,Q2,20000000,\nana,Q3,30,\n',
            "submissions/f.csv:2:1",
        ),
        ("metrics.csv", 'id,history\nana,"1000\nben,5000\n', "metrics.csv:2:1"),
        ("reps.csv", 'id,name,start\nana,"Ana,2024-01-01\nben,Ben,2024-01-01\n', "reps.csv:2:1"),
        ("territories.csv", 'id,owner\nt1,"ana\nt2,ben\n', "territories.csv:2:1"),
    ],
)
def test_a_quote_never_closed(file: str, text: str, where: str, cli, write_tree, monkeypatch):
    """A quote opened and never closed read every row after it into one cell: the 20,000,000
    of Q2 vanished into a note and `check` passed. It is SP112 at the row it opens in, and
    the only problem: not also SP608 "no rows" for a submission whose first row it is, nor
    SP308 (owner not a rep) and SP503 (rep owns no territory) for the records it cut off."""
    tables = {"org.yaml": "units: []\n", "reps.csv": REPS_CSV, "territories.csv": TERRITORIES_CSV}
    files = {"salesplan.yaml": TABLES_PLAN, **tables} if file in tables else {}
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, **files, file: text})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, f"{where}: SP112")
    assert "never closed" in result.stdout
    assert result.stdout.count(": SP") == 1, result.stdout


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("rep,period,amount,note\nana,Q1,1,{long}\n", "2:10", "cell 'note'"),
        ('rep,period,amount,note\nana,Q1,1,"a\n{long}"\n', "2:10", "cell 'note'"),
        ("rep,{long},amount\nana,Q1,1\n", "1:5", "header cell 2"),
    ],
)
def test_a_cell_too_long_is_named(text, where, what, cli, write_tree, monkeypatch) -> None:
    """A cell longer than the csv module reads is reported at that cell, by its column's
    name, in salesplan's words (it was Python's "field larger than field limit (131072)",
    at column 1)."""
    forecast = text.format(long="x" * 200_000)
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, "submissions/f.csv": forecast})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, f"submissions/f.csv:{where}: SP112")
    assert f"SP112 {what} is longer than 131,072 characters" in result.stdout
    assert "field limit" not in result.stdout


@pytest.mark.parametrize(("file", "where"), [("reps.csv", "2:3"), ("territories.csv", "2:6")])
def test_a_table_not_in_utf8_is_its_only_problem(file, where, cli, write_tree, monkeypatch):
    tables = {"org.yaml": "units: []\n", "reps.csv": REPS_CSV, "territories.csv": TERRITORIES_CSV}
    latin1 = tables[file].replace("ana", "an\xe1").encode("latin-1")
    folder = write_tree({"salesplan.yaml": TABLES_PLAN, **tables, file: latin1})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, f"{file}:{where}: SP102")
    assert result.stdout.count(": SP") == 1, result.stdout


@pytest.mark.parametrize("amount", ["1\u09ea00000", "\uff11\uff10", "\u0663"])
def test_digits_of_other_scripts_are_not_numbers(amount: str, cli, write_tree, monkeypatch):
    """Decimal reads any script's digits: `1৪00000` (a Bengali four, drawn like an 8) was
    taken as 1,400,000 where a reviewer reads 1,800,000. A number is written in ASCII."""
    submission = f"rep,period,amount\nana,Q1,{amount}\n"
    metrics = f"id,history\nana,{amount}\n"
    folder = write_tree(
        {"salesplan.yaml": PLAN, "org.yaml": ORG, "submissions/f.csv": submission,
         "metrics.csv": metrics}
    )  # fmt: skip
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.csv:2:8: SP605", "metrics.csv:2:5: SP411")


def test_long_parent_chain(cli, write_tree, monkeypatch) -> None:
    units = "units:\n" + "".join(
        f"  - {{id: u{i}, level: team{f', parent: u{i - 1}' if i else ''}}}\n" for i in range(2_000)
    )
    org = units + "reps:\n  - {id: ana, parent: u0, start: 2024-01-01}\n"
    folder = write_tree({"salesplan.yaml": TEAM_PLAN, "org.yaml": org})
    assert_reported(run(cli, folder, monkeypatch), "org.yaml:3:35: SP303")


def test_long_cycle(cli, write_tree, monkeypatch) -> None:
    units = "units:\n" + "".join(
        f"  - {{id: u{i}, level: team, parent: u{(i + 1) % 2_000}}}\n" for i in range(2_000)
    )
    org = units + "reps:\n  - {id: ana, parent: u0, start: 2024-01-01}\n"
    folder = write_tree({"salesplan.yaml": TEAM_PLAN, "org.yaml": org})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "org.yaml:2:35: SP305")
    first = result.stdout.splitlines()[0]
    assert "u0 -> u1 -> u2" in first and "… -> u0; break the cycle" in first


def test_many_mistyped_reps_among_many(cli, write_tree, monkeypatch) -> None:
    reps = "".join(f"  - {{id: rep-{i:05d}, start: 2024-01-01}}\n" for i in range(10_000))
    rows = "".join(f"rep-{i:05d}x,Q1,1\nrep-{i:05d}x,Q2,1\n" for i in range(0, 10_000, 50))
    folder = write_tree(
        {
            "salesplan.yaml": PLAN,
            "org.yaml": "reps:\n" + reps,
            "submissions/f.csv": "rep,period,amount\n" + rows,
        }
    )
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.csv:2:1: SP601")
    assert "unknown rep 'rep-00000x'; did you mean 'rep-00000'?" in result.stdout


@pytest.mark.parametrize("keys", [3_000, 30_000, 60_000])  # under 64 KiB; over (read plain first)
def test_one_record_with_many_unknown_keys(keys: int, cli, write_tree, monkeypatch) -> None:
    """Every one would ask for a suggestion and a place: 50 are reported, then one line."""
    extra = "".join(f"    k{i}: {i}\n" for i in range(keys))
    org = f"reps:\n  - id: ana\n    start: 2024-01-01\n{extra}  - {{id: ben}}\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = run(cli, folder, monkeypatch, memory=keys < 50_000)
    assert_reported(result, "org.yaml:4:5: SP201", "org.yaml:2:5: SP115")
    assert f"{keys - 50:,} more problems in this item are not listed" in result.stdout
    assert len(result.stdout.splitlines()) == 51


def test_yaml_submission_for_unknown_rep_is_one_diagnostic(cli, write_tree, monkeypatch) -> None:
    submission = "rep: bob\nforecast: {Q1: 1, Q2: 2, Q3: 3, Q4: 4}\n"
    folder = write_tree(
        {"salesplan.yaml": PLAN, "org.yaml": ORG, "submissions/bob.yaml": submission}
    )
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/bob.yaml:1:6: SP601")
    assert len(result.stdout.splitlines()) == 1


# ---- numbers are bounded: a diagnostic in check, never exit 3 in a later command

COMMANDS = ("check", "allocate", "rollup", "report", "capacity", "reconcile")
BOUNDS: dict[str, tuple[dict[str, str], str]] = {
    "target 1e26": ({"salesplan.yaml": PLAN.replace("1000000", "1e26")}, "salesplan.yaml:5:9"),
    "target 1e400": ({"salesplan.yaml": PLAN.replace("1000000", "1e400")}, "salesplan.yaml:5:9"),
    "rounding 1e-30": ({"salesplan.yaml": PLAN + "rounding: 1e-30\n"}, "salesplan.yaml:7:11"),
    "ote 1e400": (
        {"org.yaml": "reps:\n  - {id: ana, start: 2024-01-01, ote: {base: 1e400}}\n"},
        "org.yaml:2:46",
    ),
    "pin above 10^15": (
        {"org.yaml": "reps:\n  - {id: ana, start: 2024-01-01, quota: 1_000_000_000_000_001}\n"},
        "org.yaml:2:41",
    ),
    "csv amount 1e30": (
        {"submissions/f.csv": "rep,period,amount\nana,Q1,1e30\n"},
        "submissions/f.csv:2:8",
    ),
    "yaml amount 1e30": (
        {"submissions/ana.yaml": "rep: ana\nforecast: {Q1: 1e30}\n"},
        "submissions/ana.yaml:2:16",
    ),
    "metric 1e-20": (
        {"org.yaml": "reps:\n  - {id: ana, start: 2024-01-01, metrics: {history: 1e-20}}\n"},
        "org.yaml:2:53",
    ),
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_numbers_are_bounded(name: str, cli, write_tree, monkeypatch) -> None:
    files, where = BOUNDS[name]
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, **files})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, f"{where}: SP412")
    assert "out of range" in result.stdout
    for command in COMMANDS[1:]:
        assert run(cli, folder, monkeypatch, command).exit_code == 1


def test_numbers_at_the_bounds_compute(cli, write_tree, monkeypatch) -> None:
    plan = PLAN.replace("1000000", "1_000_000_000_000_000") + "rounding: 0.01\n"
    org = (
        "reps:\n  - {id: ana, start: 2024-01-01, ote: {base: 1_000_000_000_000_000}}\n"
        "  - {id: ben, start: 2024-01-01, quota: 999_999_999_999_999.99}\n"
    )
    # a submitted amount has at most the currency's decimals (SP412), not ten
    forecast = "rep,period,amount\nana,Q1,999999999999999.99\nben,Q1,0.01\n"
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": org, "submissions/f.csv": forecast})
    for command in COMMANDS:
        result = run(cli, folder, monkeypatch, command)
        assert result.exit_code == 0, (command, result.stdout)


@pytest.mark.parametrize("start", ["9999-12-01", "9998-02-01"])
def test_a_fiscal_year_past_the_calendar(start: str, cli, write_tree, monkeypatch) -> None:
    """A fiscal year whose months run past year 9999 is a diagnostic, not an internal error
    in every command (exit 3); the last start that fits computes."""
    plan = PLAN.replace("2027-01-01", start)
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": ORG})
    for command in COMMANDS:
        result = run(cli, folder, monkeypatch, command)
        assert result.exit_code == 1, (command, result.stdout + result.stderr)
    assert_reported(run(cli, folder, monkeypatch), "salesplan.yaml:4:22: SP203 must be at most")
    (folder / "salesplan.yaml").write_text(PLAN.replace("2027-01-01", "9998-01-01"))
    for command in COMMANDS:
        assert run(cli, folder, monkeypatch, command).exit_code == 0, command


def test_out_of_bounds_text_in_bounds_value() -> None:
    """Trailing zeros are not decimals, and the bound is the value's, not its text's."""
    from decimal import Decimal

    from salesplan.money import out_of_bounds

    assert out_of_bounds(Decimal("1.50000000000000000000")) is None
    assert out_of_bounds(Decimal("1e15")) is None
    assert out_of_bounds(Decimal("-1e15")) is None
    assert out_of_bounds(Decimal("0E-40")) is None
    assert out_of_bounds(Decimal("1000000000000000.1")) is not None
    assert out_of_bounds(Decimal("1e-11")) is not None
    assert out_of_bounds(Decimal("NaN")) is not None


CheckFn = Callable[[str], str]


def test_suggestions_among_many_candidates() -> None:
    from salesplan.diagnostics import Suggestions, did_you_mean

    reps = [f"rep-{i:05d}" for i in range(10_000)]
    suggest = Suggestions(reps)
    for typo in ("rep-00042x", "rpe-00042", "Rep-00042", "rep-0042"):
        assert suggest(typo) == did_you_mean(typo, reps)  # the same as looking at them all
    assert suggest("rpe-00042") == "; did you mean 'rep-00042'?"
    assert suggest("zzz") == ""
    start = time.perf_counter()
    for i in range(100_000):  # distinct names, as a file of hostile rows would have
        suggest(f"rep-{i:06d}y")
    assert time.perf_counter() - start < SECONDS
    assert suggest("rep-00042x") == "; did you mean 'rep-00042'?"  # asked before: kept


# ---- XLSX read fully and safely, as people write it

SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}</Relationships>"
)


def cell(ref: str, value: str | int) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if value.startswith("="):
        return f'<c r="{ref}"><f>{value[1:]}</f></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def sheet_xml(rows: list[list[str | int]], dimension: str = "A1:C2") -> str:
    body = "".join(
        f'<row r="{r}">' + "".join(cell(f"{'ABCD'[c]}{r}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    return SHEET.format(dimension=dimension, rows=body)


def workbook(sheets: dict[str, str], extra: dict[str, bytes] | None = None) -> bytes:
    """An XLSX file with the sheets {name: sheet XML}, written part by part."""
    import io
    import zipfile

    names = list(sheets)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "xl/workbook.xml",
            WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                    for i, n in enumerate(names)
                )
            ),
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            RELS.format(
                rels="".join(
                    f'<Relationship Id="rId{i + 1}" Target="worksheets/sheet{i + 1}.xml" '
                    'Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/worksheet"/>'
                    for i in range(len(names))
                )
            ),
        )
        for i, name in enumerate(names):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheets[name])
        for part, data in (extra or {}).items():
            zf.writestr(part, data)
        strings = "xl/sharedStrings.xml" in (extra or {})
        zf.writestr("[Content_Types].xml", TYPES.format(strings=STRINGS_TYPE if strings else ""))
    return buffer.getvalue()


TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{strings}</Types>'
)
STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


TEAM = "reps:\n  - {id: ana, start: 2024-01-01}\n  - {id: ben, start: 2024-01-01}\n"


def rollup_of(cli, folder: Path, monkeypatch, rep: str) -> str:
    import json

    result = run(cli, folder, monkeypatch, "rollup", "-f", "json")
    assert result.exit_code == 0, result.stdout
    [node] = [n for n in json.loads(result.stdout)["nodes"] if n["id"] == rep]
    return str(node["forecast"]["total"])


def test_rows_beyond_the_dimension_are_read(cli, write_tree, monkeypatch) -> None:
    """openpyxl's read-only mode stops at <dimension>: ben's forecast was 1,180,000."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Forecast"
    sheet.append(["rep", "period", "amount"])
    for period, amount in (("Q1", 280_000), ("Q2", 300_000), ("Q3", 300_000), ("Q4", 300_000)):
        sheet.append(["ben", period, amount])
    sheet.append(["ben", "Q4", 300_000])
    buffer = io.BytesIO()
    book.save(buffer)
    data = _patched(buffer.getvalue(), "xl/worksheets/sheet1.xml", b"A1:C6", b"A1:C5")
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/ben.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ben") == "1480000.00"


def _patched(xlsx: bytes, part: str, old: bytes, new: bytes) -> bytes:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                assert old in data
                data = data.replace(old, new)
            zf.writestr(info.filename, data)
    return buffer.getvalue()


def test_huge_dimension_does_not_spin(cli, write_tree, monkeypatch) -> None:
    rows: list[list[str | int]] = [["rep", "period", "amount"], ["ana", "Q1", 5]]
    data = workbook({"Forecast": sheet_xml(rows, dimension="A1:XFD1048576")})
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "5.00"


def test_far_cells_do_not_pad_rows(cli, write_tree, monkeypatch) -> None:
    body = '<row r="1">' + cell("A1", "rep") + cell("B1", "period") + cell("C1", "amount")
    body += "</row>" + "".join(
        f'<row r="{r}">{cell(f"A{r}", "ana")}{cell(f"B{r}", "Q1")}{cell(f"C{r}", 1)}'
        f"{cell(f'XFD{r}', 1)}</row>"
        for r in range(2, 5_002)
    )
    data = workbook({"Forecast": SHEET.format(dimension="A1:XFD5001", rows=body)})
    assert len(data) < 1_000_000
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "5000.00"


def _forecast_rows(rows: str, line: int = 2) -> bytes:
    """A Forecast sheet: the header, ana's row (Q1, 1) on lines 2 to `line` - 1, then `rows`."""
    body = '<row r="1">' + cell("A1", "rep") + cell("B1", "period") + cell("C1", "amount")
    body += "</row>" + "".join(
        f'<row r="{r}">{cell(f"A{r}", "ana")}{cell(f"B{r}", "Q1")}{cell(f"C{r}", 1)}</row>'
        for r in range(2, line)
    )
    return workbook({"Forecast": SHEET.format(dimension="A1:C2", rows=body + rows)})


def test_a_submission_sheet_holds_at_most_10_000_rows(cli, write_tree, monkeypatch) -> None:
    """Row 10,000 is read; a row past it is SP111 at that row, and the file is not read."""
    data = _forecast_rows("", line=10_001)
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "9999.00"
    (folder / "submissions/f.xlsx").write_bytes(_forecast_rows("", line=10_002))
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.xlsx:10001:1: SP111")
    assert "past row 10,000" in result.stdout and "(sheet 'Forecast')" in result.stdout
    assert result.stdout.count(": SP") == 1, result.stdout


def test_empty_cells_below_the_data_stop_the_read_at_the_cap(cli, write_tree, monkeypatch) -> None:
    """Rows of empty formatted cells below the data (a range given a border): read up to
    the row cap, not to their end (150,000 such rows took 3 s)."""
    empty = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}" s="1"/>' for c in "EFGHIJKL") + "</row>"
        for r in range(6, 40_006)
    )
    data = _forecast_rows(empty, line=6)
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert_reported(run(cli, folder, monkeypatch), "submissions/f.xlsx:10001:1: SP111")


def test_a_submission_workbook_part_is_bounded(cli, write_tree, monkeypatch) -> None:
    """A part of a submission workbook inflating past the limit (8 MiB) is refused unread."""
    import salesplan.submissions

    limits = salesplan.submissions.XLSX_LIMITS._replace(part=2_000)
    monkeypatch.setattr(salesplan.submissions, "XLSX_LIMITS", limits)
    data = _forecast_rows("", line=40)
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.xlsx:1:1: SP111")
    assert "sheet1.xml inflates to 5,492 bytes" in result.stdout, result.stdout
    assert "more than the 2,000 a submission workbook may hold; split" in result.stdout


SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>'
BAD_WORKBOOKS: dict[str, tuple[bytes, str, str]] = {
    "one huge shared string": (
        workbook(
            {"Forecast": sheet_xml([["rep", "period", "amount"]])},
            {
                "xl/sharedStrings.xml": SST.format(
                    "<si><t>" + "a" * 8_000_000 + "</t></si>"
                ).encode()
            },
        ),
        "SP111",
        "a zip bomb",
    ),
    "external entity": (
        workbook(
            {
                "Forecast": sheet_xml([["rep", "period", "amount"], ["ana", "Q1", 1]]).replace(
                    "<worksheet",
                    '<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet',
                )
            }
        ),
        "SP113",
        "declares a DTD or entities",
    ),
    "entity bomb": (
        workbook(
            {"Forecast": sheet_xml([["rep", "period", "amount"]])},
            {
                "xl/sharedStrings.xml": (
                    '<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
                    + "".join(
                        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                        for i in range(9)
                    )
                    + "]>"
                    + SST.format("<si><t>&j;</t></si>")
                ).encode()
            },
        ),
        "SP113",
        "declares a DTD or entities",
    ),
    "broken xml": (
        workbook({"Forecast": sheet_xml([["rep", "period", "amount"]])[:-30]}),
        "SP113",
        "is not well-formed XML",
    ),
    "no worksheet": (workbook({}), "SP113", "the workbook has no worksheet"),
    "not a zip": (b"rep,period,amount\nana,Q1,1\n", "SP113", "not an XLSX workbook"),
}


@pytest.mark.parametrize("name", list(BAD_WORKBOOKS))
def test_bad_workbooks_are_diagnostics(name: str, cli, write_tree, monkeypatch) -> None:
    data, code, words = BAD_WORKBOOKS[name]
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    result = run(cli, folder, monkeypatch, memory=True)
    assert_reported(result, f"submissions/f.xlsx:1:1: {code}")
    assert words in result.stdout


def test_too_many_shared_strings(cli, write_tree, monkeypatch) -> None:
    import salesplan.reading.xlsx

    monkeypatch.setattr(salesplan.reading.xlsx, "MAX_STRINGS", 200)  # bytes
    strings = SST.format("<si><t>x</t></si>" * 11)
    data = workbook(
        {"Forecast": sheet_xml([["rep", "period", "amount"]])},
        {"xl/sharedStrings.xml": strings.encode()},
    )
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert_reported(run(cli, folder, monkeypatch), "submissions/f.xlsx:1:1: SP111")


def test_data_sheet_after_instructions(cli, write_tree, monkeypatch) -> None:
    instructions = sheet_xml([["Fill in the Forecast sheet"], ["One row per rep and quarter"]])
    forecast = sheet_xml([["Rep", "Period", "Amount", "Note"], ["ana", "Q1", 250]])
    data = workbook({"Instructions": instructions, "Forecast": forecast})
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "250.00"


def test_only_sheet_with_the_header(cli, write_tree, monkeypatch) -> None:
    notes = sheet_xml([["read me"]])
    data_sheet = sheet_xml([[" REP ", "period", "amount"], ["ana", "Q1", 7]])
    data = workbook({"Notes": notes, "Sheet2": data_sheet})
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "7.00"


def _book(*sheets: tuple[str, str, list[list[str | int]]]) -> bytes:
    """A workbook of (title, state, rows) sheets, a state being visible, hidden or veryHidden."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER: list[str | int] = ["rep", "period", "amount"]


def test_rows_on_a_hidden_sheet_do_not_count_silently(cli, write_tree, monkeypatch) -> None:
    """A hidden sheet first with 777, the visible one with 100: the hidden rows were read
    and the visible ones, those a reviewer sees in Excel, were not. Now the visible sheet
    is read and the hidden one named (SP611); rows only on a hidden sheet are SP610."""
    secret = ("Secret", "hidden", [HEADER, ["ana", "Q1", 777]])
    shown = ("Shown", "visible", [HEADER, ["ana", "Q1", 100]])
    folder = write_tree(
        {"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": _book(secret, shown)}
    )
    assert rollup_of(cli, folder, monkeypatch, "ana") == "100.00"
    result = run(cli, folder, monkeypatch)
    assert result.exit_code == 0
    assert "submissions/f.xlsx:1:1: SP611 " in result.stdout and "(sheet 'Secret')" in result.stdout
    for state in ("hidden", "veryHidden"):
        notes = ("Notes", "visible", [["read me"]])
        (folder / "submissions/f.xlsx").write_bytes(_book(notes, ("Data", state, secret[2])))
        result = run(cli, folder, monkeypatch)
        assert_reported(result, "submissions/f.xlsx:1:1: SP610")


def test_a_hidden_sheet_named_like_data_is_not_read_before_a_visible_one(
    cli, write_tree, monkeypatch
) -> None:
    """The visible sheet with the header is read even when a hidden one is named Forecast
    (a name that otherwise picks the data sheet): the reviewer sees the visible rows."""
    shown = ("Sheet1", "visible", [HEADER, ["ana", "Q1", 100]])
    secret = ("Forecast", "hidden", [HEADER, ["ana", "Q1", 777]])
    book = _book(shown, secret)
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": book})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "100.00"
    result = run(cli, folder, monkeypatch)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "submissions/f.xlsx:1:1: SP611 this sheet also has the header rep,period,amount, but "
        "only sheet 'Sheet1' is read; move its rows there or into a file of their own "
        "(sheet 'Forecast')"
    ]


def test_a_second_sheet_of_rows_is_named(cli, write_tree, monkeypatch) -> None:
    first = ("Q1", "visible", [HEADER, ["ana", "Q1", 100]])
    second = ("Q2", "visible", [HEADER, ["ana", "Q2", 200]])
    template = ("Blank", "visible", [HEADER])  # a header without rows loses nothing
    book = _book(first, second, template)
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": book})
    result = run(cli, folder, monkeypatch)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "submissions/f.xlsx:1:1: SP611 this sheet also has the header rep,period,amount, but "
        "only sheet 'Q1' is read; move its rows there or into a file of their own (sheet 'Q2')"
    ]


def test_headers_any_case_in_csv(cli, write_tree, monkeypatch) -> None:
    forecast = "Rep,Period,Amount,Note\nana,Q1,300,ok\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.csv": forecast})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "300.00"


def test_formula_cells(cli, write_tree, monkeypatch) -> None:
    cached = '<c r="C2"><f>100+200</f><v>300</v></c>'
    rows = (
        '<row r="1">'
        + cell("A1", "rep")
        + cell("B1", "period")
        + cell("C1", "amount")
        + "</row>"
        + f'<row r="2">{cell("A2", "ana")}{cell("B2", "Q1")}{cached}</row>'
        + f'<row r="3">{cell("A3", "ana")}{cell("B3", "Q2")}{cell("C3", "=SUM(C1:C2)")}</row>'
    )
    data = workbook({"Forecast": SHEET.format(dimension="A1:C3", rows=rows)})
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.xlsx:3:3: SP605")
    assert "formula with no saved value (=SUM(C1:C2))" in result.stdout
    assert "never opened in Excel" in result.stdout
    assert len(result.stdout.splitlines()) == 1  # the cached 300 of row 2 is read


# ---- the submissions folder: nothing silently skipped, nothing outside read, no hang


def test_fifo_is_a_diagnostic_not_a_hang(cli, write_tree, monkeypatch) -> None:
    import os

    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/a.yaml": ""})
    (folder / "submissions" / "a.yaml").unlink()
    os.mkfifo(folder / "submissions" / "pipe.csv")
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/pipe.csv:1:1: SP113")
    assert "FIFO" in result.stdout


def test_symlink_out_of_the_plan_is_not_read(cli, write_tree, monkeypatch, tmp_path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("rep,period,amount\nTOKEN-1234,Q1,1\n")
    folder = write_tree(
        {"plan/salesplan.yaml": PLAN, "plan/org.yaml": TEAM, "plan/submissions/ok.csv": ""}
    )
    plan = folder / "plan"
    (plan / "submissions" / "ok.csv").write_text("rep,period,amount\nana,Q1,1\n")
    (plan / "submissions" / "leak.csv").symlink_to(secret)
    (plan / "submissions" / "inside.csv").symlink_to(plan / "submissions" / "ok.csv")
    result = run(cli, plan, monkeypatch)
    assert_reported(result, "submissions/leak.csv:1:1: SP113")
    assert "outside the plan folder" in result.stdout
    assert "TOKEN" not in result.stdout
    # the symlink inside the plan is read: its row doubles ok.csv's
    assert "SP606 ana Q1 is also submitted in submissions/inside.csv" in result.stdout


def test_submissions_folder_symlinked_out(cli, write_tree, monkeypatch, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.csv").write_text("rep,period,amount\nTOKEN-1234,Q1,1\n")
    folder = write_tree({"plan/salesplan.yaml": PLAN, "plan/org.yaml": TEAM})
    (folder / "plan" / "submissions").symlink_to(outside)
    result = run(cli, folder / "plan", monkeypatch)
    # the loader confines files:, at the folder itself when no key names it
    assert_reported(result, "submissions:1:1: SP114")
    assert "TOKEN" not in result.stdout


def _refuse(monkeypatch, function: str, name: str) -> None:
    """Make os.<function> refuse paths ending in `name`, as chmod 000 does for a user
    (the tests may run as root, whom chmod does not stop)."""
    import os

    real = getattr(os, function)

    def refusing(path, *args, **kwargs):
        if str(path).endswith(name):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, function, refusing)


def test_unreadable_subfolder_is_a_diagnostic(cli, write_tree, monkeypatch) -> None:
    folder = write_tree(
        {
            "salesplan.yaml": PLAN,
            "org.yaml": TEAM,
            "submissions/emea/f.csv": "rep,period,amount\nana,Q1,1\n",
            "submissions/amer/f.csv": "rep,period,amount\nben,Q1,1\n",
        }
    )
    _refuse(monkeypatch, "scandir", "emea")
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/emea:1:1: SP113")
    assert "cannot read folder: Permission denied" in result.stdout
    assert run(cli, folder, monkeypatch, "rollup").exit_code == 1  # no forecast of 0


def test_unreadable_file_is_a_diagnostic(cli, write_tree, monkeypatch) -> None:
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": b"locked"})
    _refuse(monkeypatch, "open", "f.xlsx")
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.xlsx:1:1: SP113")
    assert "permission denied" in result.stdout


@pytest.mark.skipif(
    not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
    reason="chmod does not stop root",
)
def test_chmod_000_submissions(cli, write_tree, monkeypatch) -> None:
    folder = write_tree(
        {"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.csv": "rep,period,amount\n"}
    )
    (folder / "submissions").chmod(0)
    try:
        assert_reported(run(cli, folder, monkeypatch), "submissions:1:1: SP113")
    finally:
        (folder / "submissions").chmod(0o755)


def test_shared_and_rich_strings_as_excel_writes_them(cli, write_tree, monkeypatch) -> None:
    """Excel keeps text in shared strings (runs of rich text, phonetic guides), and may leave
    out the row and cell references."""
    strings = SST.format(
        "<si><t>rep</t></si><si><t>period</t></si><si><t>amount</t></si>"
        "<si><r><t>a</t></r><r><rPr><b/></rPr><t>na</t></r><rPh sb='0' eb='3'><t>ANA</t></rPh></si>"
        "<si><t xml:space='preserve'>Q1</t></si>"
    )
    rows = (
        '<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
        '<row><c t="s"><v>3</v></c><c t="s"><v>4</v></c><c><v>0.30000000000000004</v></c></row>'
    )
    data = workbook(
        {"Forecast": SHEET.format(dimension="A1", rows=rows)},
        {"xl/sharedStrings.xml": strings.encode()},
    )
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    assert rollup_of(cli, folder, monkeypatch, "ana") == "0.30"


def test_symlink_loops_end(cli, write_tree, monkeypatch) -> None:
    folder = write_tree(
        {"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/a/f.csv": "rep,period,amount\n"}
    )
    (folder / "submissions" / "a" / "f.csv").write_text("rep,period,amount\nana,Q1,1\n")
    (folder / "submissions" / "a" / "up").symlink_to(folder / "submissions")  # a folder cycle
    (folder / "submissions" / "loop.csv").symlink_to(folder / "submissions" / "loop.csv")
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/loop.csv:1:1: SP113")
    assert "symbolic links" in result.stdout
    assert len(result.stdout.splitlines()) == 1  # f.csv read once, not again through `up`


def test_wide_header_and_short_rows(cli, write_tree, monkeypatch) -> None:
    """A 20,000-name header over 100,000 short rows (1 MB) pads no row to 20,000 cells, and
    the message names the first unknown columns only."""
    names = ",".join(f"c{i}" for i in range(20_000))
    forecast = f"rep,period,amount,{names}\n" + "ana,Q1,1\n" * 100_000
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.csv": forecast})
    result = run(cli, folder, monkeypatch, memory=True)
    assert_reported(result, "submissions/f.csv:1:19: SP607")
    assert "unknown columns c0, c1, c2, c3, c4 (and 19,995 more)" in result.stdout
    assert len(result.stdout) < 300


def test_far_header_cell_in_a_workbook(cli, write_tree, monkeypatch) -> None:
    body = (
        f'<row r="1">{cell("A1", "rep")}{cell("B1", "period")}{cell("C1", "amount")}'
        f"{cell('XFD1', 'zzz')}</row>"
    ) + "".join(
        f'<row r="{r}">{cell(f"A{r}", "ana")}{cell(f"B{r}", "Q1")}{cell(f"C{r}", 1)}</row>'
        for r in range(2, 10_001)  # the most rows a submission workbook holds
    )
    data = workbook({"Forecast": SHEET.format(dimension="A1:XFD10000", rows=body)})
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "submissions/f.xlsx": data})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.xlsx:1:16384: SP607")


def test_wide_metrics_header_and_short_rows(cli, write_tree, monkeypatch) -> None:
    """metrics.csv with 20,000 metric names over 50,000 one-cell rows (500 KB) used to be
    padded to a billion cells."""
    names = ",".join(f"m{i}" for i in range(20_000))
    metrics = f"id,{names}\n" + "".join(f"r{i}\n" for i in range(50_000))
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": TEAM, "metrics.csv": metrics})
    result = run(cli, folder, monkeypatch, memory=True)
    assert_reported(result, "metrics.csv:2:1: SP312")
    assert "SP115 49,800 more SP312 problems" in result.stdout


def test_many_aliases_cost_their_events_only(cli, write_tree, monkeypatch) -> None:
    """200 listed, the rest counted while parsing (they used to be made one by one)."""
    org = "reps:\n  - &a {id: ana, start: 2024-01-01}\n" + "  - *a\n" * 100_000
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "org.yaml:2:5: SP105", "org.yaml:3:5: SP105")
    assert "org.yaml:202:5: SP115 99,801 more SP105 problems in this file" in result.stdout
    assert sum(": SP105 " in line for line in result.stdout.splitlines()) == 200


def test_an_alias_is_reported_once(cli, write_tree, monkeypatch) -> None:
    """An alias's value is missing: SP105 where it stands, and no second problem for the
    list item or the key it stood for (the model used to add SP203 "got nothing")."""
    org = (
        "reps:\n"
        "  - &a {id: ana, start: 2024-01-01, quota: &q 100000}\n"
        "  - *a\n"
        "  - {id: ben, start: 2024-01-01, quota: *q}\n"
    )
    plan = PLAN.replace("target: 1000000", "target: *t").replace(
        "name: Hostile", "name: &t Hostile"
    )
    folder = write_tree(
        {"org/salesplan.yaml": PLAN, "org/org.yaml": org, "plan/salesplan.yaml": plan}
    )
    for name, where in (
        (
            "org",
            [
                "org.yaml:2:5: SP105",
                "org.yaml:2:44: SP105",
                "org.yaml:3:5: SP105",
                "org.yaml:4:41: SP105",
            ],
        ),
        ("plan", ["salesplan.yaml:2:7: SP105", "salesplan.yaml:5:9: SP105"]),
    ):
        result = run(cli, folder / name, monkeypatch)
        assert_reported(result, *where)
        listed = [line for line in result.stdout.splitlines() if ": SP" in line]
        assert listed == [line for line in listed if ": SP105 " in line], listed
        assert len(listed) == len(where), listed


def test_a_huge_value_is_not_echoed_whole(cli, write_tree, monkeypatch) -> None:
    org = f"reps:\n  - {{id: ana, start: 2024-01-01, name: {'x' * 200_000}}}\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "org.yaml:2:40: SP203")
    assert max(len(line) for line in result.stdout.splitlines()) < 300


def test_a_file_with_an_alias_is_reported_alone(example: Path, cli, monkeypatch) -> None:
    """An alias leaves a value out, so its file is reported alone: in a scenario's list of
    changes, in org.yaml's reps and as a rep's parent (they gave dozens of diagnostics that
    follow from the missing value: every rep replaced, territories without their owner)."""
    scenario = example / "scenarios" / "stretch.yaml"
    org = example / "org.yaml"
    edits = [
        (
            scenario,
            "scenario: stretch",
            "scenario: &n stretch",
            "    reps:\n",
            "    reps: [*n]\n    units:\n",
        ),
        (org, "  - id: ana\n", "  - &rep\n    id: ana\n", "reps:\n", "reps:\n  - *rep\n"),
        (org, "parent: amer-ent", "parent: &p amer-ent", "parent: amer-ent", "parent: *p"),
    ]
    for path, old, new, old2, new2 in edits:
        text = path.read_text()
        path.write_text(text.replace(old, new, 1).replace(old2, new2, 1))
        result = run(cli, example, monkeypatch)
        listed = [line for line in result.stdout.splitlines() if ": SP" in line]
        assert result.exit_code == 1 and listed, result.stdout
        assert all(": SP105 " in line for line in listed), listed
        path.write_text(text)


def test_an_invalid_territory_leaves_its_owner_with_one(example: Path, cli, monkeypatch) -> None:
    """A territory whose record is invalid is reported there; its owner still owns it, so
    no SP503 'owns no territory' follows from it."""
    territories = example / "territories.yaml"
    text = territories.read_text()
    territories.write_text(
        text.replace("metrics: {potential: 5_000_000}", "metrics: {potential: lots}", 1)
    )
    result = run(cli, example, monkeypatch)
    assert "SP203 expected a number, got 'lots'" in result.stdout
    assert "SP503" not in result.stdout, result.stdout


@pytest.mark.parametrize(
    "files",
    ["{org: orgs.yaml}", "{org: ../org.yaml}", "{org: /etc/passwd}"],
)
def test_an_org_file_not_read_is_reported_alone(
    files: str, example: Path, cli, monkeypatch
) -> None:
    """A mistyped or refused `files.org` is one line at its key, not some seventy about
    every rep, territory and submission the org would have held."""
    settings = example / "salesplan.yaml"
    settings.write_text(settings.read_text() + f"files: {files}\n")
    result = run(cli, example, monkeypatch)
    [line] = result.stdout.splitlines()
    assert line.startswith("salesplan.yaml:23:14: SP1"), line


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        ("files: {territories: territory.yaml}", "salesplan.yaml:23:22: SP101"),
        ("files: {territories: ../territories.yaml}", "salesplan.yaml:23:22: SP114"),
        ("files: {metrics: metric.csv}", "salesplan.yaml:23:18: SP101"),
        ("files: {submissions: subs}", "salesplan.yaml:23:22: SP101"),
        ("files: {accounts: /etc/passwd}", "salesplan.yaml:23:19: SP114"),
        ("territories.yaml", "territories.yaml:87:1: SP103"),
    ],
)
def test_a_file_not_read_takes_only_the_checks_that_read_it(
    change: str, reported: str, example: Path, cli, monkeypatch
) -> None:
    """A file that is missing, refused or unparsable skips the checks that read it (they
    would report its missing content: reps owning no territory, metrics nobody has), and
    only those: a typo in org.yaml is reported in the same run, not in the next one."""
    if change.endswith(".yaml"):
        path = example / change
        path.write_text(path.read_text().replace("name: US West Enterprise", "name: 'US West"))
    else:
        settings = example / "salesplan.yaml"
        settings.write_text(settings.read_text() + change + "\n")
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("parent: amer-ent\n", "parent: amer-entx\n", 1))
    result = run(cli, example, monkeypatch)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("org.yaml:14:13: SP302 rep 'ana' has unknown parent"), lines
    assert lines[1].startswith(reported + " "), lines


def test_named_inputs_that_are_missing(example: Path, cli, monkeypatch) -> None:
    """An optional file that `files:` names is an error at its key when it is not there
    (a typo would read as no submissions, or no metrics); left at its default, an absent
    optional file is none."""
    settings = example / "salesplan.yaml"
    plain = settings.read_text()
    settings.write_text(plain + "files: {submissions: submission, metrics: metric.csv}\n")
    result = run(cli, example, monkeypatch)
    assert result.stdout.splitlines() == [
        "salesplan.yaml:23:22: SP101 submission (files.submissions) is missing; create it, "
        "correct the name or remove the key",
        "salesplan.yaml:23:43: SP101 metric.csv (files.metrics) is missing; create it, "
        "correct the name or remove the key",
    ]
    assert run(cli, example, monkeypatch, "rollup").exit_code == 1
    settings.write_text(plain + "files: {submissions: submissions, metrics: metrics.csv}\n")
    assert run(cli, example, monkeypatch).exit_code == 0
    settings.write_text(plain)
    (example / "accounts.csv").unlink()
    assert run(cli, example, monkeypatch).exit_code == 0  # the default, absent: none


def test_a_scenario_path_out_of_the_plan_is_reported_in_the_scenario(
    example: Path, cli, monkeypatch
) -> None:
    scenario = example / "scenarios" / "paths.yaml"
    scenario.write_text(
        "scenario: paths\ndescription: x\nchanges:\n  salesplan.yaml:\n"
        "    files: {metrics: ../outside.csv}\n"
    )
    for args in (("check", "--scenario", "paths"), ("check",)):
        result = run(cli, example, monkeypatch, *args)
        [line] = result.stdout.splitlines()
        assert line.startswith("scenarios/paths.yaml:5:22: SP114 files.metrics"), line


@pytest.mark.parametrize("command", [("check",), ("scenarios",), ("allocate", "--scenario", "x")])
def test_a_scenario_symlinked_out_of_the_plan(
    command: tuple[str, ...], example: Path, cli, monkeypatch, tmp_path
) -> None:
    """A scenario file that is a symlink out of the plan was a usage error (exit 2, "no
    scenario 'x' ... (scenarios: x, ...)") that stopped `check`; it is SP114 at the file,
    and what it points at is never read."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("scenario: x\ndescription: TOKEN-1234\nchanges: {}\n")
    (example / "scenarios" / "x.yaml").symlink_to(secret)
    if command == ("check",):
        (example / "scenarios" / "gone.yaml").symlink_to("nowhere.yaml")  # broken: SP113
    monkeypatch.chdir(example)
    result = cli(*command, ".")
    assert result.exit_code == 1, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "scenarios/x.yaml:1:1: SP114 " in out and "TOKEN" not in out
    if command == ("check",):
        assert_reported(result, "scenarios/gone.yaml:1:1: SP113")


@pytest.mark.parametrize(
    ("cell", "code"),
    [("1.46M", "SP411"), ("1460000.123456789012", "SP412"), ("1e99", "SP412")],
)
def test_a_bad_metric_cell_is_reported_alone(
    cell: str, code: str, example: Path, cli, monkeypatch
) -> None:
    """A metric that is no number, or beyond a plan's bounds, is one line: not also the
    split and pool problems that follow from the metric being left out."""
    metrics = example / "metrics.csv"
    metrics.write_text(metrics.read_text().replace("ana,1460000", f"ana,{cell}"))
    result = run(cli, example, monkeypatch)
    [line] = result.stdout.splitlines()
    assert line.startswith(f"metrics.csv:2:5: {code} metric 'history' of 'ana'"), line


def test_a_fiscal_year_starts_on_the_first_of_a_month(cli, write_tree, monkeypatch) -> None:
    """Periods are calendar months: a start on the 15th would have made the year eleven and a
    half months long and prorated a rep on board before it (found by an audit)."""
    folder = write_tree(
        {"salesplan.yaml": PLAN.replace("2027-01-01", "2027-02-15"), "org.yaml": ORG}
    )
    assert_reported(
        run(cli, folder, monkeypatch),
        "salesplan.yaml:4:22: SP203 a fiscal year starts on the first day of a month, "
        "e.g. 2027-02-01,",
    )


def test_a_mistyped_owner_is_one_problem(example: Path, cli, monkeypatch) -> None:
    """`owner: benn` is SP308 with its "did you mean 'ben'?", not also SP503 "ben owns no
    territory", which fixing the typo fixes too. An owner like no rep leaves SP503."""
    territories = example / "territories.yaml"
    plain = territories.read_text()
    territories.write_text(plain.replace("owner: ben\n", "owner: benn\n"))
    codes = [line.split()[1] for line in run(cli, example, monkeypatch).stdout.splitlines()]
    assert "SP308" in codes and "SP503" not in codes
    territories.write_text(plain.replace("owner: ben\n", "owner: zzzzzz\n"))
    codes = [line.split()[1] for line in run(cli, example, monkeypatch).stdout.splitlines()]
    assert "SP308" in codes and "SP503" in codes


def test_a_bad_metric_cell_hides_only_what_reads_the_metrics(
    example: Path, cli, monkeypatch
) -> None:
    """The checks that do not read the metrics still run: a seasonality of the wrong length
    and a submission for an unknown rep are reported with the bad cell."""
    (example / "metrics.csv").write_text(
        (example / "metrics.csv").read_text().replace("ben,1280000", "ben,1.280.000")
    )
    settings = example / "salesplan.yaml"
    settings.write_text(
        settings.read_text().replace("seasonality: [20, 24, 26, 30]", "seasonality: [20, 24, 26]")
    )
    submission = example / "submissions" / "ana.yaml"
    submission.write_text(submission.read_text().replace("rep: ana", "rep: anna"))
    codes = sorted(line.split()[1] for line in run(cli, example, monkeypatch).stdout.splitlines())
    assert codes == ["SP401", "SP411", "SP601"]


def test_an_invalid_owner_rep_leaves_the_rep_it_resembles_reported(
    example: Path, cli, monkeypatch
) -> None:
    """An owner that is an invalid rep (its record reported) gets no "did you mean", so the
    rep its id resembles is not taken to own the territory: ben still owns none (SP503)."""
    org = example / "org.yaml"
    org.write_text(org.read_text() + "  - id: bena\n    parent: amer-ent\n    start: 2027-13-01\n")
    territories = example / "territories.yaml"
    territories.write_text(territories.read_text().replace("owner: ben\n", "owner: bena\n"))
    codes = [line.split()[1] for line in run(cli, example, monkeypatch).stdout.splitlines()]
    assert "SP503" in codes


def test_a_mistyped_parent_is_not_also_a_team_without_metrics(
    example: Path, cli, monkeypatch
) -> None:
    """Reps moved to `amer-entx` are SP302 with "did you mean 'amer-ent'?"; the team they
    left is not also SP405 for the metrics they carried."""
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("parent: amer-ent\n", "parent: amer-entx\n"))
    codes = {line.split()[1] for line in run(cli, example, monkeypatch).stdout.splitlines()}
    assert "SP302" in codes and "SP405" not in codes


def test_a_scenario_file_with_a_name_no_scenario_has_is_reported(
    example: Path, cli, monkeypatch
) -> None:
    """A YAML file in scenarios/ that no `--scenario NAME` can name (a bidi mark, a space,
    `.yml`) was left out of check without a word; it is SP803, its name escaped."""
    stretch = (example / "scenarios" / "stretch.yaml").read_text()
    (example / "scenarios" / "e\u202elive.yaml").write_text(stretch)
    (example / "scenarios" / "README.md").write_text("what each scenario is for\n")
    result = run(cli, example, monkeypatch, "check", "--strict")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "scenarios/e\\u202elive.yaml:1:1: SP803 'e\\u202elive.yaml' is not read as a scenario: "
        "a scenario's name is letters, digits, '.', '_' and '-', starting with a letter or "
        "digit; rename it to 'e-live.yaml'"
    ]
    (example / "territories.yaml").write_text("territories: [\n")  # a plan file unparsable
    lines = run(cli, example, monkeypatch, "check").stdout.splitlines()
    assert [line.split(" ")[1] for line in lines] == ["SP803", "SP103"], lines
