"""Submissions from spreadsheets: problems point at the file, row and column, and the sheet."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl

from salesplan import load_plan


def workbook(path: Path, rows: list[list[object]], title: str = "Forecast") -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_xlsx_problems_name_file_row_column_and_sheet(example: Path) -> None:
    workbook(
        example / "submissions" / "extra.xlsx",
        [["rep", "period", "amount"], ["dev", "Q1", 100000], ["zed", "Q2", 5], ["dev", "Q3", "x"]],
    )
    found = [str(d).split("submissions/")[-1] for d in load_plan(example).diagnostics]
    assert found == [
        "extra.xlsx:3:1: SP601 submission for unknown rep 'zed' (sheet 'Forecast')",
        "extra.xlsx:4:3: SP605 amount 'x' is not a number; write plain digits, e.g. 250000.50 (sheet 'Forecast')",
    ]


def test_xlsx_numbers_are_taken_as_excel_shows_them(example: Path) -> None:
    workbook(
        example / "submissions" / "dev.xlsx",
        [
            ["rep", "period", "amount", "note"],
            ["dev", "Q1", 0.1 + 0.2, "float sum"],
            ["dev", "Q2", 1234.5],
        ],
    )
    loaded = load_plan(example)
    assert loaded.plan is not None
    amounts = {e.period: e.amount for e in loaded.plan.submissions if e.rep == "dev"}
    assert str(amounts["Q1"]) == "0.3" and str(amounts["Q2"]) == "1234.5"


def test_same_rep_and_period_in_two_files_warns_and_adds_up(example: Path) -> None:
    (example / "submissions" / "late.csv").write_text("rep,period,amount\nana,Q1,1000\n")
    loaded = load_plan(example)
    assert loaded.plan is not None
    codes = [d.code for d in loaded.diagnostics]
    assert codes == ["SP606"]
    q1 = sum(e.amount for e in loaded.plan.submissions if (e.rep, e.period) == ("ana", "Q1"))
    assert q1 == 291000  # 290,000 from submissions/ana.yaml + 1,000


def test_csv_cells_are_read_stripped_and_notes_kept(example: Path) -> None:
    (example / "submissions" / "spaced.csv").write_text(
        "rep , period ,amount,note\n dev ,Q1,  1000.50 , call back \ndev, Q2 ,2000,\n"
    )
    loaded = load_plan(example)
    assert loaded.plan is not None
    assert [d.code for d in loaded.diagnostics] == []
    rows = [e for e in loaded.plan.submissions if e.file.endswith("spaced.csv")]
    assert [(e.rep, e.period, str(e.amount), e.note) for e in rows] == [
        ("dev", "Q1", "1000.50", "call back"),
        ("dev", "Q2", "2000", None),
    ]
    assert (rows[1].period_at.line, rows[1].period_at.column) == (3, 5)


def test_positions_of_a_file_read_without_them(example: Path) -> None:
    """org.yaml is read without positions; a position asked for later (as reconcile's
    diagnostics do) is read again from its bytes, and the checks can run again."""
    from salesplan.checks import run_checks

    loaded = load_plan(example)
    assert loaded.plan is not None
    assert run_checks(loaded.plan) == run_checks(loaded.plan) == loaded.diagnostics
    lines = (example / "org.yaml").read_text().splitlines()
    ben = next(i for i, line in enumerate(lines, 1) if line.strip() == "- id: ben")
    parent = next(i for i, line in enumerate(lines, 1) if i > ben and "parent:" in line)
    where = loaded.plan.at_rep("ben", "parent")
    assert where.line == parent
    assert lines[parent - 1][where.column - 1 :] == loaded.plan.reps_by_id["ben"].parent


def test_a_rejected_row_draws_only_its_own_diagnostic(example: Path) -> None:
    """A negative amount (SP603) counts nowhere, so it is neither a double entry of the
    rep's YAML file (SP606) nor a forecast outside employment (SP609)."""
    (example / "submissions" / "m.csv").write_text(
        "rep,period,amount\nben,Q1,-5000\ntbh-amer-1,Q1,-5\nben,Q2,1e3\n"
    )
    found = [str(d).replace(f"{example}/", "") for d in load_plan(example).diagnostics]
    assert found == [
        "submissions/m.csv:2:8: SP603 ben Q1 amount -5000 is negative; submit 0 or more",
        "submissions/m.csv:3:15: SP603 tbh-amer-1 Q1 amount -5 is negative; submit 0 or more",
        "submissions/m.csv:4:1: SP606 ben Q2 is also submitted in submissions/ben.yaml; the amounts add up;"
        " remove one if it is a double entry",
    ]


