"""Text output fits the terminal and never cuts a digit: every command at 80 and 120
columns, on the example and on a generated 100-rep monthly plan. Every amount the JSON holds
appears whole in the text, unless its column was left out and a note under the table says so
(amounts of a column that adds up as people see them: carved from the shown total).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from salesplan.cli import app
from salesplan.loading import load_plan
from salesplan.money import split_amount
from salesplan.render.periods import labels
from salesplan.render.table import carved, display_decimals

ROOT = Path(__file__).parent.parent
WIDTHS = (80, 120)
DROPPED = re.compile(r"Not shown at \d+ columns: (.*?) \(a\s+terminal\s+\d+\s+columns", re.DOTALL)

Amounts = Iterator[tuple[str, Decimal | str | None]]  # (column header, amount from the JSON)


def run(plan: Path, *args: str, width: int | None = None) -> str:
    env = {"COLUMNS": str(width)} if width else {}
    result = CliRunner().invoke(app, [*args, str(plan)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def allocate_amounts(doc: dict[str, Any], headers: list[str], decimals: int) -> Amounts:
    for node in doc["nodes"]:
        yield "total", node["total"]
        yield from zip(headers, node["periods"])


def shown_column(values: list[str], keys: list[str], decimals: int) -> list[Decimal]:
    """The amounts of a column that adds up, as people see them."""
    return carved([Decimal(v) for v in values], keys, decimals)


def capacity_amounts(doc: dict[str, Any], headers: list[str], decimals: int) -> Amounts:
    yield from (("target", value) for value in doc["target"])
    periods = shown_periods(doc["capacity"], doc["periods"], decimals, subtotals=False)
    yield from (("capacity", v) for v in periods)
    yield "target", doc["total_target"]
    yield "capacity", doc["total_capacity"]
    reps, ids = doc["reps"], [rep["id"] for rep in doc["reps"]]
    for key, header in (("capacity", "capacity"), ("ote", "OTE (pro rata)")):
        column = shown_column([rep[key] for rep in reps], ids, decimals)
        yield from ((header, value) for value in column)
    for rep in reps:
        yield "quota", rep["quota"]


def rollup_amounts(doc: dict[str, Any], headers: list[str], decimals: int) -> Amounts:
    for node in doc["nodes"]:
        yield "forecast", node["forecast"]["total"]
        yield "quota", node["quota"] and node["quota"]["total"]
        yield "gap", node["gap"]


def reconcile_amounts(doc: dict[str, Any], headers: list[str], decimals: int) -> Amounts:
    for node in doc["nodes"]:
        yield "top-down", node["top_down"]
        yield "bottom-up", node["bottom_up"]
        yield "proposal", node["total"]


def shown_periods(
    values: list[str], labels: list[str], decimals: int, subtotals: bool = True
) -> list[Decimal]:
    """A column of periods as shown (the report's phasing, capacity's periods): the periods
    carved from the year; in a monthly plan the quarters from the year, then the months from
    their quarter (and, with `subtotals`, the quarters shown too)."""
    if len(values) != 12:
        return shown_column(values, labels, decimals)
    unit = Decimal(1).scaleb(-decimals)
    months = [[Decimal(v) for v in values[i : i + 3]] for i in range(0, 12, 3)]
    year = sum(map(Decimal, values), Decimal(0))
    quarters = split_amount(
        year, [sum(m, Decimal(0)) for m in months], ["Q1", "Q2", "Q3", "Q4"], unit
    )
    shown = list(quarters) if subtotals else []
    for q, (total, amounts) in enumerate(zip(quarters, months)):
        shown += split_amount(total, amounts, labels[3 * q : 3 * q + 3], unit)
    return shown


def report_amounts(doc: dict[str, Any], headers: list[str], decimals: int) -> Amounts:
    periods = doc["phasing"][:-1]
    labels = [row["period"] for row in periods]
    for key in ("target", "capacity", "forecast"):
        yield from ((key, v) for v in shown_periods([r[key] for r in periods], labels, decimals))
    for level in doc["levels"][:-1]:  # the reps' table is clipped to its first rows
        ids = [row["id"] for row in level["nodes"]]
        shown = {
            key: shown_column([row[key] for row in level["nodes"]], ids, decimals)
            for key in ("quota", "forecast", "capacity")
        }
        for key, column in shown.items():
            yield from ((key, v) for v in column)
        yield from (("gap", q - f) for q, f in zip(shown["quota"], shown["forecast"]))
        for key in ("quota", "forecast", "gap", "capacity"):
            yield key, level["total"][key]


COMMANDS: dict[str, Callable[[dict[str, Any], list[str], int], Amounts]] = {
    "allocate": allocate_amounts,
    "capacity": capacity_amounts,
    "rollup": rollup_amounts,
    "reconcile": reconcile_amounts,
    "report": report_amounts,
}


def shown(amount: Decimal | str, decimals: int) -> re.Pattern[str]:
    """The amount as people see it, as a whole number (not part of a longer one)."""
    text = f"{Decimal(amount).quantize(Decimal(1).scaleb(-decimals)):,}"
    return re.compile(rf"(?<![\d,.]){re.escape(text)}(?![\d]|[.,]\d)")


def dropped(text: str) -> set[str]:
    found: set[str] = set()
    for match in DROPPED.finditer(text):
        found.update(h.strip() for h in " ".join(match.group(1).split()).split(","))
    return found


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from salesplan.scaffold import scaffold

    folder = tmp_path_factory.mktemp("plans")
    scaffold("acme").write(folder / "acme")
    command = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--reps", "100"]
    subprocess.run([*command, "--out", str(folder / "big")], check=True, capture_output=True)
    return {"example": folder / "acme", "100 reps": folder / "big"}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("which", ["example", "100 reps"])
def test_every_amount_appears_whole(plans, which: str, command: str, width: int) -> None:
    plan = plans[which]
    loaded = load_plan(plan).plan
    assert loaded is not None
    text = run(plan, command, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, command
    assert not [line for line in lines if line.endswith(" ")], command  # a pipe: no padding
    assert "…" not in text
    document = json.loads(run(plan, command, "--format", "json"))
    left_out = dropped(text)
    if any(name.startswith("months ") for name in left_out):
        left_out.update(labels(loaded.calendar))
    checked = 0
    decimals = display_decimals(loaded)
    for header, amount in COMMANDS[command](document, labels(loaded.calendar), decimals):
        if amount is None or header in left_out:
            continue
        assert shown(amount, decimals).search(text), (header, amount)
        checked += 1
    assert checked >= 10


def test_a_monthly_plan_shows_months_and_quarters(plans) -> None:
    wide = run(plans["100 reps"], "allocate", width=400)
    header = next(line for line in wide.splitlines() if " node " in line).split()
    assert header[:8] == ["node", "level", "total", "share", "Feb-27", "Mar-27", "Apr-27", "Q1"]
    narrow = run(plans["100 reps"], "allocate", width=120)
    header = next(line for line in narrow.splitlines() if " node " in line).split()
    assert header == ["node", "level", "total", "share", "Q1", "Q2", "Q3", "Q4", "pinned"]
    assert dropped(narrow) == {"months Feb-27 to Jan-28"}  # all months go, quarters stay
    csv = run(plans["100 reps"], "allocate", "--format", "csv").splitlines()[0]
    assert csv.split(",")[4:7] == ["M01", "M02", "M03"]  # machines get the plan's labels


def test_piped_output_honours_columns(plans) -> None:
    plan = plans["example"]
    assert max(map(len, run(plan, "capacity", width=60).splitlines())) <= 60
    wide = run(plan, "capacity")  # a pipe without COLUMNS: nothing is left out
    assert not dropped(wide) and "commission rate" in wide
    assert not [line for line in wide.splitlines() if line.endswith(" ")]


def test_trailing_spaces_go_and_colours_stay() -> None:
    import io

    from salesplan.render.text import Trimmed

    buffer = io.StringIO()
    out = Trimmed(buffer)
    out.write(" Q1   \x1b[32m109.5%\x1b[0m   \x1b[1m \x1b[0m\n Q2  ")
    assert buffer.getvalue() == " Q1   \x1b[32m109.5%\x1b[0m\x1b[1m\x1b[0m\n"
    out.write("9\n")
    assert buffer.getvalue().endswith(" Q2  9\n")


def test_diff_fits_and_keeps_amounts(plans, tmp_path) -> None:
    import shutil

    new = tmp_path / "new"
    shutil.copytree(plans["example"], new)
    plan = new / "salesplan.yaml"
    plan.write_text(plan.read_text().replace("target: 12_800_000", "target: 13_000_000"))
    for width in WIDTHS:
        result = CliRunner().invoke(
            app, ["diff", str(plans["example"]), str(new)], env={"COLUMNS": str(width)}
        )
        assert result.exit_code == 0, result.stderr
        assert max(map(len, result.stdout.splitlines())) <= width
        assert "…" not in result.stdout
        for amount in ("12,800,000", "13,000,000", "+200,000"):
            assert amount in result.stdout


def test_capacity_csv_is_one_table(plans) -> None:
    plan = plans["example"]
    periods = run(plan, "capacity", "--format", "csv").splitlines()
    assert periods[0] == "period,target,expected bookings,gap,capacity coverage"
    assert len(periods) == 6 and "" not in periods
    reps = run(plan, "capacity", "--format", "csv", "--table", "reps").splitlines()
    assert reps[0].startswith("rep,team,status,")
    assert len(reps) == 12
    text = run(plan, "capacity", "--table", "reps", width=200)
    assert "Capacity vs target" not in text and "Reps" in text
    wrong = CliRunner().invoke(app, ["capacity", str(plan), "--table", "rep"])
    assert wrong.exit_code == 2 and "did you mean 'reps'" in wrong.stderr


@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_width_named_shows_every_column(plans, command: str) -> None:
    """The note under a table that left columns out names the width at which none is; at
    that width no note appears (a monthly plan's months need far more than 200)."""
    plan = plans["100 reps"]
    text = run(plan, command, width=80)
    needed = [int(n) for n in re.findall(r"COLUMNS=(\d+), shows every", " ".join(text.split()))]
    if not needed:
        return
    assert "Not shown" not in run(plan, command, width=max(needed))
    assert "Not shown" in run(plan, command, width=max(needed) - 1)


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_wraps_at_spaces(plans, width: int) -> None:
    """`allocate --explain` fits the terminal like the tables: broken at spaces only, so
    every number of the unwrapped story is still whole."""
    plan = plans["example"]
    whole = run(plan, "allocate", "--explain", "tbh-emea-1")
    text = run(plan, "allocate", "--explain", "tbh-emea-1", width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert text.split() == whole.split()
