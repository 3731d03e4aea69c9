"""The checks' fast paths say what their walks say. A check that tells the common case (no
problem at all) from the distinct values, by set operations or a minimum found in C, skips
its walk item by item; hypothesis draws small plans with the odd mistake (unknown or
departed owners, a rep under a rep, negative metrics, metrics.csv rows twice or for no one)
and the diagnostics must be those of the walk, forced by switching the fast path off."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesplan import checks, checks_inputs
from salesplan.loading import find_plan, read_plan

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

UNITS = ("east", "west")
REPS = ("ana", "ben", "cy", "dee")
TERRITORIES = ("t1", "t2", "t3")
# a parent, owner or metrics.csv id: known ids of every kind, a typo and nothing
NAMES = st.sampled_from([*UNITS, *REPS, *TERRITORIES, "acme", "bem", "wset"])
ENDS = st.sampled_from([None, None, "2026-12-31", "2027-06-30"])  # the year starts 2027-02-01
VALUES = st.sampled_from(["0", "3", "12.5", "-1"])


@st.composite
def plan_files(draw: st.DrawFn) -> dict[str, str]:
    units = [f"  - {{id: {u}, level: team}}" for u in UNITS]
    reps = []
    for rep in draw(st.lists(st.sampled_from(REPS), min_size=1, unique=True)):
        parent = draw(st.sampled_from(UNITS) | NAMES)
        end = draw(ENDS)
        status = draw(st.sampled_from(["active", "active", "planned"]))
        metrics = f"{{h: {draw(VALUES)}}}" if draw(st.booleans()) else "{}"
        fields = f"id: {rep}, parent: {parent}, status: {status}, metrics: {metrics}"
        reps.append(f"  - {{{fields}{f', end: {end}' if end else ''}}}")
    territories = []
    for territory in draw(st.lists(st.sampled_from(TERRITORIES), unique=True)):
        owner = draw(st.sampled_from(REPS) | NAMES | st.none())
        accounts = draw(st.lists(st.sampled_from(["a1", "a2", "a3", "a4"]), max_size=2))
        fields = (
            f"id: {territory}, accounts: [{', '.join(accounts)}], metrics: {{p: {draw(VALUES)}}}"
        )
        territories.append(f"  - {{{fields}{f', owner: {owner}' if owner else ''}}}")
    rows = [f"{draw(NAMES)},{draw(VALUES)}" for _ in range(draw(st.integers(0, 4)))]
    return {
        "salesplan.yaml": (
            "salesplan: 1\nid: acme\nname: Fast\ncurrency: USD\n"
            "fiscal_year: {start: 2027-02-01, periods: quarter}\ntarget: 1000\n"
            "levels: [{name: team, split: h}, {name: rep, split: even}]\n"
        ),
        "org.yaml": "units:\n" + "\n".join(units) + "\nreps:\n" + "\n".join(reps) + "\n",
        "territories.yaml": "territories:\n" + "".join(f"{t}\n" for t in territories)
        if territories
        else "territories: []\n",
        "metrics.csv": "id,h\n" + "".join(f"{row}\n" for row in rows),
    }


FAST_PATHS = (
    (checks_inputs, "_any_negative", True),
    (checks_inputs, "_rows_known_once", False),
    (checks_inputs, "_owners_still_there", None),
    (checks, "_reps_under_known_parents", False),
)


def _diagnostics(folder: Path, slow: bool) -> list[str]:
    plan = read_plan(find_plan(folder)).plan
    assert plan is not None
    with ExitStack() as stack:
        if slow:  # every fast path says "look item by item"
            for module, name, answer in FAST_PATHS:
                stack.enter_context(mock.patch.object(module, name, return_value=answer))
        return [
            str(d)
            for check in (
                checks.check_parents,
                checks_inputs.check_negative_metrics,
                checks_inputs.check_metric_rows,
                checks_inputs.check_territories,
            )
            for d in check(plan)
        ]


@PROPERTY
@given(files=plan_files())
def test_fast_paths_say_what_the_walks_say(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text)
        assert _diagnostics(folder, slow=False) == _diagnostics(folder, slow=True)
