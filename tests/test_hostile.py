"""Hostile inputs (docs/design.md, "Hostile inputs") through the CLI: each is a diagnostic at its line:column, never a
traceback, and costs well under a second."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import salesplan.source

PLAN = """\
salesplan: 1
name: Hostile
currency: USD
fiscal_year: {start: 2027-01-01}
target: 1000000
levels: [{name: rep}]
"""
ORG = """\
reps:
  - {id: ana, start: 2024-01-01}
"""

# 398 bytes; expanded it would hold 9**9 strings.
BILLION_LAUGHS = """\
lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.fixture(scope="module", autouse=True)
def warm_imports() -> None:
    """Import what `check` imports lazily, so the clock below measures the input only."""
    import salesplan.checks
    import salesplan.cli
    import salesplan.loading
    import salesplan.render.diagnostics  # noqa: F401


def check_plan(cli, folder: Path, monkeypatch: pytest.MonkeyPatch):
    """`salesplan check .` inside `folder`; the result and the seconds it took."""
    monkeypatch.chdir(folder)
    start = time.perf_counter()
    result = cli("check", ".")
    elapsed = time.perf_counter() - start
    assert "Traceback" not in result.stdout + result.stderr
    assert elapsed < 1.0, f"took {elapsed:.2f} s"
    return result


def assert_reported(result, *where_codes: str) -> None:
    """Exit 1 and each `file:line:col: CODE` at the start of some output line."""
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for expected in where_codes:
        assert any(line.startswith(expected + " ") for line in lines), (expected, lines)


