"""`salesplan import`: CRM exports as each CRM writes them become exact history, pipeline
submissions and accounts; dirty data is reported at file:row:column; nothing hand-written
is overwritten without --force."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

PLAN = """\
salesplan: 1
name: Import test
currency: USD
fiscal_year: {start: 2027-01-01}
target: 1000000
levels: [{name: rep, split: history}]
"""
ORG = """\
reps:
  - {id: ana, name: Ana Silva, email: ana@acme.example, start: 2024-01-01}
  - {id: ben, name: Ben Okafor, start: 2024-01-01}
  - {id: jose, name: José García, start: 2024-01-01}
"""

SF_LABELS = (
    "Opportunity ID,Opportunity Owner,Account Name,Opportunity Name,Stage,Forecast Category,"
    "Amount,Close Date,Opportunity Currency\n"
    '006A1,Ana Silva,Acme,Deal 1,Closed Won,Closed,"$1,200.50",3/15/2026,USD\n'
    "006A2,ANA SILVA,Acme,Deal 2,Closed Won,Closed,800.00,12/31/2026,USD\n"
    "006A3,Ben Okafor,Globex,Deal 3,Closed Won,Closed,1000.00,6/1/2026,EUR\n"
    "006A4,Ben Okafor,Globex,Deal 4,Negotiation/Review,Commit,5000.00,2/1/2027,USD\n"
    "006A5,Ana Silva,Initech,Deal 5,Prospecting,Pipeline,1000.00,5/20/2027,USD\n"
    "006A6,Ana Silva,Initech,Deal 6,Closed Lost,Omitted,1000.00,5/20/2026,USD\n"
    "006A7,Jose Garcia,Initech,Deal 7,Proposal/Price Quote,Best Case,300.00,12/31/2027,USD\n"
    "006A8,Ben Okafor,Globex,Deal 8,Prospecting,Pipeline,999.00,1/15/2028,USD\n"
)


@pytest.fixture
def plan(write_tree) -> Path:
    root = write_tree({"plan/salesplan.yaml": PLAN, "plan/org.yaml": ORG})
    return root / "plan"


def run(cli, plan: Path, *args: str | Path):
    return cli("import", "--plan", plan, *args)


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_salesforce_report_labels_give_exact_history_pipeline_and_accounts(cli, plan) -> None:
    (plan / "import.yaml").write_text("rates: {EUR: 1.1}\n")
    export = write(plan.parent / "sf.csv", SF_LABELS, "utf-8-sig")
    result = run(cli, plan, export)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "salesforce opportunities (detected from its headers)" in result.stdout
    assert rows(plan / "metrics.csv") == [
        {"id": "ana", "history": "2000.50"},  # 1,200.50 + 800.00 (ANA SILVA is Ana Silva)
        {"id": "ben", "history": "1100.00"},  # 1000 EUR at 1.1
        {"id": "jose", "history": "0.00"},
    ]
    pipeline = [
        (r["rep"], r["period"], r["amount"]) for r in rows(plan / "submissions/salesforce.csv")
    ]
    # commit 1.0, pipeline 0.2, best case 0.5; the 2028 deal is outside FY2027
    assert pipeline == [("ana", "Q2", "200.00"), ("ben", "Q1", "5000.00"), ("jose", "Q4", "150.00")]
    assert rows(plan / "accounts.csv") == [
        {"id": "acme", "name": "Acme", "owner": "ana", "won": "2000.50", "open": "0.00"},
        {"id": "globex", "name": "Globex", "owner": "ben", "won": "1100.00", "open": "5000.00"},
        {"id": "initech", "name": "Initech", "owner": "jose", "won": "0.00", "open": "1300.00"},
    ]


def test_import_then_check_is_clean_and_a_second_import_changes_no_byte(cli, plan) -> None:
    (plan / "import.yaml").write_text("rates: {EUR: 1.1}\n")
    export = write(plan.parent / "sf.csv", SF_LABELS)
    assert run(cli, plan, export).exit_code == 0
    check = cli("check", plan)
    assert check.exit_code == 0 and check.stdout == "", check.stdout
    written = {p: p.read_bytes() for p in plan.rglob("*") if p.is_file()}
    again = run(cli, plan, export)
    assert again.exit_code == 0
    assert {p: p.read_bytes() for p in plan.rglob("*") if p.is_file()} == written
    assert "metrics.csv: unchanged" in again.stdout


def test_salesforce_api_names_semicolons_and_windows_1252(cli, plan) -> None:
    text = (
        "Id;OwnerId;AccountId;StageName;ForecastCategoryName;Amount;CloseDate;CurrencyIsoCode;IsWon;IsClosed\n"
        "006B1;José García;001X;Closed Won;Closed;1.200,50;15.03.2026;USD;true;true\n"
        "006B2;JOSE GARCIA;001X;Custom Stage;Commit;2.000,00;01.04.2027;USD;false;false\n"
        "006B3;Ben Okafor;001Y;Custom Lost;Omitted;9.999,00;01.04.2026;USD;false;true\n"
    )
    export = write(plan.parent / "api.csv", text, "cp1252")
    result = run(cli, plan, export, "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["files"][0]["encoding"] == "windows-1252"
    assert report["files"][0]["delimiter"] == ";"
    history = {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}
    assert history == {"ana": "0.00", "ben": "0.00", "jose": "1200.50"}
    assert rows(plan / "submissions/salesforce.csv")[0]["amount"] == "2000.00"
    assert rows(plan / "submissions/salesforce.csv")[0]["period"] == "Q2"


def test_hubspot_deals_export(cli, plan) -> None:
    text = (
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Pipeline,Associated Company,Forecast category\n"
        "101,Big,Closed won,2026-02-01 10:00,Ana Silva,1000,Sales Pipeline,Acme,Closed won\n"
        "102,Next,Contract sent,2027-08-01 00:00,Ben Okafor,2000,Sales Pipeline,Globex,Commit\n"
        "103,Maybe,Appointment scheduled,2027-11-30,Ben Okafor,1000,Sales Pipeline,Globex,\n"
    )
    export = write(plan.parent / "hubspot-deals.csv", text)
    result = run(cli, plan, export)
    assert result.exit_code == 0, result.stdout
    assert "hubspot opportunities" in result.stdout
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ana"] == "1000.00"
    pipeline = [
        (r["rep"], r["period"], r["amount"]) for r in rows(plan / "submissions/hubspot.csv")
    ]
    # Commit at 1.0; no category: the preset's default, pipeline at 0.2
    assert pipeline == [("ben", "Q3", "2000.00"), ("ben", "Q4", "200.00")]


def test_dynamics_with_a_user_export_resolving_owner_ids(cli, plan) -> None:
    opportunities = (
        "opportunityid,name,ownerid,parentaccountid,statecode,estimatedvalue,actualvalue,"
        "estimatedclosedate,actualclosedate,msdyn_forecastcategory\n"
        "o1,Won deal,u-1,a-1,1,500,450.25,2026-01-01,2026-05-05,100000005\n"
        "o2,Open deal,u-2,a-2,0,1000,,2027-03-01,,100000002\n"
        "o3,Lost deal,u-2,a-2,2,1000,0,2026-03-01,2026-04-01,100000006\n"
    )
    users = "systemuserid,fullname,internalemailaddress\nu-1,Someone Else,ana@acme.example\nu-2,Ben Okafor,ben@x.example\n"
    accounts = "accountid,name,ownerid\na-1,Acme Corp,u-1\na-2,Globex,u-2\n"
    files = [
        write(plan.parent / "opps.csv", opportunities),
        write(plan.parent / "users.csv", users),
        write(plan.parent / "accounts.csv", accounts),
    ]
    result = run(cli, plan, *files, "--format", "json")
    assert result.exit_code == 0, result.stdout
    kinds = {
        f["file"].split("/")[-1]: (f["preset"], f["kind"])
        for f in json.loads(result.stdout)["files"]
    }
    assert kinds["opps.csv"] == ("dynamics", "opportunities")
    assert kinds["users.csv"][1] == "users" and kinds["accounts.csv"][1] == "accounts"
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ana"] == "450.25"
    assert rows(plan / "submissions/dynamics.csv") == [
        {
            "rep": "ben",
            "period": "Q1",
            "amount": "500.00",
            "note": "weighted open pipeline: 1 opportunity",
        }
    ]
    assert rows(plan / "accounts.csv") == [
        {"id": "a-1", "name": "Acme Corp", "owner": "ana", "won": "450.25", "open": "0.00"},
        {"id": "a-2", "name": "Globex", "owner": "ben", "won": "0.00", "open": "1000.00"},
    ]


GENERIC = """\
preset: generic
source: crm
columns: {id: opportunity_id, owner: sales_agent, account: account, stage: deal_stage,
          close_date: close_date, amount: close_value, product: product}
