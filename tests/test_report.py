"""`salesplan report`: the Report record, and its text, Markdown, HTML, XLSX and JSON forms.

The example plan's Markdown is a golden file (SALESPLAN_UPDATE_GOLDEN=1 rewrites it); the
HTML is parsed (self-contained, escaped, numbers as `allocate`/`rollup` give them), the XLSX
is opened again with openpyxl and its totals compared with `allocate --format json`.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings

from plans import materialise, plan_specs
from salesplan import load_plan
from salesplan.render import html, report_text, xlsx
from salesplan.render.output import Format as ReportFormat
from salesplan.render.report import tables
from salesplan.render.report_file import choose_format
from salesplan.render.table import Money, ResultTable, quantized
from salesplan.report import Report, build_report

GOLDEN = Path(__file__).parent / "golden"
EPOCH = "1798761600"  # 2027-01-01, so the report's date is fixed
D = Decimal


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SALESPLAN_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run with SALESPLAN_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; review, then SALESPLAN_UPDATE_GOLDEN=1"
    )


def run_json(cli, *args: str | Path) -> dict:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def report_of(folder: Path) -> Report:
    loaded = load_plan(folder)
    assert loaded.plan is not None
    return build_report(loaded.plan, loaded.diagnostics)


# A plan whose user text tries to break out of HTML, Markdown and spreadsheets.
HOSTILE = {
    "salesplan.yaml": """
        salesplan: 1
        id: co
        name: "Plan <b>&</b> \\"quotes\\""
        currency: JPY
        fiscal_year: {start: 2027-04-01, periods: quarter}
        target: 1_000_000
        levels:
          - {name: region, split: even}
          - {name: rep, split: even, over_assign: 0.1}
        capacity: {full_quota: 600_000}
    """,
    "org.yaml": """
        units:
          - {id: r1, name: "<script>alert(1)</script>", level: region}
          - {id: r2, name: "=HYPERLINK(\\"x\\")", level: region}
        reps:
          - {id: a, name: "<img src=x onerror=alert(1)>", parent: r1, start: 2020-01-01}
          - {id: b, name: "| pipe", parent: r2, start: 2020-01-01}
    """,
    "territories.yaml": """
        territories:
          - {id: t1, name: "<iframe src='//evil.example'>", owner: a, segment: "<b>ent</b>",
             metrics: {potential: 2_000_000, history: 400_000}}
          - {id: t2, name: Open land, segment: smb, metrics: {potential: 500_000}}
    """,
    "submissions/a.yaml": """
        rep: a
        forecast: {Q1: 100_000, Q2: 100_000}
        note: "<script>note</script>"
    """,
}


# ---- the record


def test_example_report_record(example) -> None:
    report = report_of(example)
    s = report.summary
    assert s.target == D(12_800_000)
    assert s.quotas_file == "absent" and s.quota_source == "computed"
    assert (s.errors, s.warnings) == (0, 0)
    assert s.missing == ("dev",)  # planned hires are not expected to submit
    assert [lv.level for lv in report.levels] == ["region", "team", "rep"]
    region = report.levels[0]
    assert region.total.quota == D(12_800_000)
    assert (region.total.active, region.total.planned) == (9, 2)
    # capacity per unit is the sum of its reps' capacity
    reps = {r.id: r for r in report.levels[-1].rows}
    team = next(r for r in report.levels[1].rows if r.id == "amer-ent")
    assert team.capacity == sum((reps[i].capacity for i in ("ana", "ben", "tbh-amer-1")), D(0))
    assert report.year.target == D(12_800_000)
    assert sum((p.quotas for p in report.phasing), D(0)) == report.levels[-1].total.quota
    assert report.chart_level == "team" and len(report.chart_units) == 4
    assert report.hybrid is not None and report.hybrid.flagged
    assert report.territories is not None
    assert report.territory_totals is not None and report.territory_totals.history is None
    ana = next(t for t in report.territories if t.owner == "ana")
    assert ana.quota_share == D(1_500_000) / D(5_000_000)


def test_no_submissions_no_territories(write_tree) -> None:
    folder = write_tree({k: v for k, v in HOSTILE.items() if k in {"salesplan.yaml", "org.yaml"}})
    report = report_of(folder)
    assert report.hybrid is None and report.territories is None
    assert report.summary.forecast == 0
    assert report.chart_level == "region"
    assert report.display_exponent == 0 and report.exponent == 0  # JPY


def test_stale_quotas_are_reported_not_fatal(example, cli) -> None:
    assert cli("allocate", example, "--write").exit_code == 0
    plan = example / "salesplan.yaml"
    plan.write_text(plan.read_text().replace("target: 12_800_000", "target: 13_000_000"))
    result = cli("report", example, "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["quotas_file"] == "stale" and summary["quota_source"] == "computed"
    assert summary["error_count"] == 1
    assert summary["target"] == "13000000.00"


def test_a_broken_plan_exits_1(example, cli) -> None:
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("parent: amer-ent", "parent: nowhere", 1))
    result = cli("report", example)
    assert result.exit_code == 1
    assert "SP302" in result.stderr


# ---- Markdown


def test_golden_markdown(example, cli) -> None:
    result = cli("report", example, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "as of 2027-01-01" in result.stdout
    assert_golden("acme-report.md", result.stdout)


def test_markdown_escapes_user_text(write_tree, cli) -> None:
    folder = write_tree(HOSTILE)
    text = cli("report", folder, "--format", "markdown").stdout
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text and "\\| pipe" in text


# ---- HTML


class Page(HTMLParser):
    """Every tag with its attributes, and the rows of each table under its <h2>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.heading = ""
        self._in_h2 = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "h2":
            self._in_h2, self.heading = True, ""
        elif tag == "table":
            self.tables[self.heading] = []
        elif tag == "tr":
            self._row = []
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False
        elif tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self.heading].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.heading += data
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, heading: str) -> dict[str, list[str]]:
        return {row[0]: row for row in self.tables[heading][1:]}


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def number(text: str) -> Decimal:
    return D(text.replace(",", "").replace("−", "-"))


