"""`check --format text|json|github|sarif` and `--strict`: shapes, escaping, exit codes."""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from referencing import Registry
from typer.testing import CliRunner

from salesplan.cli import app
from salesplan.diagnostics import CATALOGUE
from salesplan.render import json as render_json

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-2.1.0.json"
FORMATS = ("text", "json", "github", "sarif")
ANSI = re.compile(r"\x1b\[")

PLAN = """\
salesplan: 1
name: Formats
currency: USD
fiscal_year: {start: 2027-01-01}
target: 1000000
levels: [{name: rep}]
"""
ORG = """\
reps:
  - {id: ana, start: 2024-01-01}
"""
# One error (SP302) and one warning (SP502).
BROKEN = {
    "salesplan.yaml": PLAN,
    "org.yaml": "reps:\n  - {id: ana, parent: nowhere}\n",
    "territories.yaml": "territories:\n  - {id: west, owner: ana}\n  - {id: east}\n",
}
WARNINGS_ONLY = {**BROKEN, "org.yaml": ORG}


@pytest.fixture
def plan_dir(write_tree, monkeypatch: pytest.MonkeyPatch):
    """Write a plan from {path: text or bytes} and chdir into it."""

    def make(files: dict[str, str | bytes]) -> Path:
        folder = write_tree(files)
        monkeypatch.chdir(folder)
        return folder

    return make