def test_a_rejected_row_is_no_earlier_entry_of_a_double_entry(example: Path) -> None:
    """The later file's row is not 'also submitted' where the only other row was rejected."""
    text = (example / "submissions" / "ben.yaml").read_text()
    (example / "submissions" / "ben.yaml").write_text(text.replace("Q1: ", "Q1: -"))
    (example / "submissions" / "zz.csv").write_text("rep,period,amount\nben,Q1,1000\n")
    found = [(d.code, d.file.split("acme-plan/")[-1]) for d in load_plan(example).diagnostics]
    assert found == [("SP603", "submissions/ben.yaml")]


def test_an_amount_finer_than_the_currency_is_refused_where_it_is_written(
    example: Path, cli
) -> None:
    """12.345 USD is never rounded to 12.34 (or 12.35): YAML, CSV and XLSX alike, the cell
    is an error (SP412) and the row counts nowhere (no SP606, no SP609 for it)."""
    subs = example / "submissions"
    ana = subs / "ana.yaml"
    ana.write_text(ana.read_text().replace("Q1: 290_000", "Q1: 290_000.005"))
    (subs / "x.csv").write_text(
        "rep,period,amount\ndev,Q2,12.345\nana,Q2,1000.50\ntbh-amer-1,Q1,0.001\nben,Q3,7.120\n"
    )
    workbook(subs / "y.xlsx", [["rep", "period", "amount"], ["dev", "Q3", 1234.5678]])
    found = [str(d).replace(f"{example}/", "") for d in load_plan(example).diagnostics]
    assert found == [
        "submissions/ana.yaml:3:16: SP412 ana Q1 amount 290000.005 has more decimals than USD"
        " has (2); write a multiple of 0.01, e.g. 290000.00 or 290000.01",
        "submissions/x.csv:2:8: SP412 dev Q2 amount 12.345 has more decimals than USD has (2);"
        " write a multiple of 0.01, e.g. 12.34 or 12.35",
        "submissions/x.csv:3:1: SP606 ana Q2 is also submitted in submissions/ana.yaml; the"
        " amounts add up; remove one if it is a double entry",
        "submissions/x.csv:4:15: SP412 tbh-amer-1 Q1 amount 0.001 has more decimals than USD"
        " has (2); write a multiple of 0.01, e.g. 0.00 or 0.01",
        "submissions/x.csv:5:1: SP606 ben Q3 is also submitted in submissions/ben.yaml; the"
        " amounts add up; remove one if it is a double entry",
        "submissions/y.xlsx:2:3: SP412 dev Q3 amount 1234.5678 has more decimals than USD has"
        " (2); write a multiple of 0.01, e.g. 1234.56 or 1234.57 (sheet 'Forecast')",
    ]
    result = cli("rollup", example, "--format", "json")
    assert result.exit_code == 1 and '"forecast"' not in result.stdout


def test_the_currency_sets_how_many_decimals_an_amount_may_have(example: Path) -> None:
    """JPY has no decimals, KWD three: the check follows the plan's currency."""
    plan_file = example / "salesplan.yaml"
    text = plan_file.read_text()
    (example / "submissions" / "x.csv").write_text(
        "rep,period,amount\ndev,Q1,1.5\ndev,Q2,1.234\ndev,Q3,1.2345\ndev,Q4,7.000\n"
    )
    for currency, refused in (("JPY", ["1.5", "1.234", "1.2345"]), ("KWD", ["1.2345"])):
        plan_file.write_text(text.replace("currency: USD", f"currency: {currency}"))
        loaded = load_plan(example)
        amounts = [d.message.split()[3] for d in loaded.diagnostics if d.code == "SP412"]
        assert amounts == refused, currency