def test_html_is_self_contained(example, cli) -> None:
    result = cli("report", example, "--format", "html")  # stdout is not a terminal here
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    page = parse(text)
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text and "url(" not in text
    for tag, attrs in page.tags:
        assert tag not in {"script", "link", "img", "iframe", "object", "embed", "base"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"src", "href", "xlink:href", "action", "srcset", "poster", "data"}:
                assert not (value or "").lower().startswith(("http:", "https:", "//")), value
    tags = [tag for tag, _ in page.tags]
    assert tags.count("svg") == 3  # by unit, by period, by rep
    assert tags.count("rect") > 20  # bars and legend swatches
    assert "@media print" in text


def test_html_numbers_match_allocate_and_rollup(example, cli) -> None:
    allocated = run_json(cli, "allocate", example)
    rolled = run_json(cli, "rollup", example)
    page = parse(cli("report", example, "--format", "html").stdout)
    root = allocated["nodes"][0]
    assert "Summary" not in page.tables  # the cards show it; no table repeats them
    year = page.rows("Phasing per period")["year"]
    assert number(year[1]) == D(root["total"])
    assert number(year[4]) == D(rolled["nodes"][0]["forecast"]["total"])
    regions = page.rows("By region")
    expected = {n["id"]: D(n["total"]) for n in allocated["nodes"] if n["level"] == "region"}
    assert {k: number(v[2]) for k, v in regions.items() if k != "total"} == expected
    assert number(regions["total"][2]) == D(root["total"])
    reps = page.rows("By rep")
    rep_sum = sum((D(n["total"]) for n in allocated["nodes"] if n["level"] == "rep"), D(0))
    assert number(reps["total"][4]) == rep_sum
    # the JSON report says the same
    document = run_json(cli, "report", example)
    assert D(document["summary"]["target"]) == D(root["total"])
    assert D(document["summary"]["forecast"]) == D(rolled["nodes"][0]["forecast"]["total"])
    assert D(document["summary"]["rep_quotas"]) == rep_sum
    reps = {r["id"]: r for r in document["reps"]}
    for node in allocated["nodes"]:
        if node["level"] == "rep":
            assert reps[node["id"]]["quota"] == {"total": node["total"], "periods": node["periods"]}