stages:
  Won: won
  Lost: lost
  Engaging: {status: open, category: best_case}
  Prospecting: {status: open, category: pipeline}
"""


def test_a_cell_is_placed_as_the_csv_module_reads_the_row(cli, plan) -> None:
    """A product named with an inch mark (`Big 5" Pipe`, a quote inside an unquoted cell) and
    an account name over two quoted lines: the bad close date after them is placed on its
    own line and column (the quote used to shift every later cell of the row)."""
    (plan / "import.yaml").write_text(GENERIC)
    text = (
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        'A,Ana Silva,Big 5" Pipe,Acme,Won,2025-12-01,2026-13-45,100\n'
        'B,Ana Silva,GTX,"Two\nLines",Won,2025-12-01,2026-02-30,100\n'
    )
    result = run(cli, plan, write(plan.parent / "crm.csv", text), "--dry-run")
    lines = text.splitlines()
    assert f"crm.csv:2:{lines[1].index('2026-13-45') + 1}: SP706" in result.stdout
    column = len('Lines",Won,2025-12-01,') + 1  # on the row's second line
    assert f"crm.csv:4:{column}: SP706 '2026-02-30' is not a date" in result.stdout


def test_generic_mapping_and_several_files_at_once(cli, plan) -> None:
    (plan / "import.yaml").write_text(GENERIC)
    header = (
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    )
    q1 = header + "A,Ana Silva,GTX Pro,Acme,Won,2025-12-01,2026-02-01,100\n"
    q2 = (
        header
        + "B,Ana Silva,GTX Pro,Acme,Won,2026-01-01,2026-05-01,250\nC,Ben Okafor,MG,Zeta,Engaging,2026-11-01,2027-07-01,1000\n"
    )
    files = [write(plan.parent / "q1.csv", q1), write(plan.parent / "q2.csv", q2)]
    result = run(cli, plan, *files)
    assert result.exit_code == 0, result.stdout
    assert "generic opportunities (as asked)" in result.stdout
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ana"] == "350.00"
    assert rows(plan / "submissions/crm.csv")[0]["amount"] == "500.00"  # best case 0.5


def test_generic_reads_a_column_named_as_its_field(cli, plan) -> None:
    """Under the generic preset a column named as salesplan's field (`close_date`, `Account`)
    is that field: `columns:` maps only the others. SP702 named close_date among the fields
    a file lacked while the file had that very column."""
    (plan / "import.yaml").write_text(
        "preset: generic\ncolumns: {owner: sales_agent, amount: close_value, stage: deal_stage}\n"
        "stages: {Won: won, Lost: lost}\n"
    )
    deals = write(
        plan.parent / "pipeline.csv",
        "opportunity_id,sales_agent,Account,deal_stage,Close Date,close_value\n"
        "D1,Ana Silva,Cancity,Won,2026-03-01,1054\n",
    )
    done = run(cli, plan, deals)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ana"] == "1054.00"
    assert [r["name"] for r in rows(plan / "accounts.csv")] == ["Cancity"]
    (plan / "import.yaml").write_text("preset: generic\n")
    said = " ".join(run(cli, plan, deals, "--dry-run").stdout.split())
    assert "no column of it is mapped to owner (or owner_id, owner_email), amount, stage" in said


def test_xlsx_export(cli, plan) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Opportunity Owner", "Account Name", "Stage", "Forecast Category", "Amount", "Close Date"]
    )
    sheet.append(["Ana Silva", "Acme", "Closed Won", "Closed", 1234.5, datetime(2026, 7, 1)])
    sheet.append(["Ben Okafor", "Globex", "Qualification", "Commit", 100, datetime(2027, 12, 31)])
    sheet.append(["Ben Okafor", "Globex", "Qualification", "Commit", "n/a", datetime(2027, 12, 31)])
    book.save(plan.parent / "report.xlsx")
    result = run(cli, plan, plan.parent / "report.xlsx")
    assert result.exit_code == 1
    assert "report.xlsx:4:5: SP705 amount 'n/a' is not a number" in result.stdout
    sheet.delete_rows(4)
    book.save(plan.parent / "report.xlsx")
    assert run(cli, plan, plan.parent / "report.xlsx").exit_code == 0
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ana"] == "1234.50"
    assert rows(plan / "submissions/salesforce.csv")[0] == {
        "rep": "ben", "period": "Q4", "amount": "100.00", "note": "weighted open pipeline: 1 opportunity"
    }  # fmt: skip


DIRTY = (
    "Opportunity ID,Opportunity Owner,Account Name,Product Name,Stage,Forecast Category,Amount,Close Date,Currency\n"
    "1,Anna Silva,Acme,GTX Pro,Closed Won,Closed,100,2026-01-05,USD\n"  # owner: no rep
    "2,Ana Silva,Acme,GTX Pro,Negotiating,Commit,100,2027-01-05,USD\n"  # stage not mapped
    "3,Ana Silva,Acme,GTXPro,Closed Won,Closed,12abc,2026-01-05,USD\n"  # amount; near-duplicate
    "4,Ana Silva,Acme,GTX Pro,Closed Won,Closed,100,31/31/2026,USD\n"  # not a date
    "5,Ana Silva,Acme,GTX Pro,Closed Won,Closed,100,2026-01-05,CHF\n"  # no rate
    "6,Ana Silva,,GTX Pro,Closed Won,Closed,100,2026-01-05,USD\n"  # no account
    "7,Ana Silva,Acme,GTX Pro,Prospecting,Pipeline,100,2026-06-01,USD\n"  # past due
    "7,Ana Silva,Acme,GTX Pro,Closed Won,Closed,100,2026-01-05,USD\n"  # duplicate id
    "9,Ana Silva,Acme,GTX Pro,Prospecting,Maybe,100,2027-06-01,USD\n"  # category not mapped
)


def test_dirty_data_is_reported_at_file_row_column_and_nothing_is_written(cli, plan) -> None:
    export = write(plan.parent / "dirty.csv", DIRTY)
    result = run(cli, plan, export, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = {(d["code"], d["line"], d["column"]) for d in report["diagnostics"]}
    assert found == {
        ("SP703", 2, 3),
        ("SP704", 3, 26),
        ("SP705", 4, 43),
        ("SP708", 4, 18),
        ("SP706", 5, 48),
        ("SP707", 6, 59),
        ("SP709", 7, 13),
        ("SP710", 8, 51),
        ("SP712", 9, 1),
        ("SP704", 10, 38),
    }
    counts = {c["code"]: c["count"] for c in report["classes"]}
    assert counts == {"SP703": 1, "SP704": 2, "SP705": 1, "SP706": 1, "SP707": 1, "SP708": 1,
                      "SP709": 1, "SP710": 1, "SP712": 1}  # fmt: skip
    closest = next(d for d in report["diagnostics"] if d["code"] == "SP703")["message"]
    assert "'Anna Silva'" in closest and "closest rep: 'Ana Silva' (ana)" in closest
    assert not report["written"]
    assert sorted(p.name for p in plan.iterdir()) == ["org.yaml", "salesplan.yaml"]


def test_digits_of_other_scripts_are_not_amounts(cli, plan) -> None:
    """`1৪00` (a Bengali four, drawn like an 8) was imported as 1,400: an amount is ASCII."""
    export = write(plan.parent / "deals.csv", SF_LABELS.replace('"$1,200.50"', "1\u09ea00"))
    result = run(cli, plan, export, "--format", "json")
    assert result.exit_code == 1
    found = {(d["code"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert ("SP705", 2) in found


def test_a_negative_total_is_refused_at_its_row_and_nothing_is_written(cli, plan) -> None:
    """A credit note with nothing to net against would write a negative history and `won`,
    which `check` refuses (SP406, SP903): the import refuses it itself, at the cell."""
    (plan / "import.yaml").write_text("history: {start: 2026-01-01, end: 2026-12-31}\n")
    export = write(
        plan.parent / "neg.csv",
        "Opportunity Owner,Amount,Close Date,Stage,Account Name\n"
        "Ben Okafor,(300),2026-06-01,Closed Won,Hooli\n",
    )
    result = run(cli, plan, export)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"{export}:2:12: SP714" + (
        " amount '(300)' takes a total below 0: history of rep 'ben' -300.00,"
        " won of account 'hooli' -300.00; a negative amount (credit note, refund) may net"
        " against positive ones of its rep and account, but `check` refuses a negative total:"
        " correct the row in the CRM or widen import.yaml `history:` to the deal it credits"
    )
    assert sorted(p.name for p in plan.iterdir()) == ["import.yaml", "org.yaml", "salesplan.yaml"]


def test_credit_notes_net_against_their_rep_and_account(cli, plan) -> None:
    """Negative rows are fine while every total they count in stays at 0 or more; each total
    below 0 is reported once, at the first negative row counted in it."""
    export = write(
        plan.parent / "credits.csv",
        "Opportunity Owner,Amount,Close Date,Stage,Account Name,Forecast Category\n"
        "Ben Okafor,(300),2026-06-01,Closed Won,Hooli,Closed\n"
        "Ben Okafor,1000,2026-05-01,Closed Won,Hooli,Closed\n"
        "Ana Silva,500,2026-06-01,Closed Won,Globex,Closed\n"
        "Ana Silva,-20,2026-07-01,Closed Won,Globex,Closed\n"
        "Jose Garcia,-100,2027-03-01,Prospecting,Initech,Commit\n"
        "Jose Garcia,200,2027-03-01,Prospecting,Initech,Pipeline\n",
    )
    result = run(cli, plan, export, "--dry-run", "--format", "json")
    found = [(d["line"], d["column"], d["message"].split(";")[0])
             for d in json.loads(result.stdout)["diagnostics"]]  # fmt: skip
    assert found == [
        (6, 13, "amount '-100' takes a total below 0: pipeline of rep 'jose' in Q1 -60.00"),
    ]  # -100 x 1 (commit) + 200 x 0.2 (pipeline); Initech's open is 100
    export.write_text(export.read_text().replace("Commit", "Pipeline"))
    assert run(cli, plan, export).exit_code == 0
    assert rows(plan / "metrics.csv") == [
        {"id": "ana", "history": "480.00"},
        {"id": "ben", "history": "700.00"},
        {"id": "jose", "history": "0.00"},
    ]
    assert [(r["id"], r["won"], r["open"]) for r in rows(plan / "accounts.csv")] == [
        ("globex", "480.00", "0.00"),
        ("hooli", "700.00", "0.00"),
        ("initech", "0.00", "100.00"),
    ]
    assert [d.code for d in _checked(plan) if d.is_error] == []


def test_negative_totals_are_counted_and_the_first_50_shown(cli, plan) -> None:
    lines = ["Opportunity Owner,Amount,Close Date,Stage,Account Name"]
    lines += [f"Ben Okafor,-{i},2026-06-01,Closed Won,Acct{i}" for i in range(1, 56)]
    lines.append("Ben Okafor,100000,2026-06-01,Closed Won,Big")
    export = write(plan.parent / "many.csv", "\n".join(lines) + "\n")
    report = json.loads(run(cli, plan, export, "--dry-run", "--format", "json").stdout)
    assert report["classes"][0] | {"title": ""} == {
        "code": "SP714", "severity": "error", "title": "", "count": 55, "shown": 50,
    }  # fmt: skip
    assert [d["line"] for d in report["diagnostics"]] == list(range(2, 52))


def _checked(plan: Path) -> list:
    from salesplan.loading import load_plan

    return load_plan(plan).diagnostics


def test_ambiguous_numeric_dates_are_not_guessed(cli, plan) -> None:
    text = "Opportunity Owner,Account Name,Stage,Amount,Close Date\nAna Silva,Acme,Closed Won,10,03/04/2026\n"
    export = write(plan.parent / "sf.csv", text)
    result = run(cli, plan, export)
    assert result.exit_code == 1
    assert "could be day-first or month-first" in result.stdout
    (plan / "import.yaml").write_text("dates: dmy\n")
    assert run(cli, plan, export).exit_code == 0


def test_dry_run_writes_nothing_and_shows_the_changes(cli, plan) -> None:
    (plan / "metrics.csv").write_text("id,history\nana,5\n")
    before = {p: p.read_bytes() for p in plan.rglob("*") if p.is_file()}
    (plan / "import.yaml").write_text("rates: {EUR: 1.1}\n")
    before[plan / "import.yaml"] = (plan / "import.yaml").read_bytes()
    result = run(cli, plan, write(plan.parent / "sf.csv", SF_LABELS), "--dry-run", "--force")
    assert result.exit_code == 0
    assert "~ ana history: 5 -> 2000.50" in result.stdout
    assert "submissions/salesforce.csv: create (3 added)" in result.stdout
    assert {p: p.read_bytes() for p in plan.rglob("*") if p.is_file()} == before


def test_hand_written_history_needs_force_and_other_columns_are_kept(cli, plan) -> None:
    (plan / "import.yaml").write_text("rates: {EUR: 1.1}\n")
    hand = "id,potential,history\nana,900,1460000\nben,800,\nteam-x,5,7\n"
    (plan / "metrics.csv").write_text(hand)
    export = write(plan.parent / "sf.csv", SF_LABELS)
    refused = run(cli, plan, export)
    assert refused.exit_code == 2
    assert "metrics.csv: history of ana (1460000)" in refused.stderr
    assert (plan / "metrics.csv").read_text() == hand
    assert not (plan / "submissions").exists()
    assert run(cli, plan, export, "--force").exit_code == 0
    assert rows(plan / "metrics.csv") == [
        {"id": "ana", "potential": "900", "history": "2000.50"},
        {"id": "ben", "potential": "800", "history": "1100.00"},
        {"id": "team-x", "potential": "5", "history": "7"},
        {"id": "jose", "potential": "", "history": "0.00"},
    ]
    assert run(cli, plan, export).exit_code == 0  # the import's own output: replaced freely


def test_accounts_are_merged_keeping_the_plans_columns_and_owners(cli, plan) -> None:
    """accounts.csv holds what `balance` reads (segment, potential, locked) and the owners
    it set: an import updates won/open, fills what is empty, adds new accounts, keeps the
    rest; an owner that differs from the CRM's is kept unless --force."""
    export = write(plan.parent / "sf.csv", SF_LABELS.replace("EUR", "USD"))
    hand = (
        "id,name,owner,segment,potential,locked\n"
        "a-1,ACME ,ben,enterprise,500,true\n"  # Acme by name; balance gave it to ben
        "globex,Globex,,smb,300,\n"  # by id, no owner yet
        "hooli,Hooli,ana,smb,200,\n"  # not in the CRM export: kept as is
    )
    (plan / "accounts.csv").write_text(hand)
    result = run(cli, plan, export)
    assert result.exit_code == 0, result.stderr
    assert "a-1 owner: ben kept (the CRM says ana; --force takes it)" in result.stdout
    found = {r["id"]: r for r in rows(plan / "accounts.csv")}
    assert list(found) == ["a-1", "globex", "hooli", "initech"]
    assert found["a-1"] == {
        "id": "a-1", "name": "ACME ", "owner": "ben", "segment": "enterprise",
        "potential": "500", "locked": "true", "won": "2000.50", "open": "0.00",
    }  # fmt: skip
    assert (found["globex"]["owner"], found["globex"]["segment"]) == ("ben", "smb")
    assert found["hooli"] == {
        "id": "hooli", "name": "Hooli", "owner": "ana", "segment": "smb",
        "potential": "200", "locked": "", "won": "", "open": "",
    }  # fmt: skip
    assert found["initech"]["segment"] == "" and found["initech"]["owner"] == "jose"
    assert run(cli, plan, export).stdout.count("kept") == 1  # a second import: same, no byte
    before = (plan / "accounts.csv").read_bytes()
    assert run(cli, plan, export).exit_code == 0
    assert (plan / "accounts.csv").read_bytes() == before
    assert run(cli, plan, export, "--force").exit_code == 0
    assert {r["id"]: r["owner"] for r in rows(plan / "accounts.csv")}["a-1"] == "ana"