def test_a_period_is_named_as_a_sheet_names_it(example: Path) -> None:
    """A period cell may be a date cell (the period holding it), the label the tables show
    (`Feb-27`) or a label in any case (`q2`): what people type in a sheet, each read as
    the period it names; a date outside the fiscal year says so."""
    workbook(
        example / "submissions" / "dev.xlsx",
        [
            ["Rep", "Period", "Amount"],
            ["dev", datetime(2027, 3, 15), 1000],  # Q1: Feb-Apr 2027
            ["dev", datetime(2027, 4, 1), 500],  # Q1 again: the amounts add up
            ["dev", "q2", 2000],
            ["dev", " Q3 ", 3000],
            ["dev", datetime(2028, 2, 1), 9],  # the year after
            [],
        ],
    )
    loaded = load_plan(example)
    assert loaded.plan is not None
    found = [str(d).split("submissions/")[-1] for d in loaded.diagnostics]
    assert found == [
        "dev.xlsx:6:2: SP602 unknown period '2028-02-01', a date outside the fiscal year"
        " 2027-02-01 to 2028-01-31; the periods are Q1, Q2, Q3, Q4 (sheet 'Forecast')"
    ]
    rows = [(e.period, e.amount) for e in loaded.plan.submissions if e.rep == "dev"]
    assert rows[:4] == [("Q1", 1000), ("Q1", 500), ("Q2", 2000), ("Q3", 3000)]


def test_a_month_is_named_as_the_tables_show_it(example: Path, cli) -> None:
    """In a monthly plan a submission may give `Feb-27` or a date cell for M01, in CSV,
    XLSX or YAML, and rolls up as M01 does."""
    plan_file = example / "salesplan.yaml"
    text = plan_file.read_text().replace("periods: quarter", "periods: month")
    plan_file.write_text(re.sub(r"(?m)^seasonality:.*$", "", text))
    shutil.rmtree(example / "submissions")  # by quarter
    shutil.rmtree(example / "scenarios")
    subs = example / "submissions"
    subs.mkdir()
    (subs / "ana.yaml").write_text("rep: ana\nforecast: {Feb-27: 100, mar-27: 200}\n")
    (subs / "ben.csv").write_text("rep,period,amount\nben,FEB-27,300\nben,2027-03-01,400\n")
    workbook(subs / "dev.xlsx", [["rep", "period", "amount"], ["dev", datetime(2027, 2, 1), 500]])
    workbook(subs / "erin.xlsx", [["rep", "period", "amount"], ["erin", "M13", 1]])
    loaded = load_plan(example)
    assert [d.message for d in loaded.diagnostics if d.code != "SP415"] == [
        "unknown period 'M13'; the periods are M01…M12 or Feb-27…Jan-28 (sheet 'Forecast')"
    ]
    (subs / "erin.xlsx").unlink()
    result = cli("rollup", example, "--level", "rep", "--period", "M01", "-f", "json")
    assert result.exit_code == 0, result.stderr
    forecast = {n["id"]: n["forecast"]["total"] for n in json.loads(result.stdout)["nodes"]}
    assert (forecast["ana"], forecast["ben"], forecast["dev"]) == ("100.00", "300.00", "500.00")


def test_a_sheet_as_people_leave_it_says_what_each_odd_row_is(example: Path) -> None:
    """A totals row, a row with an amount but no rep, an amount left empty and a row of
    blank-looking cells (spaces): each is named for what it is, not as an unknown rep ''
    or an amount '' that is not a number; the blank row is no row at all, as in a CSV."""
    workbook(
        example / "submissions" / "dev.xlsx",
        [
            ["rep", "period", "amount"],
            ["dev", "Q1", 100000],
            ["dev", "Q2", None],
            [None, "Q3", 5000],
            ["  ", " ", ""],
            ["Total", None, 105000],
        ],
    )
    found = [str(d).split("submissions/")[-1] for d in load_plan(example).diagnostics]
    assert found == [
        "dev.xlsx:3:3: SP605 amount is empty; write the amount, 0 if nothing is expected"
        " (sheet 'Forecast')",
        "dev.xlsx:4:1: SP601 row has no rep; write the rep's id or delete the row"
        " (sheet 'Forecast')",
        "dev.xlsx:6:1: SP601 submission for unknown rep 'Total'; a totals row? salesplan"
        " adds up the rows itself: delete it (sheet 'Forecast')",
    ]