CASES = {
    "duplicate key": (
        {"org.yaml": "reps:\n  - id: ana\n    name: Ana\n    name: Ana Silva\n"},
        ["org.yaml:4:5: SP104"],
    ),
    "billion laughs": (
        {"org.yaml": BILLION_LAUGHS},
        ["org.yaml:1:6: SP105", "org.yaml:2:8: SP105"],
    ),
    "merge key": (
        {"org.yaml": "reps:\n  - {id: ana, <<: {start: 2024-01-01}}\n"},
        ["org.yaml:2:15: SP106"],
    ),
    "multi-document": ({"org.yaml": ORG + "---\n" + ORG}, ["org.yaml:3:1: SP109"]),
    "empty file": ({"salesplan.yaml": ""}, ["salesplan.yaml:1:1: SP110"]),
    "comments only": ({"org.yaml": "# TODO\n\n"}, ["org.yaml:1:1: SP110"]),
    "non-string key": (
        {"org.yaml": "reps:\n  - {id: ana, 12: twelve}\n"},
        ["org.yaml:2:15: SP108"],
    ),
    "boolean key": ({"org.yaml": "reps:\n  - {id: ana, true: yes}\n"}, ["org.yaml:2:15: SP108"]),
    "unknown key": (
        {"org.yaml": "reps:\n  - id: ana\n    parnet: west\n"},
        ["org.yaml:3:5: SP201"],
    ),
    "unknown top-level key": ({"org.yaml": ORG + "teams: []\n"}, ["org.yaml:3:1: SP201"]),
    "wrong type deep in a list": (
        {
            "org.yaml": (
                "reps:\n"
                "  - {id: r0}\n"
                "  - {id: r1}\n"
                "  - {id: r2}\n"
                "  - id: r3\n"
                "    ote:\n"
                "      base: abc\n"
                "      variable: 1000\n"
            )
        },
        ["org.yaml:7:13: SP203"],
    ),
    "leading zero": (
        {"salesplan.yaml": PLAN.replace("1000000", "010")},
        ["salesplan.yaml:5:9: SP203"],
    ),
    "sexagesimal": (
        {"salesplan.yaml": PLAN.replace("1000000", "1:30")},
        ["salesplan.yaml:5:9: SP203"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name: str, cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    files, expected = CASES[name]
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, **files})
    assert_reported(check_plan(cli, folder, monkeypatch), *expected)


def test_python_tag_runs_nothing(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    org = 'reps:\n  - id: ana\n    name: !!python/object/apply:os.system ["touch PWNED"]\n'
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = check_plan(cli, folder, monkeypatch)
    assert_reported(result, "org.yaml:3:11: SP107")
    assert "!!python/object/apply:os.system" in result.stdout
    assert not (folder / "PWNED").exists()


def test_python_tag_in_plan_file(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = PLAN.replace("name: Hostile", "name: !!python/object/apply:os.system [touch PWNED]")
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": ORG})
    assert_reported(check_plan(cli, folder, monkeypatch), "salesplan.yaml:2:7: SP107")
    assert not (folder / "PWNED").exists()


def test_ten_thousand_nested_brackets(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    org = "reps: " + "[" * 10_000 + "]" * 10_000 + "\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = check_plan(cli, folder, monkeypatch)
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    where, code = line.split(": ")[0], line.split(": ")[1].split()[0]
    assert code == "SP111"
    file, row, column = where.split(":")
    assert (file, row) == ("org.yaml", "1")
    assert org[int(column) - 1] == "[", "the position is inside the brackets"


def test_deep_block_nesting(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    org = "reps:\n" + "".join(" " * i + "-\n" for i in range(2, 3000))
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = check_plan(cli, folder, monkeypatch)
    assert result.exit_code == 1
    assert " SP111 " in result.stdout


def test_invalid_utf8_mid_line(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    org = b"reps:\n  - {id: ana, start: 2024-01-01}\n  - {id: ben, name: Ren\xc3\xa9 \xff Roy}\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = check_plan(cli, folder, monkeypatch)
    # Line 3, column of the bad byte counted in characters ("René " counts 5).
    assert_reported(result, "org.yaml:3:26: SP102")
    assert "0xff" in result.stdout


def test_invalid_utf8_in_csv(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_tree(
        {"salesplan.yaml": PLAN, "org.yaml": ORG, "metrics.csv": b"id,history\nana,1\xe9\n"}
    )
    assert_reported(check_plan(cli, folder, monkeypatch), "metrics.csv:2:6: SP102")


def test_bom_is_accepted(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    bom = b"\xef\xbb\xbf"
    folder = write_tree(
        {
            "salesplan.yaml": bom + PLAN.encode(),
            "org.yaml": bom + ORG.encode(),
            "metrics.csv": bom + b"id,history\nana,100\n",
            "submissions/s.csv": bom + b"rep,period,amount\nana,Q1,100\n",
        }
    )
    result = check_plan(cli, folder, monkeypatch)
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


def test_bom_keeps_columns(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = b"\xef\xbb\xbf" + PLAN.replace("salesplan: 1", "salesplan: 2").encode()
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": ORG})
    assert_reported(check_plan(cli, folder, monkeypatch), "salesplan.yaml:1:12: SP204")


def test_yaml_11_words_stay_text(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    org = """\
    reps:
      - {id: NO, name: on, start: 2024-01-01}
      - {id: 'off', name: 1:30, email: 010}
      - {id: y, name: yes, email: 2027-02-01}
    """
    folder = write_tree({"salesplan.yaml": PLAN.replace("Hostile", "NO"), "org.yaml": org})
    result = check_plan(cli, folder, monkeypatch)
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


def test_leading_zero_message(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_tree({"salesplan.yaml": PLAN.replace("1000000", "010"), "org.yaml": ORG})
    result = check_plan(cli, folder, monkeypatch)
    assert_reported(result, "salesplan.yaml:5:9: SP203")
    assert "leading zero is ambiguous" in result.stdout


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("1_", "not a number as written"),
        ("1,000", "not a number as written"),
        ("1.2.3", "not a number as written"),
        ("12k", "not a number as written"),
        ("$5", "not a number as written"),
        ('"1000"', "a quoted number is text; remove the quotes"),
        ("'1_000'", "a quoted number is text; remove the quotes"),
        ('"0.5"', "a quoted number is text; remove the quotes"),
    ],
)
def test_malformed_and_quoted_numbers_are_told_apart(written, hint, cli, write_tree, monkeypatch):
    """YAML reads `1_` or `1,000` unquoted as text: "remove the quotes" would not help."""
    plan = PLAN.replace("1000000", written)
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": ORG})
    result = check_plan(cli, folder, monkeypatch)
    assert_reported(result, "salesplan.yaml:5:9: SP203")
    assert hint in result.stdout
    assert ("remove the quotes" in result.stdout) == written.startswith(("'", '"'))


def test_file_over_the_size_limit(cli, write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(salesplan.source, "MAX_BYTES", 1_000)
    org = ORG + "".join(f"  - {{id: rep-{i}, start: 2024-01-01}}\n" for i in range(100))
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": org})
    result = check_plan(cli, folder, monkeypatch)
    assert_reported(result, "org.yaml:1:1: SP111")
    assert "limit of 1,000" in result.stdout
