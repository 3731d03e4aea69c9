"""A big territories file is read by a forked child; the plan loads the same either way."""

from __future__ import annotations

import salesplan.loading as loading
from salesplan import load_plan
from salesplan.background import in_background


def test_in_background_returns_the_child_result() -> None:
    result = in_background(lambda: {"answer": [42]})
    assert result() == {"answer": [42]}


def test_in_background_falls_back_when_the_child_fails(tmp_path) -> None:
    marker = tmp_path / "ran-in-child"

    def work() -> str:
        if not marker.exists():  # the child's run: fail after leaving a trace
            marker.write_text("x")
            raise RuntimeError("child failed")
        return "done here"

    assert in_background(work)() == "done here"


def test_forked_and_sequential_loads_agree(example, monkeypatch) -> None:
    monkeypatch.setattr(loading, "BACKGROUND_BYTES", 0)  # every optional file in a child
    forked = load_plan(example)
    monkeypatch.setattr(loading, "BACKGROUND_BYTES", 10**12)
    sequential = load_plan(example)
    assert forked.diagnostics == sequential.diagnostics
    assert forked.plan is not None and sequential.plan is not None
    assert forked.plan.territories == sequential.plan.territories
    assert forked.plan.allocation.nodes == sequential.plan.allocation.nodes
    where = forked.plan.at_territory(forked.plan.territories[3].id, "owner")
    assert where == sequential.plan.at_territory(sequential.plan.territories[3].id, "owner")


def test_broken_territories_file_reports_the_same_from_a_child(write_tree, monkeypatch) -> None:
    root = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                name: T
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 1000
                levels: [{name: rep}]
            """,
            "org.yaml": "reps:\n  - {id: ana}\n",
            "territories.yaml": "territories:\n  - {id: t1, owner: ana, owner: ben}\n",
        }
    )
    monkeypatch.setattr(loading, "BACKGROUND_BYTES", 0)
    codes = [d.code for d in load_plan(root).diagnostics]
    assert "SP104" in codes