def test_html_escapes_user_text(write_tree) -> None:
    text = html.render(report_of(write_tree(HOSTILE)))
    page = parse(text)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "img", "iframe", "b"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Plan &lt;b&gt;&amp;&lt;/b&gt; &quot;quotes&quot;" in text
    assert "//evil" not in [v for _, attrs in page.tags for v in attrs.values()]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_renders_in_headless_chromium(example, tmp_path) -> None:
    page = tmp_path / "report.html"
    page.write_text(html.render(report_of(example)), encoding="utf-8")
    shot = tmp_path / "report.png"
    profile = tempfile.mkdtemp(dir=tmp_path)
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        page.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1280  # IHDR width
    assert len(data) > 50_000  # a page with content, not a blank one


# ---- XLSX


def data_rows(sheet) -> list[tuple]:
    """The rows under the header, up to the blank row before the notes."""
    rows = []
    for row in sheet.iter_rows(min_row=2):
        if row[0].value is None:
            break
        rows.append(row)
    return rows


def test_xlsx_sheets_formats_and_totals(example, cli, tmp_path) -> None:
    allocated = run_json(cli, "allocate", example)
    target = tmp_path / "report.xlsx"
    result = cli("report", example, "-o", target)
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(target, data_only=True)  # formulas read as their cached values
    formulas = openpyxl.load_workbook(target)
    assert book.sheetnames == [
        "Summary",
        "Over-assignment",
        "By region",
        "By team",
        "By rep",
        "Quota per period",
        "Territories",
        "Phasing",
        "Hybrid flags",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[c].width > 5 for c in "AB")
    by_level: dict[str, dict[str, Decimal]] = {}
    for node in allocated["nodes"]:
        by_level.setdefault(node["level"], {})[node["id"]] = D(node["total"])
    for level in ("region", "team", "rep"):
        sheet = book[f"By {level}"]
        header = [c.value for c in sheet[1]]
        quota = header.index("quota")
        rows = {row[0].value: row for row in data_rows(sheet)}
        total = rows.pop("total")
        assert total[quota].number_format == '"$"#,##0.00;-"$"#,##0.00'
        assert total[quota].font.bold
        last = len(rows) + 1
        letter = total[quota].column_letter
        sums = f"=SUM({letter}2:{letter}{last})"
        assert formulas[f"By {level}"][total[quota].coordinate].value == sums
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{last}"
        assert D(str(total[quota].value)) == sum(by_level[level].values(), D(0))
        assert {k: D(str(r[quota].value)) for k, r in rows.items()} == by_level[level]
        coverage = rows[next(iter(rows))][header.index("coverage")]
        assert coverage.number_format == "0.0%" and isinstance(coverage.value, float)
    by_rep = book["By rep"]
    expected = [c.value for c in by_rep[1]].index("expected")  # expected bookings
    assert any(  # exact to the cent, not rounded like the people's views
        D(str(r[expected].value)) % 1 for r in data_rows(by_rep)
    )


def test_xlsx_text_never_becomes_a_formula(write_tree) -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx.render(report_of(write_tree(HOSTILE)))))
    names = [row[1] for row in book["By region"].iter_rows(min_row=2)]
    hyperlink = next(c for c in names if c.value and str(c.value).startswith("="))
    assert hyperlink.data_type == "s"
    quota_format = book["By region"].cell(row=2, column=4).number_format
    assert quota_format == '"¥"#,##0;-"¥"#,##0'  # JPY has no minor unit


def test_sheet_names_are_valid_and_distinct() -> None:
    names = xlsx.sheet_names(["By a/b", "by A/B", "x" * 40, "Summary"])
    assert names[0] == "By a b" and names[1] == "by A B (2)"
    assert len(names[2]) == 31 and len(set(n.lower() for n in names)) == 4


# ---- text and JSON


def test_text_fits_100_and_80_columns(example, write_tree) -> None:
    for report in (report_of(example), report_of(write_tree(HOSTILE))):
        for width in (100, 80):
            lines = report_text.as_text(report, width).splitlines()
            assert len(lines) > 30
            assert max(len(line) for line in lines) <= width
            assert not any("…" in line for line in lines)


def test_text_with_long_ids_still_fits(write_tree) -> None:
    long = "a-very-long-team-identifier-that-goes-on-and-on-" * 2
    files = dict(HOSTILE)
    files["org.yaml"] = (
        HOSTILE["org.yaml"]
        .replace("id: r1,", f"id: {long},")
        .replace("parent: r1,", f"parent: {long},")
    )
    text = report_text.as_text(report_of(write_tree(files)))
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "<b>ent</b>" in text  # plain text is not HTML: shown as written, never as markup