def linked_workbook(path: Path, saved: str) -> None:
    """A workbook whose Q2 amount is a formula reading another workbook, `saved` its value
    as last saved, and the link part Excel writes for it."""
    import io
    import zipfile

    workbook(path, [["rep", "period", "amount"], ["dev", "Q1", 100000], ["dev", "Q2", "=0"]])
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<f>0</f><v />", f"<f>[1]Q2!C9</f><v>{saved}</v>".encode())
            target.writestr(item, body)
        target.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
    path.write_bytes(out.getvalue())


def test_an_amount_read_from_another_workbook_is_named(example: Path, cli) -> None:
    """An amount computed from another workbook is read as last saved, while Excel computes
    it again from that workbook when it updates the links: SP612 at the cell, which a
    strict CI run refuses; the value read is the one saved (nothing else is guessed)."""
    linked_workbook(example / "submissions" / "linked.xlsx", "999")
    found = [str(d).split("submissions/")[-1] for d in load_plan(example).diagnostics]
    assert found == [
        "linked.xlsx:3:3: SP612 the formula =[1]Q2!C9 reads another workbook: the value read "
        "is the one last saved with this file, which Excel recomputes from that workbook; paste "
        "the values (Paste Special, Values) and save (sheet 'Forecast')"
    ]
    assert cli("check", example).exit_code == 0
    assert cli("check", "--strict", example).exit_code == 1
    rollup = json.loads(cli("rollup", example, "--format", "json").stdout)
    dev = next(n for n in rollup["nodes"] if n["id"] == "dev")
    assert dev["forecast"]["periods"][:2] == ["100000.00", "999.00"]


def test_a_period_is_named_with_ascii_digits_only(example: Path) -> None:
    """A period cell's digits are ASCII, as an amount's are: `Q৪` (a Bengali four, drawn
    like an 8) is no Q4 that a reviewer would read as Q8, nor `২০২৭-০৩-০১` a date."""
    (example / "submissions" / "dev.csv").write_text("rep,period,amount\ndev,Q৪,100\ndev,M০১,200\n")
    loaded = load_plan(example)
    found = [d.message for d in loaded.diagnostics if d.code == "SP602"]
    assert [m.split(";")[0] for m in found] == ["unknown period 'Q৪'", "unknown period 'M০১'"]
    calendar = loaded.plan.calendar if loaded.plan is not None else None
    assert calendar is not None
    for name in ("Q৪", "m١", "Feb-২৭", "২০২৭-০২", "２０２７-02"):
        assert calendar.find_period(name) is None, name
        assert calendar.named_month(name) is None, name
    assert calendar.find_period("q4") == ("Q4", (3,))


def test_a_big_plain_csv_is_read_without_all_its_cells_at_once(example: Path) -> None:
    """A plain CSV is split without the csv module, but piece by piece: holding every cell
    of 200,000 rows at once (a str object each) tripled the peak memory of reading them."""
    import tracemalloc

    reps = ["ana", "ben", "carla", "dev", "erin", "felix", "giulia", "hana", "ines"]
    rows = "".join(f"{reps[i % 9]},Q{i % 4 + 1},{i % 1000},\n" for i in range(200_000))
    big = example / "submissions" / "big.csv"
    big.write_text("rep,period,amount,note\n" + rows)
    tracemalloc.start()
    try:
        plan = load_plan(example).plan
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert plan is not None and len(plan.submissions) > 200_000
    assert peak < 35e6, f"peak {peak / 1e6:.0f} MB"
