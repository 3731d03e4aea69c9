"""Submissions from spreadsheets: problems point at the file, row and column, and the sheet."""

from __future__ import annotations

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