def test_json_document(example, cli) -> None:
    document = run_json(cli, "report", example)
    assert document["as_of"] == "2027-01-01"
    summary = document["summary"]
    assert summary["capacity"] == "12139523.94" and isinstance(summary["cost_of_sales"], float)
    assert [lv["level"] for lv in document["levels"]] == ["region", "team", "rep"]
    assert document["levels"][0]["total"]["quota"] == "12800000.00"
    assert document["phasing"][-1]["period"] == "year"
    assert document["hybrid"]["flagged"]
    capacity = run_json(cli, "capacity", example)
    assert summary["hires_needed"] == capacity["hires_needed"]
    assert summary["cost_of_sales"] == capacity["cost_of_sales"]


# ---- the command: formats, files, overwrites


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("r.md", lambda b: b.startswith(b"# Acme FY2027")),
        ("r.html", lambda b: b.startswith(b"<!DOCTYPE html>")),
        ("r.xlsx", lambda b: b.startswith(b"PK")),
        ("r.json", lambda b: json.loads(b)["id"] == "acme"),
        ("r.txt", lambda b: b.startswith(b"Acme FY2027: sales plan report") and b"\x1b[" not in b),
    ],
)
def test_format_from_suffix(example, cli, tmp_path, name, check) -> None:
    target = tmp_path / "out" / name
    result = cli("report", example, "-o", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert check(target.read_bytes())


def test_format_option_beats_the_suffix(example, cli, tmp_path) -> None:
    target = tmp_path / "report.txt"
    assert cli("report", example, "-o", target, "--format", "json").exit_code == 0
    assert json.loads(target.read_text())["name"] == "Acme FY2027"


def test_usage_errors(example, cli, tmp_path) -> None:
    unknown = cli("report", example, "-o", tmp_path / "report.pdf")
    assert unknown.exit_code == 2 and "--format" in unknown.stderr
    assert not (tmp_path / "report.pdf").exists()
    xlsx_out = cli("report", example, "--format", "xlsx")
    assert xlsx_out.exit_code == 2 and "-o" in xlsx_out.stderr
    with pytest.raises(ValueError, match="HTML"):
        choose_format(ReportFormat.html, None, stdout_is_terminal=True)
    assert choose_format(ReportFormat.html, None, stdout_is_terminal=False) is ReportFormat.html
    assert choose_format(None, None, stdout_is_terminal=True) is ReportFormat.text


def test_never_overwrites_without_force(example, cli, tmp_path) -> None:
    target = tmp_path / "out" / "report.md"
    target.parent.mkdir()
    target.write_text("mine\n")
    refused = cli("report", example, "-o", target)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert target.read_text() == "mine\n"
    replaced = cli("report", example, "-o", target, "--force")
    assert replaced.exit_code == 0
    assert target.read_text().startswith("# Acme FY2027")
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]  # no temp file left


def test_text_to_a_pipe_is_plain(example, cli) -> None:
    result = cli("report", example)
    assert result.exit_code == 0, result.stderr
    assert "\x1b[" not in result.stdout
    assert all(len(line) <= 100 and line == line.rstrip() for line in result.stdout.splitlines())


def test_text_clips_long_tables_and_keeps_totals() -> None:
    from salesplan.render.table import Column, ResultTable

    table = ResultTable("By rep", [Column("rep"), Column("quota", True)], notes=["a note"])
    for i in range(150):
        table.add([f"rep-{i:03d}", i])
    table.add(["total", 11_175], strong=True)
    short = report_text.clipped(table)
    assert len(short.rows) == report_text.ROWS + 1
    assert short.rows[-1] == ["total", 11_175] and short.strong[-1]
    assert short.notes[0].startswith("90 more rows not shown here")
    assert short.notes[1] == "a note"
    small = ResultTable("t", [Column("a")])
    small.add(["x"])
    assert report_text.clipped(small) is small


