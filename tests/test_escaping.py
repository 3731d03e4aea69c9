"""User text reaches no terminal, CI log, pull request or web page as anything but text:
rich markup, control characters (ESC, OSC, BEL, CR, LF), workflow commands, Markdown links,
images and @mentions, HTML."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from salesplan.escape import printable
from salesplan.render import markdown, text
from salesplan.render.table import Column, ResultTable

ESC, BEL = "\x1b", "\x07"
NAME = (
    "Acme [/red] [link=https://evil.example]click[/link] [bold]"
    "\\e]8;;https://evil.example\\aX\\e]8;;\\a \\e[31mred\\r\\n::error file=x::pwned"
)
PLAN = """\
salesplan: 1
name: Formats
currency: USD
fiscal_year: {start: 2027-01-01}
target: 1000000
levels: [{name: rep}]
"""
REP_NAME = "![x](https://evil.example/a.png) @octocat [click](https://evil.example) <img src=x>"


def hostile(example: Path) -> Path:
    plan = example / "salesplan.yaml"
    plan.write_text(plan.read_text().replace("name: Acme FY2027", f'name: "{NAME}"'))
    return example


def assert_inert(out: str) -> None:
    assert ESC not in out and BEL not in out and "\r" not in out
    assert not any(line.startswith("::") for line in out.splitlines())


@pytest.mark.parametrize("command", ["allocate", "capacity", "rollup", "reconcile", "report"])
def test_markup_and_controls_in_a_plan_name_are_text(example, cli, command) -> None:
    result = cli(command, hostile(example))
    assert result.exit_code == 0, result.stderr  # `[/red]` does not crash the renderer
    assert_inert(result.stdout)
    if command in ("allocate", "rollup", "reconcile", "report"):  # the name is in a title
        assert "[/red] [link=https://evil.example]click[/link]" in result.stdout
        assert r"\x1b]8;;https://evil.example\x07X" in result.stdout


def test_no_hyperlink_or_colour_from_user_text_on_a_terminal() -> None:
    from rich.console import Console

    t = ResultTable(f"[link=https://evil.example]x[/link] {ESC}]8;;https://e{BEL}y", [Column("id")])
    t.add([f"[red]ana[/red] {ESC}[2J"])
    t.notes.append("[link=https://evil.example]note[/link]")
    buffer = io.StringIO()
    out = Console(file=buffer, force_terminal=True, width=120, color_system="truecolor")
    text.print_table(out, t, 120)
    shown = buffer.getvalue()
    assert "\x1b]8;" not in shown  # no OSC 8 hyperlink, neither from markup nor raw
    assert "[red]ana[/red]" in shown and "\\x1b[2J" in shown
    assert "[link=https://evil.example]note[/link]" in shown


def test_controls_are_shown_escaped() -> None:
    assert printable("a\x1b[31mb\x07c\rd\ne\u202ef") == "a\\x1b[31mb\\x07c\\x0dd\\x0ae\\u202ef"
    assert printable("tab\there", keep="\t") == "tab\there"
    # the Arabic letter mark reorders like the bidi marks; U+2028 broke a table row in two
    assert printable("a\u061cb\u2028c\u2029d\u2060e") == "a\\u061cb\\u2028c\\u2029d\\u2060e"


def test_a_line_separator_in_a_name_stays_on_its_row(example, cli) -> None:
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("name: Ana Silva", 'name: "Ana\u2028FORGED"'))
    result = cli("report", example, "--format", "text")
    assert "\u2028" not in result.stdout
    assert "Ana\\u2028FOR" in result.stdout  # in the name's cell, however wide
    assert not any(line.lstrip().startswith("FOR") for line in result.stdout.splitlines())


def test_github_annotations_cannot_be_forged(write_tree, cli, monkeypatch) -> None:
    folder = write_tree(
        {
            "salesplan.yaml": PLAN,
            "org.yaml": "reps:\n  - {id: ana, start: 2024-01-01}\n",
            "submissions/x%0A::error file=y::forged\x1b[31m\x07.yaml": (
                "rep: ana\nforecast: !foo%0A::error%20file=z::pwned {Q1: 1}\n"
            ),
        }
    )
    monkeypatch.chdir(folder)
    result = cli("check")
    assert result.exit_code == 1
    assert_inert(result.stdout)
    assert_inert(result.stderr)
    assert "tag !foo\\x0a::error file=z::pwned is not allowed" in result.stdout
    github = cli("check", "--format", "github").stdout
    assert ESC not in github and BEL not in github and "\r" not in github
    (line,) = github.splitlines()  # one annotation, the newline of the tag encoded
    assert line.startswith("::error file=submissions/x%250A%3A%3Aerror file=y%3A%3Aforged")
    assert line.endswith("::tag !foo%0A::error file=z::pwned is not allowed; remove it")
    blocked = cli("allocate")  # the loader's error listing on stderr is one line each too
    assert blocked.exit_code == 1
    assert_inert(blocked.stderr)


def rep_renamed(example: Path, tmp_path: Path) -> Path:
    new = tmp_path / "renamed"
    shutil.copytree(example, new)
    org = new / "org.yaml"
    org.write_text(org.read_text().replace("name: Ana Silva", f'name: "{REP_NAME}"', 1))
    return new


def assert_no_markdown_injection(out: str) -> None:
    assert "![" not in out and "<img" not in out
    assert not re.search(r"(?<!\\)\]\(", out)  # no `](`: every bracket is escaped
    assert not re.search(r"(?<!\\)\[click", out)
    assert not re.search(r"@octocat", out)  # a zero-width space breaks the mention
    assert "https://evil" not in out  # not autolinked either
    assert "octocat" in out  # still readable


def test_diff_markdown_escapes_rep_names(example, cli, tmp_path) -> None:
    result = cli("diff", example, rep_renamed(example, tmp_path), "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert_no_markdown_injection(result.stdout)


def test_report_markdown_escapes_names(example, cli, tmp_path) -> None:
    result = cli("report", hostile(rep_renamed(example, tmp_path)), "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert_no_markdown_injection(result.stdout)
    assert_inert(result.stdout)
    assert "\\[/red\\]" in result.stdout


def test_markdown_escape_keeps_numbers_plain() -> None:
    assert markdown.escape("-1,234,000") == "-1,234,000"
    assert markdown.escape("a|b_c*d") == "a\\|b\\_c\\*d"
    assert markdown.escape("mail ana@acme.example") == "mail ana@&#8203;acme.example"


def test_html_report_escapes_everything(example, cli, tmp_path) -> None:
    target = tmp_path / "report.html"
    result = cli("report", hostile(rep_renamed(example, tmp_path)), "-o", target)
    assert result.exit_code == 0, result.stderr
    page = target.read_text()
    assert ESC not in page and BEL not in page
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page


RAW = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def test_report_json_writes_bidi_characters_as_escapes(example, cli) -> None:
    # valid JSON either way, but printed raw in a terminal or a CI log a right-to-left
    # override reorders what is shown
    name = "Carla \u202eevil\u2066 x\u200by"
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("name: Carla Mendes", f'name: "{name}"', 1))
    result = cli("report", example, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert not RAW.search(result.stdout), RAW.findall(result.stdout)
    assert "Carla \\u202eevil\\u2066 x\\u200by" in result.stdout
    assert name in json.dumps(json.loads(result.stdout), ensure_ascii=False)


def test_json_escapes_c1_controls_and_separators() -> None:
    # a CSV cell may hold any character: JSON writes those a terminal acts on as escapes
    from salesplan.render.json import dumps

    document = {"name": "a\x85b\x9bc\u2028d\x7fe Chloé", "rows": [{"x": "\u202ey"}]}
    text = dumps(document)
    assert not RAW.search(text)
    assert "Chloé" in text  # other letters stay as they are
    assert json.loads(text) == document