def sarif_validator() -> jsonschema.Draft4Validator:
    """The OASIS SARIF 2.1.0 schema, resolved offline: an empty registry fetches nothing."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, registry=Registry())


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tests must not use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# ---- json


def test_json_shape(cli, plan_dir) -> None:
    plan_dir(BROKEN)
    result = cli("check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert list(report) == ["valid", "error_count", "warning_count", "diagnostics"]
    assert report["valid"] is False
    assert (report["error_count"], report["warning_count"]) == (1, 1)
    keys = ["code", "severity", "message", "file", "line", "column", "path"]
    for item in report["diagnostics"]:
        assert list(item) == keys
        assert item["code"] in CATALOGUE
        assert item["severity"] == CATALOGUE[item["code"]].severity.value
        assert isinstance(item["line"], int) and isinstance(item["column"], int)
        assert all(isinstance(item[k], str) for k in ("message", "file", "path"))
    first, second = report["diagnostics"]
    assert (first["code"], first["file"], first["line"], first["column"]) == (
        "SP302",
        "org.yaml",
        2,
        23,
    )
    assert first["path"] == "reps[0].parent"
    assert (second["code"], second["file"], second["line"]) == ("SP502", "territories.yaml", 3)
    assert result.stderr == ""


def test_json_counts_match_text(cli, plan_dir) -> None:
    plan_dir(BROKEN)
    text = cli("check").stdout.splitlines()
    report = json.loads(cli("check", "--format", "json").stdout)
    shown = [
        f"{d['file']}:{d['line']}:{d['column']}: {d['code']} {d['message']}"
        for d in report["diagnostics"]
    ]
    assert shown == text


# ---- github


def unescape_data(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


ANNOTATION = re.compile(r"::(error|warning) (?P<props>[^:]*)::(?P<message>.*)")


def parse_github(output: str) -> list[dict[str, str]]:
    annotations = []
    for line in output.splitlines():
        match = ANNOTATION.fullmatch(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        annotations.append(
            {
                "kind": match[1],
                **{k: unescape_property(v) for k, v in props.items()},
                "message": unescape_data(match["message"]),
            }
        )
    return annotations


def test_github_annotations(cli, plan_dir) -> None:
    plan_dir(BROKEN)
    result = cli("check", "--format", "github")
    assert result.exit_code == 1
    annotations = parse_github(result.stdout)
    assert [(a["kind"], a["file"], a["line"], a["col"]) for a in annotations] == [
        ("error", "org.yaml", "2", "23"),
        ("warning", "territories.yaml", "3", "10"),
    ]
    assert annotations[0]["title"] == "SP302 unknown parent"


def test_github_escapes_percent_in_message(cli, plan_dir) -> None:
    plan_dir({"salesplan.yaml": PLAN, "org.yaml": "reps:\n  - {id: ana, 'quota %': 5}\n"})
    result = cli("check", "--format", "github")
    [line] = result.stdout.splitlines()
    assert "'quota %25'" in line and "'quota %'" not in line
    [annotation] = parse_github(result.stdout)
    report = json.loads(cli("check", "--format", "json").stdout)
    assert annotation["message"] == report["diagnostics"][0]["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="file names with CR/LF are POSIX-only")
def test_github_escapes_newlines_colons_and_commas(cli, plan_dir) -> None:
    weird = "submissions/50%,q1:\r\nana.yaml"
    plan_dir(
        {
            "salesplan.yaml": PLAN,
            "org.yaml": ORG,
            weird: "rep: ana\nforecast: {Q1: -5}\n",
            "submissions/z.yaml": "rep: ana\nforecast: {Q2: 5}\n",
        }
    )
    result = cli("check", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, "one line per annotation: no raw CR or LF"
    assert "file=submissions/50%25%2Cq1%3A%0D%0Aana.yaml," in lines[0]
    # The SP604 message names the other file: its %, CR and LF are escaped, : and , are not.
    assert "submissions/50%25,q1:%0D%0Aana.yaml:1" in lines[1]
    report = json.loads(cli("check", "--format", "json").stdout)
    expected = [
        {
            "file": d["file"],
            "line": str(d["line"]),
            "col": str(d["column"]),
            "message": d["message"],
        }
        for d in report["diagnostics"]
    ]
    got = [
        {k: a[k] for k in ("file", "line", "col", "message")} for a in parse_github(result.stdout)
    ]
    assert got == expected
    assert got[0]["file"] == weird and "\r\n" in got[1]["message"]


# ---- sarif


def test_sarif_is_valid(cli, plan_dir) -> None:
    plan_dir(BROKEN)
    result = cli("check", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    sarif_validator().validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["SP302", "SP502"]
    assert [r["level"] for r in results] == ["error", "warning"]
    for item in results:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 23}
    uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "org.yaml"


def test_a_sarif_uri_is_a_uri(cli, plan_dir) -> None:
    """A file name with a space, `#` or `%` was written raw as the artifact's uri: `#`
    started a fragment (code scanning annotated `submissions/a b`), `%41` read as `A`."""

    folder = plan_dir(BROKEN)
    (folder / "submissions").mkdir(exist_ok=True)
    (folder / "submissions" / "a b#%41.csv").write_text("rep,period,amount\nzed,Q1,1\n")
    result = cli("check", "--format", "sarif")
    results = json.loads(result.stdout)["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert "submissions/a%20b%23%2541.csv" in uris
    assert all("#" not in uri and " " not in uri for uri in uris), uris


def test_sarif_of_every_error_case_is_valid(cli, tmp_path, monkeypatch) -> None:
    """Every tests/errors case, rendered as SARIF, passes the schema."""
    import shutil

    validator = sarif_validator()
    cases = Path(__file__).parent / "errors"
    # Cases with a `command` file are `salesplan import` cases (SP7xx), not `check` ones.
    for case in sorted(p for p in cases.iterdir() if p.is_dir() and not (p / "command").exists()):
        target = tmp_path / case.name
        shutil.copytree(case, target)
        monkeypatch.chdir(target)
        result = cli("check", "--format", "sarif")
        log = json.loads(result.stdout)
        errors = sorted(validator.iter_errors(log), key=str)
        assert not errors, (case.name, [e.message for e in errors])
        assert log["runs"][0]["results"], case.name


# ---- --strict and exit codes


def test_warnings_only_exit_0_unless_strict(cli, plan_dir) -> None:
    plan_dir(WARNINGS_ONLY)
    for fmt in FORMATS:
        assert cli("check", "--format", fmt).exit_code == 0, fmt
        assert cli("check", "--format", fmt, "--strict").exit_code == 1, fmt
    relaxed = json.loads(cli("check", "--format", "json").stdout)
    strict = json.loads(cli("check", "--format", "json", "--strict").stdout)
    assert relaxed["valid"] is True and strict["valid"] is False
    assert relaxed["warning_count"] == strict["warning_count"] == 1
    text = cli("check", "--strict")
    assert text.stdout.startswith("territories.yaml:3:10: SP502 ")
    assert "0 errors, 1 warning" in text.stderr


def test_errors_exit_1_in_every_format(cli, plan_dir) -> None:
    plan_dir(BROKEN)
    for fmt in FORMATS:
        assert cli("check", "--format", fmt).exit_code == 1, fmt


# ---- the clean example


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_clean_plan_prints_nothing(cli, example, fmt: str) -> None:
    result = cli("check", example, "--format", fmt)
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_clean_plan_json_is_an_empty_report(cli, example) -> None:
    result = cli("check", example, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "error_count": 0,
        "warning_count": 0,
        "diagnostics": [],
    }


def test_clean_plan_sarif_is_an_empty_log(cli, example) -> None:
    for args in ((), ("--strict",)):
        result = cli("check", example, "--format", "sarif", *args)
        assert result.exit_code == 0
        log = json.loads(result.stdout)
        sarif_validator().validate(log)
        assert log["runs"][0]["results"] == []


# ---- no markup, no ANSI


MARKUP = {
    "salesplan.yaml": PLAN.replace("name: Formats", "name: '[bold red]Plan[/] 🚀'"),
    "org.yaml": "reps:\n  - {id: ana, '[bold]x[/bold] 🎉': 1}\n  - {id: '[red]🎉', start: 2024-01-01}\n",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_user_markup_is_printed_verbatim(plan_dir, fmt: str) -> None:
    plan_dir(MARKUP)
    runner = CliRunner()
    result = runner.invoke(
        app, ["check", "--format", fmt], color=True, env={"FORCE_COLOR": "1", "TERM": "xterm"}
    )
    assert result.exit_code == 1
    assert not ANSI.search(result.stdout), result.stdout
    assert "[bold]x[/bold] 🎉" in result.stdout
    assert "[red]🎉" in result.stdout
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)


# ---- the JSON writer of results


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_compact_encoding_is_json_dumps(value: object) -> None:
    # with the characters a terminal acts on as escapes (render_json.safe)
    expected = render_json.safe(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))
    assert json.dumps(json.loads(expected)) == json.dumps(value)  # the same strings
    assert render_json.dumps([value]) == f"[{expected}]\n"
    assert render_json.dumps({"records": [{"v": value}]}) == (
        f'{{\n  "records": [\n    {{"v": {expected}}}\n  ]\n}}\n'
    )


def test_records_are_streamed_one_per_line_from_a_generator() -> None:
    count = render_json.RECORDS_PER_CHUNK * 2 + 1
    document = {"n": 1, "nodes": ({"i": i} for i in range(count)), "empty": iter(())}
    text = render_json.dumps(document)
    assert json.loads(text) == {"n": 1, "nodes": [{"i": i} for i in range(count)], "empty": []}
    assert text.splitlines()[3:5] == ['    {"i": 0},', '    {"i": 1},']


def test_encoded_records_are_laid_out_like_the_records_they_hold() -> None:
    """Records a view wrote itself (`EncodedRecords`, plain texts) take the lines that
    the same records as dicts take, however many chunks they fill, and none is `[]`."""
    count = render_json.RECORDS_PER_CHUNK * 2 + 1
    records = [{"i": i, "s": "x"} for i in range(count)]
    texts = (render_json.dumps([r])[1:-2] for r in records)
    for plain, made in ((records, texts), ([], iter(()))):
        expected = render_json.dumps({"n": 1, "nodes": iter(plain), "empty": iter(())})
        document = {"n": 1, "nodes": render_json.EncodedRecords(made), "empty": iter(())}
        assert render_json.dumps(document) == expected


@pytest.mark.parametrize(
    ("command", "key"),
    [("allocate", "nodes"), ("reconcile", "nodes"), ("rollup", "nodes"), ("capacity", "reps")],
)
def test_records_written_by_template_are_the_encoders_text(example, cli, command, key) -> None:
    """Records written by template (render_json.EncodedRecords): each line is exactly what the
    encoder writes for the record it holds."""
    text = cli(command, example, "--format", "json").stdout
    lines = [line for line in text.splitlines() if line.startswith('    {"id": ')]
    assert len(lines) == len(json.loads(text)[key]) > 1
    for line in lines:
        record = line.strip().removesuffix(",")
        assert render_json.dumps([json.loads(record)]) == f"[{record}]\n"


@given(st.text(), st.none() | st.text(), st.booleans())
def test_quota_fields_are_quota_node_encoded(
    node_id: str, parent: str | None, pinned: bool
) -> None:
    from salesplan.allocate import NodeQuota
    from salesplan.money import AmountTexts

    node = NodeQuota(
        node_id, 'rép\n"', parent, Decimal("1E+3"), (Decimal(1), Decimal("-0")), pinned
    )
    fields = render_json.QuotaFields(AmountTexts(2))
    text = AmountTexts(2)
    record = {
        "id": node.id,
        "level": node.level,
        "parent": node.parent,
        "total": text(node.total),
        "periods": text.many(node.periods),
        "pinned": node.pinned,
    }
    expected = render_json.dumps([record])
    assert render_json.safe(f"[{{{fields(node)}}}]\n") == expected  # as `chunks` writes it
    assert fields(node) == fields(node)  # the periods looked up the second time


@given(st.none() | st.floats())
def test_numbers_are_the_encoders(value: float | None) -> None:
    assert render_json.number(value) == render_json.dumps(value).strip()


amounts_in_bounds = st.decimals(
    min_value=-(10**15), max_value=10**15, allow_nan=False, allow_infinity=False, places=None
).filter(lambda d: d.as_tuple().exponent >= -12)  # type: ignore[operator]


@given(
    st.lists(
        amounts_in_bounds
        | st.sampled_from(["1000", "1E+3", "1000.000", "-0", "0.005"]).map(Decimal)
    ),
    st.integers(0, 4),
)
def test_amount_texts_are_those_of_fmt_amount(amounts: list[Decimal], exponent: int) -> None:
    """Each distinct amount is formatted once for a whole output; the texts are exactly
    fmt_amount's (equal amounts written differently, 1000 and 1E+3, give one text), but
    for a negative zero, which is 0 like any zero."""
    from salesplan.money import AmountTexts, fmt_amount

    text = AmountTexts(exponent)
    expected = [fmt_amount(a if a else Decimal(0), exponent) for a in amounts]
    assert text.many(amounts) == expected
    assert [text(a) for a in reversed(amounts)] == expected[::-1]


def test_csv_amounts_have_the_currency_decimals(example, cli) -> None:
    """Every command's CSV writes amounts as the JSON does, with the currency's decimals
    (allocate wrote 12800000 where the others write 12800000.00)."""
    for command in ("allocate", "reconcile", "rollup"):
        result = cli(command, example, "--format", "csv")
        assert result.exit_code == 0, result.stderr
        first = result.stdout.splitlines()[1].split(",")
        assert "12800000.00" in first, (command, first)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12
    )
    | st.sampled_from([Decimal("-0"), Decimal("0E-7"), Decimal("-0.00"), Decimal("1E+3")]),
    st.sampled_from([0, 2, 3]),
)
def test_fresh_amount_text_is_the_looked_up_one(amount: Decimal, exponent: int) -> None:
    """AmountTexts.fresh (a new Decimal formatted, not looked up) writes what a look-up
    writes, a zero of either sign included."""
    from salesplan.money import AmountTexts

    text = AmountTexts(exponent)
    assert text.fresh(amount) == text(amount) == AmountTexts(exponent).fresh(amount)