def test_xlsx_monthly_subtotals_are_formulas_over_their_months(write_tree, tmp_path) -> None:
    """A monthly plan: months labelled from the calendar, a subtotal per quarter, each total a
    SUM of exactly its rows, with the exact value cached for readers that do not calculate."""
    import subprocess
    import sys

    plan = tmp_path / "big"
    generate = [sys.executable, "benchmarks/generate.py", "--reps", "30", "--out", str(plan)]
    subprocess.run(generate, check=True, capture_output=True, cwd=Path(__file__).parent.parent)
    data = xlsx.render(report_of(plan))
    formulas = openpyxl.load_workbook(io.BytesIO(data))["Phasing"]
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Phasing"]
    labels = [c.value for c in formulas["A"][1:18]]
    assert labels[:5] == ["Feb-27", "Mar-27", "Apr-27", "Q1", "May-27"]
    assert labels[-1] == "year"
    assert formulas["B5"].value == "=SUM(B2:B4)" and formulas["B9"].value == "=SUM(B6:B8)"
    assert formulas["B18"].value == "=SUM(B2:B4,B6:B8,B10:B12,B14:B16)"
    months = [values[f"B{r}"].value for r in (2, 3, 4)]
    assert values["B5"].value == sum(months)
    assert formulas.auto_filter.ref is None  # subtotals between the rows: no sorting


# ---- every table adds up as shown (docs/design.md, "Money and rounding")


def assert_totals_add_up(table: ResultTable) -> None:
    """Each total row shows, amount by amount, the sum of the amounts shown above it: those
    since the previous total (a quarter's months), else every plain row (the year)."""
    for r, strong in enumerate(table.strong):
        if not strong:
            continue
        plain = [i for i in range(r) if not table.strong[i]]
        members = [i for i in plain if not any(table.strong[i + 1 : r])] or plain
        for c, cell in enumerate(table.rows[r]):
            if not isinstance(cell, Money):
                continue
            above = [table.rows[i][c] for i in members]
            shown = sum((quantized(a, table.decimals) for a in above if isinstance(a, Money)), D(0))
            where = (table.title, table.rows[r][0], table.columns[c].header)
            assert shown == quantized(cell, table.decimals), where


def markdown_table(text: str, title: str) -> dict[str, list[str]]:
    lines = text.split(f"## {title}\n", 1)[1].strip().split("\n\n", 1)[0].splitlines()[2:]
    return {row[0].strip("* "): row[1:] for row in (line.strip("|").split(" | ") for line in lines)}


def test_report_totals_add_up_as_shown(example, cli, tmp_path) -> None:
    # `rounding: 1000`, no decimals: the teams' expected bookings, each rounded, made
    # 3,602,219 + 3,219,102 + 2,419,102 + 2,899,102 = 12,139,525 against 12,139,524
    markdown = cli("report", example, "--format", "markdown").stdout
    teams = markdown_table(markdown, "By team")
    expected = {k: int(v[-3].replace(",", "")) for k, v in teams.items()}
    assert expected.pop("total") == sum(expected.values()) == 12_139_524
    assert expected["emea-com"] == 2_419_101
    reps = markdown_table(markdown, "By rep")
    expected = {k: int(v[-1].replace(",", "")) for k, v in reps.items()}
    assert expected.pop("total") == sum(expected.values()) == 12_139_524
    page = parse(cli("report", example, "--format", "html").stdout)
    for title in ("By region", "By team", "By rep", "Phasing per period"):
        rows = page.rows(title)
        total = rows.pop("year" if title.startswith("Phasing") else "total")
        for column, value in enumerate(total):
            if value and value[-1].isdigit() and "%" not in value:
                assert sum(number(r[column]) for r in rows.values()) == number(value), title
    text = report_text.as_text(report_of(example))
    assert "2,419,101" in text and "2,419,102" not in text
    report = report_of(example)
    for table in [*tables(report), *tables(report, exact=True)]:
        assert_totals_add_up(table)
    # the XLSX keeps the exact amounts, whose totals add up as they are
    target = tmp_path / "report.xlsx"
    assert cli("report", example, "-o", target).exit_code == 0
    sheet = openpyxl.load_workbook(target, data_only=True)["By team"]
    column = [c.value for c in sheet[1]].index("expected")
    rows = {row[0].value: D(str(row[column].value)) for row in data_rows(sheet)}
    assert rows.pop("total") == sum(rows.values()) == D("12139523.94")


