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
    assert_reported(result, "submissions/f.csv:2:8: SP605", "submissions/f.csv:101:8: SP605")
    lines = result.stdout.splitlines()
    assert len(lines) == 101
    assert lines[-1] == (
        "submissions/f.csv:102:8: SP605 … and 19,900 more like this in this file "
        "(the first 100 are shown)"
    )


def test_one_wide_row_of_bad_metrics(cli, write_tree, monkeypatch) -> None:
    names = ",".join(f"m{i}" for i in range(20_000))
    metrics = f"id,{names}\nana," + ",".join("x" * 20_000) + "\n"
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, "metrics.csv": metrics})
    result = run(cli, folder, monkeypatch, memory=True)
    # the columns are still exact: m0 is cell 2 of line 2, at character 5; m99 at 203
    assert_reported(result, "metrics.csv:2:5: SP411", "metrics.csv:2:203: SP411")
    assert "… and 19,900 more like this" in result.stdout


def test_rows_with_extra_cells(cli, write_tree, monkeypatch) -> None:
    row = "ana,Q1,1," + ",".join(["xxx"] * 20) + "\n"
    forecast = "rep,period,amount\n" + row * 5_000
    folder = write_tree({"salesplan.yaml": PLAN, "org.yaml": ORG, "submissions/f.csv": forecast})
    result = run(cli, folder, monkeypatch)
    assert_reported(result, "submissions/f.csv:2:10: SP112", "submissions/f.csv:101:10: SP112")
    assert "… and 4,900 more like this" in result.stdout


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
    forecast = "rep,period,amount\nana,Q1,999999999999999.9999999999\nben,Q1,0.0000000001\n"
    folder = write_tree({"salesplan.yaml": plan, "org.yaml": org, "submissions/f.csv": forecast})
    for command in COMMANDS:
        result = run(cli, folder, monkeypatch, command)
        assert result.exit_code == 0, (command, result.stdout)


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
    for i in range(1_000):
        suggest(f"rep-{i:05d}y")
    assert time.perf_counter() - start < 1.0