def test_owners_mapped_in_import_yaml_or_left_out(cli, plan) -> None:
    (plan / "import.yaml").write_text("owners: {Anna Silva: ana, Sales Ops: null}\n")
    text = (
        "Opportunity Owner,Account Name,Stage,Amount,Close Date\n"
        "Anna Silva,Acme,Closed Won,10,2026-03-01\nSales Ops,Acme,Closed Won,99,2026-03-01\n"
    )
    assert run(cli, plan, write(plan.parent / "sf.csv", text)).exit_code == 0
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ana"] == "10.00"


def test_import_yaml_errors_point_at_their_line(cli, plan) -> None:
    (plan / "import.yaml").write_text("weights: {commit: 1, upside: 0.3}\n")
    result = run(cli, plan, write(plan.parent / "sf.csv", SF_LABELS))
    assert result.exit_code == 1
    assert "import.yaml:1:22: SP201" in result.stdout


def test_outputs_stay_inside_the_plan(cli, plan, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (plan / "submissions").symlink_to(outside)
    result = run(cli, plan, write(plan.parent / "sf.csv", SF_LABELS.replace("EUR", "USD")))
    assert result.exit_code == 2
    assert "leads out of the plan folder" in result.stderr
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("name", ["metrics.csv", "accounts.csv", "import-state.json"])
def test_a_fifo_in_the_plan_is_refused_not_waited_on(plan, name) -> None:
    """The import merges into plan files: one that is not a regular file is refused, at
    once (never opened blocking), and nothing is written."""
    import os

    os.mkfifo(plan / name)
    export = write(plan.parent / "sf.csv", SF_LABELS.replace("EUR", "USD"))
    done = subprocess.run(
        [sys.executable, "-m", "salesplan", "import", "--plan", str(plan), str(export)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr and name in done.stderr
    assert not (plan / "submissions").exists()


def test_year_first_dates_with_two_digit_years() -> None:
    from datetime import date

    from salesplan.importing.values import parse_date

    assert parse_date("27/03/01", "ymd") == date(2027, 3, 1)
    assert parse_date("26/06/15", "ymd") == date(2026, 6, 15)
    assert parse_date("01/02/2003", "ymd") is None  # not year-first
    assert parse_date("2027/03/01", "ymd") == date(2027, 3, 1)
    assert parse_date("01/02/03", "dmy") == date(2003, 2, 1)
    assert parse_date("01/02/03", "mdy") == date(2003, 1, 2)
    assert parse_date("2026/2/3", "ymd") == parse_date("26/2/3", "ymd") == date(2026, 2, 3)
    assert parse_date("3/2/6", "dmy") is None  # a one-digit year is no year


def test_source_names_are_those_import_yaml_allows(cli, plan) -> None:
    export = write(plan.parent / "sf.csv", SF_LABELS.replace("EUR", "USD"))
    result = run(cli, plan, export, "--source", "Ünï")
    assert result.exit_code == 2 and "lowercase letters" in result.stderr
    assert not (plan / "submissions").exists()
    assert "import [OPTIONS] FILES...\n" in cli("import", "--help").stdout


def test_accounts_merge_keeps_the_files_bytes_and_refuses_what_it_cannot_read(cli, plan) -> None:
    export = write(plan.parent / "sf.csv", SF_LABELS.replace("EUR", "USD"))
    accounts = plan / "accounts.csv"
    accounts.write_bytes(b"id,name,segment\r\n" + "hooli,Soci\xe9t\xe9,smb\r\n".encode("cp1252"))
    before = accounts.read_bytes()
    refused = run(cli, plan, export)
    assert refused.exit_code == 2 and "accounts.csv is not UTF-8" in refused.stderr
    assert accounts.read_bytes() == before
    # A BOM and CRLF line ends stay; so does the header as written.
    accounts.write_bytes(b"\xef\xbb\xbfid, name ,segment\r\nhooli,Hooli,smb\r\n")
    assert run(cli, plan, export).exit_code == 0
    data = accounts.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid, name ,segment,owner,won,open\r\n")
    assert b"\r\nhooli,Hooli,smb,,,\r\n" in data and data.count(b"\r\n") == data.count(b"\n")


def test_accounts_merge_never_gives_two_accounts_one_row_and_clears_old_figures(cli, plan) -> None:
    """Globex matches the row `globex` by id; an account named `globex` by another id must
    not land on that row too. An account the next export no longer has keeps its row, with
    nothing won or open."""
    text = (
        "Opportunity Owner,Account ID,Account Name,Stage,Amount,Close Date\n"
        "Ana Silva,a-9,Globex,Closed Won,1000,2026-03-01\n"
        "Ben Okafor,globex,Renamed Globex,Closed Won,7000,2026-04-01\n"
    )
    (plan / "accounts.csv").write_text("id,name,owner\nglobex,Globex,ben\n")
    assert run(cli, plan, write(plan.parent / "sf.csv", text)).exit_code == 0
    found = {r["id"]: (r["name"], r["won"]) for r in rows(plan / "accounts.csv")}
    assert found == {"globex": ("Globex", "7000.00"), "a-9": ("Globex", "1000.00")}
    later = "Opportunity Owner,Account ID,Account Name,Stage,Amount,Close Date\n"
    later += "Ana Silva,a-9,Globex,Closed Won,500,2026-03-01\n"
    assert run(cli, plan, write(plan.parent / "sf2.csv", later)).exit_code == 0
    found = {r["id"]: r["won"] for r in rows(plan / "accounts.csv")}
    assert found == {"globex": "0.00", "a-9": "500.00"}


@pytest.mark.parametrize(
    "state", ['{"owners": []}', '{"history": [1]}', "[1, 2]", '{"files": {"a": 1}}', "{bad"]
)
def test_a_malformed_import_state_is_no_record_not_a_crash(cli, plan, state) -> None:
    export = write(plan.parent / "sf.csv", SF_LABELS.replace("EUR", "USD"))
    (plan / "import-state.json").write_text(state)
    assert run(cli, plan, export).exit_code in (0, 2)
    assert run(cli, plan, export, "--force").exit_code == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Ana Silva", "Ben Okafor"]), st.integers(0, 10**9), st.integers(1, 28)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_history_is_the_exact_sum_of_won_amounts(tmp_path_factory, deals) -> None:
    from salesplan.importing import ImportOptions, run_import
    from salesplan.loading import load_plan

    root = tmp_path_factory.mktemp("prop")
    (root / "salesplan.yaml").write_text(PLAN)
    (root / "org.yaml").write_text(ORG)
    lines = ["Opportunity Owner,Account Name,Stage,Amount,Close Date"]
    expected = {"ana": Decimal(0), "ben": Decimal(0), "jose": Decimal(0)}
    for owner, cents, day in deals:
        amount = Decimal(cents).scaleb(-2)
        lines.append(f"{owner},Acme,Closed Won,{amount},2026-02-{day:02d}")
        expected["ana" if owner.startswith("Ana") else "ben"] += amount
    (root / "x.csv").write_text("\n".join(lines) + "\n")
    loaded = load_plan(root).plan
    assert loaded is not None
    result = run_import(loaded, ImportOptions([root / "x.csv"], dry_run=True))
    metrics = next(c for c in result.changes if c.file == "metrics.csv").data.decode()
    got = {r["id"]: Decimal(r["history"]) for r in csv.DictReader(io.StringIO(metrics))}
    assert got == expected


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Ana Silva", "Ben Okafor"]),
            st.sampled_from(["Acme", "Globex"]),
            st.sampled_from(["Closed Won,Closed", "Prospecting,Commit", "Prospecting,Pipeline"]),
            st.integers(-100_000, 100_000),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_an_import_that_writes_leaves_a_plan_check_accepts(tmp_path_factory, deals) -> None:
    """README: "After an import, salesplan check is clean or says what is still missing":
    with credit notes anywhere, an import either refuses (SP714, nothing written) or
    writes what `check` takes without an error."""
    from salesplan.importing import ImportOptions, run_import
    from salesplan.loading import load_plan

    root = tmp_path_factory.mktemp("credits")
    (root / "salesplan.yaml").write_text(PLAN)
    (root / "org.yaml").write_text(ORG)
    lines = ["Opportunity Owner,Account Name,Stage,Forecast Category,Amount,Close Date"]
    for owner, account, stage, cents in deals:
        day = "2026-05-01" if stage.startswith("Closed") else "2027-05-01"
        lines.append(f"{owner},{account},{stage},{Decimal(cents).scaleb(-2)},{day}")
    (root / "x.csv").write_text("\n".join(lines) + "\n")
    loaded = load_plan(root).plan
    assert loaded is not None
    result = run_import(loaded, ImportOptions([root / "x.csv"]))
    codes = {d.code for d in result.findings.kept}
    if result.written:
        assert not codes & {"SP714"}
        assert [str(d) for d in load_plan(root).diagnostics if d.is_error] == []
    else:
        assert codes == {"SP714"}
        assert sorted(p.name for p in root.iterdir()) == ["org.yaml", "salesplan.yaml", "x.csv"]


def test_check_does_not_import_pandas(example) -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom salesplan.cli import app\n"
        f"CliRunner().invoke(app, ['check', {str(example)!r}])\n"
        "print('pandas' in sys.modules, 'salesplan.importing' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_near_duplicates_across_the_opportunities_and_a_product_list(cli, plan) -> None:
    opportunities = (
        "Opportunity Owner,Account Name,Product Name,Stage,Amount,Close Date\n"
        "Ana Silva,Acme,GTXPro,Closed Won,10,2026-03-01\nAna Silva,Acme,GTXPro,Closed Won,10,2026-03-02\n"
    )
    products = "Product Name,List Price\nGTX Basic,550\nGTX Pro,4821\n"
    files = [
        write(plan.parent / "opps.csv", opportunities),
        write(plan.parent / "products.csv", products),
    ]
    result = run(cli, plan, *files)
    assert result.exit_code == 0, result.stdout
    assert "salesforce products (detected from its headers)" in result.stdout
    assert (
        "products.csv:3:1: SP708 product 'GTX Pro' (1 row) looks like 'GTXPro' (2 rows, "
        in result.stdout
    )


def test_pipeline_that_is_gone_removes_the_imported_submission_file(cli, plan) -> None:
    (plan / "import.yaml").write_text("rates: {EUR: 1.1}\n")
    assert run(cli, plan, write(plan.parent / "sf.csv", SF_LABELS)).exit_code == 0
    assert (plan / "submissions/salesforce.csv").exists()
    won_only = "".join(
        line
        for line in SF_LABELS.splitlines(keepends=True)
        if "Closed" in line or "Opportunity ID" in line
    )
    result = run(cli, plan, write(plan.parent / "sf.csv", won_only))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "submissions/salesforce.csv: remove (3 removed)" in result.stdout
    assert not (plan / "submissions/salesforce.csv").exists()
    assert cli("check", plan).exit_code == 0


def test_control_characters_in_crm_text_never_reach_the_terminal(cli, plan) -> None:
    text = (
        "Opportunity Owner,Account Name,Stage,Amount,Close Date\n"
        'Ana Silva,"Evil\x1b[31m Corp\x07",Closed Won,10,2026-03-01\n'
        '"Bad\x1b]0;x\x07Owner",Acme,Closed Won,10,2026-03-01\n'
    )
    result = run(cli, plan, write(plan.parent / "sf.csv", text), "--dry-run")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "SP703 owner 'Bad\\x1b]0;x\\x07Owner' matches no rep" in result.stdout


def test_control_characters_in_listed_changes_are_escaped(cli, plan) -> None:
    text = 'Opportunity Owner,Account Name,Stage,Amount,Close Date\nAna Silva,"Evil\x1b[31m Corp",Closed Won,10,2026-03-01\n'
    result = run(cli, plan, write(plan.parent / "sf.csv", text), "--dry-run")
    assert result.exit_code == 0, result.stdout
    assert "\x1b" not in result.stdout
    assert "Evil\\x1b[31m Corp" in result.stdout


def test_mapping_file_given_on_the_command_line(cli, plan) -> None:
    mapping = plan.parent / "crm-mapping.yaml"
    mapping.write_text(GENERIC)
    export = write(
        plan.parent / "raw.csv",
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "A,Ben Okafor,MG,Zeta,Won,2026-01-01,2026-05-01,70\n",
    )
    assert run(cli, plan, export).exit_code == 1  # no preset knows these headers
    result = run(cli, plan, export, "--mapping", mapping)
    assert result.exit_code == 0, result.stdout
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")}["ben"] == "70.00"


PRESET_EXPORTS = {
    "salesforce": (
        ["Opportunity Owner", "Account Name", "Stage", "Forecast Category", "Amount", "Close Date"],
        [
            ["José García", "Société Générale", "Closed Won", "Closed", "1234.50", "2026-03-01"],
            ["Ben Okafor", "Acme", "Negotiation/Review", "Commit", "2000.25", "2027-05-01"],
        ],
    ),
    "hubspot": (
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Close Date",
            "Deal owner",
            "Amount",
            "Associated Company",
            "Forecast category",
        ],
        [
            [
                "1",
                "A",
                "Closed won",
                "2026-03-01",
                "José García",
                "1234.50",
                "Société Générale",
                "Closed won",
            ],
            ["2", "B", "Contract sent", "2027-05-01", "Ben Okafor", "2000.25", "Acme", "Commit"],
        ],
    ),
    "dynamics": (
        [
            "opportunityid",
            "Owner",
            "Account",
            "statecode",
            "estimatedvalue",
            "actualvalue",
            "estimatedclosedate",
            "actualclosedate",
            "msdyn_forecastcategory",
        ],
        [
            [
                "o1",
                "José García",
                "Société Générale",
                "Won",
                "1",
                "1234.50",
                "2026-01-01",
                "2026-03-01",
                "Won",
            ],
            ["o2", "Ben Okafor", "Acme", "Open", "2000.25", "", "2027-05-01", "", "Committed"],
        ],
    ),
}


@pytest.mark.parametrize("preset", sorted(PRESET_EXPORTS))
@pytest.mark.parametrize("variant", ["utf-8", "utf-8-sig", "cp1252", "semicolon"])
def test_every_preset_in_every_encoding_and_separator(cli, plan, preset, variant) -> None:
    header, data = PRESET_EXPORTS[preset]
    sep = ";" if variant == "semicolon" else ","
    rows_ = (
        [[c.replace(".", ",") if c[:1].isdigit() and "." in c else c for c in r] for r in data]
        if sep == ";"
        else data
    )
    text = "".join(sep.join(r) + "\r\n" for r in [header, *rows_])
    export = write(
        plan.parent / f"{preset}.csv", text, "utf-8" if variant == "semicolon" else variant
    )
    result = run(cli, plan, export)
    assert result.exit_code == 0, result.stdout
    assert f"{preset} opportunities (detected from its headers)" in result.stdout
    assert {r["id"]: r["history"] for r in rows(plan / "metrics.csv")} == {
        "ana": "0.00",
        "ben": "0.00",
        "jose": "1234.50",
    }
    assert rows(plan / f"submissions/{preset}.csv") == [
        {
            "rep": "ben",
            "period": "Q2",
            "amount": "2000.25",
            "note": "weighted open pipeline: 1 opportunity",
        }
    ]
    accounts = {a["name"]: (a["owner"], a["won"], a["open"]) for a in rows(plan / "accounts.csv")}
    assert accounts == {
        "Société Générale": ("jose", "1234.50", "0.00"),
        "Acme": ("ben", "0.00", "2000.25"),
    }


def test_a_missing_export_is_a_usage_error(cli, plan) -> None:
    result = run(cli, plan, plan.parent / "nowhere.csv")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_an_account_list_the_generic_mapping_cannot_read_gets_advice_that_works(cli, plan) -> None:
    """`columns:` maps opportunity fields only: SP702 on an account list says so and what
    to do (leave it out), instead of asking to map it in `columns:`."""
    (plan / "import.yaml").write_text(
        "preset: generic\n"
        "columns: {id: opportunity_id, owner: sales_agent, account: account, stage: deal_stage,"
        " close_date: close_date, amount: close_value}\n"
        "stages: {Won: won, Lost: lost}\n"
    )
    deals = write(
        plan.parent / "pipeline.csv",
        "opportunity_id,sales_agent,account,deal_stage,close_date,close_value\n"
        "D1,Ana Silva,Cancity,Won,2026-03-01,1054\n",
    )
    accounts = write(plan.parent / "accounts.csv", "account,sector,revenue\nCancity,retail,718\n")
    refused = run(cli, plan, deals, accounts, "--dry-run")
    said = " ".join(refused.stdout.split())
    assert "SP702 no generic export has these columns ('account', 'sector', 'revenue')" in said
    assert (
        "no column of it is mapped to owner (or owner_id, owner_email), amount, close_date, stage"
        in said
    )
    assert "`columns:` maps opportunity fields only" in said and "or leave it out" in said
    assert "choose --preset" not in said
    done = run(cli, plan, deals)  # the advice followed
    assert done.exit_code == 0, done.stdout + done.stderr
    assert [r["name"] for r in rows(plan / "accounts.csv")] == ["Cancity"]


def test_account_names_become_ids_by_one_rule_and_stay_distinct(cli, plan) -> None:
    """Every account name is slugged, one word or many, and accounts.csv is sorted by id,
    case aside; names that slug alike get distinct ids; a CRM account id is kept as
    written (CRM ids are case-sensitive)."""
    header = "Opportunity Owner,Account Name,Stage,Forecast Category,Amount,Close Date\n"
    names = ["Betasoloin", "Acme Corporation", "Zoomit", "Acme Corporation.", "ACME corporation"]
    lines = [
        f"Ana Silva,{name},Closed Won,Closed,{i + 1}00,3/15/2026\n" for i, name in enumerate(names)
    ]
    export = write(plan.parent / "sf.csv", header + "".join(lines))
    assert run(cli, plan, export).exit_code == 0
    found = [(r["id"], r["name"], r["won"]) for r in rows(plan / "accounts.csv")]
    assert found == [
        ("acme-corporation", "ACME corporation", "500.00"),  # sorted by name: first
        ("acme-corporation-2", "Acme Corporation", "200.00"),
        ("acme-corporation-3", "Acme Corporation.", "400.00"),
        ("betasoloin", "Betasoloin", "100.00"),
        ("zoomit", "Zoomit", "300.00"),
    ]
    by_id = header.replace("Account Name", "Account ID")
    ids = ["001Ab", "001aB", "Acme Corp"]
    lines = [f"Ana Silva,{value},Closed Won,Closed,100,3/15/2026\n" for value in ids]
    export = write(plan.parent / "ids.csv", by_id + "".join(lines))
    (plan / "accounts.csv").unlink()
    (plan / "import-state.json").unlink()
    assert run(cli, plan, export, "--force").exit_code == 0
    assert [r["id"] for r in rows(plan / "accounts.csv")] == ["001Ab", "001aB", "acme-corp"]