# Two reps on 1,000,000 a year (83,333.33 a month), joining on 2 January and 3 February: the
# months' expected bookings are 80,645.16, 160,714.28, then 166,666.67 (seven months) and
# 166,666.66 (three); year 1,908,026.11, quarters 408,026.11, 500,000.01, 500,000.01 and
# 499,999.98. Carved from the year, the months showed 166,667 from M03 to M09 and 166,666
# after, a Q4 of 499,998 (two units off its own figure); carved from their quarters, as the
# report shows them under their subtotals, M06 and M09 showed 166,666, M10 and M11 166,667.
MONTHLY = {
    "salesplan.yaml": """
        salesplan: 1
        name: Months
        currency: USD
        fiscal_year: {start: 2027-01-01, periods: month}
        target: 1_200_000
        rounding: 1000
        levels: [{name: rep, split: even}]
        capacity: {full_quota: 1_000_000}
    """,
    "org.yaml": """
        reps:
          - {id: a, start: 2027-01-02}
          - {id: b, start: 2027-02-03}
    """,
}


def test_a_month_shows_the_same_in_capacity_and_report(write_tree, cli) -> None:
    folder = write_tree(MONTHLY)
    quarters = {"Q1": 408_026, "Q2": 500_000, "Q3": 500_000, "Q4": 500_000}
    months = [80_645, 160_714, 166_667, 166_667, 166_667, 166_666]
    months += [166_667, 166_667, 166_666, 166_667, 166_667, 166_666]
    labels = [date(2027, m, 1).strftime("%b-%y") for m in range(1, 13)]  # Jan-27 ... Dec-27
    capacity = cli("capacity", folder, "--format", "markdown").stdout
    shown = markdown_table(capacity, "Expected bookings vs target (USD)")
    assert [number(shown[m][1]) for m in labels] == months
    assert number(shown["year"][1]) == sum(months) == 1_908_026
    # a monthly plan's quarters as subtotals, as the report's phasing shows them
    assert {q: number(shown[q][1]) for q in quarters} == quarters
    assert all(sum(months[3 * i : 3 * i + 3]) == quarters[f"Q{i + 1}"] for i in range(4))
    exact = cli("capacity", folder, "--table", "periods", "--format", "csv").stdout
    assert [line.split(",")[0] for line in exact.splitlines()[1:]] == [
        *(f"M{m:02}" for m in range(1, 13)),
        "year",
    ]  # a CSV holds the periods and their total only
    report = markdown_table(
        cli("report", folder, "--format", "markdown").stdout, "Phasing per period"
    )
    assert [number(report[m][2]) for m in labels] == months
    assert {q: number(report[q][2]) for q in quarters} == quarters
    page = parse(cli("report", folder, "--format", "html").stdout).rows("Phasing per period")
    assert [number(page[m][3]) for m in labels] == months  # the label, then the figures
    lines = {
        line.split()[0]: line.split()
        for line in cli("capacity", folder).stdout.splitlines()
        if line.strip()
    }
    assert [number(lines[m][2]) for m in labels] == months


def test_html_charts_show_the_figures_of_the_tables(write_tree, cli, example) -> None:
    # the charts' tooltips rounded the exact figures one by one: June's 166,666.67 showed
    # 166,667 above a table of 166,666, the example's team emea-com 2,419,102 above 2,419,101
    page = cli("report", write_tree(MONTHLY), "--format", "html").stdout
    assert "<title>Jun-27: Expected bookings 166,666 USD</title>" in page
    assert "<title>Oct-27: Expected bookings 166,667 USD</title>" in page
    page = cli("report", example, "--format", "html").stdout
    assert "<title>EMEA Commercial: Expected bookings 2,419,101 USD</title>" in page


def test_forecasts_in_cents_add_up_in_whole_thousands(example, cli) -> None:
    # forecasts of x.40: rounded one by one, every row loses .40 and the total does not
    for rep in ("ana", "ben", "carla", "erin", "felix", "giulia"):
        path = example / "submissions" / f"{rep}.yaml"
        path.write_text(path.read_text().replace("_000,", "_000.40,", 1))
    report = report_of(example)
    assert report.summary.forecast == D("11230002.40")
    for table in tables(report):
        assert_totals_add_up(table)
    markdown = cli("report", example, "--format", "markdown").stdout
    reps = markdown_table(markdown, "By rep")
    forecast = {k: int(v[4].replace(",", "")) for k, v in reps.items()}
    assert forecast.pop("total") == sum(forecast.values()) == 11_230_002


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_specs())
def test_report_tables_add_up_on_random_plans(spec) -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = report_of(materialise(spec.files(), folder))
    for table in [*tables(report), *tables(report, exact=True)]:
        assert_totals_add_up(table)
