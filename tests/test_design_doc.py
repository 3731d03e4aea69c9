"""docs/design.md stays honest: its module map names every module of src/salesplan and
nothing else, every link into it (from the README, docs/ and the code) lands on a heading it
has, and its worked examples give the numbers it prints."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import salesplan
from salesplan.money import split_units

ROOT = Path(__file__).parent.parent
DESIGN = ROOT / "docs" / "design.md"
SRC = ROOT / "src" / "salesplan"

# Other documents link to these; renaming one breaks their links.
STABLE_HEADINGS = (
    "Plan files",
    "Money and rounding",
    "Top-down allocation",
    "Hybrid reconcile",
    "Capacity",
    "Rollup",
    "Diff",
    "Diagnostics",
    "Hostile inputs",
    "Performance budgets",
    "Shape of the code",
    "Python API",
)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces become `-`."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets `-1`, `-2`... as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        match = re.match(r"#{1,6} (.+)", line)
        if in_code or match is None:
            continue
        base = anchor(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def section(markdown: str, heading: str) -> str:
    """The text under `## heading`, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match is not None, f"docs/design.md has no '## {heading}' section"
    return match.group(1)


def modules() -> set[str]:
    """Every module file under src/salesplan, relative to it (empty __init__.py left out)."""
    return {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if not (path.name == "__init__.py" and not path.read_text(encoding="utf-8").strip())
    }


def test_every_module_is_in_the_module_map() -> None:
    text = section(DESIGN.read_text(encoding="utf-8"), "Shape of the code")
    listed = set(re.findall(r"^\| `([^`]+\.py)` \|", text, re.M))
    missing = sorted(modules() - listed)
    assert not missing, f"add a row to 'Shape of the code' in docs/design.md for: {missing}"


def test_every_module_named_in_the_module_map_exists() -> None:
    text = section(DESIGN.read_text(encoding="utf-8"), "Shape of the code")
    named = set(re.findall(r"`([\w./]+\.py)`", text))
    assert named, "the module map names no module"
    absent = sorted(
        name
        for name in named
        if not ((ROOT / name) if name.startswith("tests/") else (SRC / name)).is_file()
    )
    assert not absent, f"docs/design.md names modules that do not exist: {absent}"


def linked_anchors() -> list[tuple[str, str]]:
    """(file, anchor) of every link to docs/design.md#... and every citation
    `docs/design.md, "Heading"` in the README, docs/ and the code, and of every `](#...)`
    link inside docs/design.md itself."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(SRC.rglob("*.py"))]
    links = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        links += [(name, a) for a in re.findall(r"design\.md#([\w\-]+)", text)]
        # the citation form of docstrings: (docs/design.md, "Python API")
        cited = re.findall(r'docs/design\.md, "([^"]+)"', re.sub(r"\s+", " ", text))
        links += [(name, anchor(heading)) for heading in cited]
        if path == DESIGN:
            links += [(name, a) for a in re.findall(r"\]\(#([\w\-]+)\)", text)]
    return links


def test_every_link_into_the_design_doc_resolves() -> None:
    headings = anchors(DESIGN.read_text(encoding="utf-8"))
    links = linked_anchors()
    assert links, "nothing links into docs/design.md"
    broken = [f"{file}: design.md#{a}" for file, a in links if a not in headings]
    assert not broken, f"links to headings docs/design.md does not have: {broken}"


def test_nothing_cites_a_document_the_repository_does_not_have() -> None:
    """Sections are cited by their heading in docs/design.md, never by a number (§4.4) of
    an outside document."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(SRC.rglob("*.py"))]
    numbered = [
        f"{path.relative_to(ROOT).as_posix()}: {line.strip()}"
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"§\s*\d|DESIGN\.md", line)
    ]
    assert not numbered, numbered


def test_the_stable_headings_are_there() -> None:
    headings = anchors(DESIGN.read_text(encoding="utf-8"))
    assert {anchor(h) for h in STABLE_HEADINGS} <= headings


def test_anchors_follow_github() -> None:
    assert anchor("Top-down allocation") == "top-down-allocation"
    assert anchor("Python API") == "python-api"
    assert anchor("quotas.yaml: an output, verified by recomputation") == (
        "quotasyaml-an-output-verified-by-recomputation"
    )
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}


# ---- the worked examples of docs/design.md, run through the library


def money(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def test_example_of_largest_remainder() -> None:
    assert split_units(1000, [3, 2, 2], ["a", "b", "c"]) == [428, 286, 286]
    assert split_units(100, [1, 1, 1], ["a", "b", "c"]) == [34, 33, 33]
    assert split_units(138, [20, 25, 25, 30], ["Q1", "Q2", "Q3", "Q4"]) == [28, 35, 34, 41]


ALLOCATION_PLAN = {
    "salesplan.yaml": """
        salesplan: 1
        id: co
        name: Worked example
        currency: USD
        fiscal_year: {start: 2027-01-01, periods: quarter}
        target: 1_000_000
        seasonality: [20, 25, 25, 30]
        rounding: 1000
        levels:
          - {name: team, split: history}
          - {name: rep, split: even, over_assign: 0.10}
        """,
    "org.yaml": """
        units:
          - {id: east, level: team, metrics: {history: 300_000}}
          - {id: west, level: team, metrics: {history: 500_000}}
        reps:
          - {id: ana, parent: east, start: 2020-01-01}
          - {id: ben, parent: east, start: 2020-01-01}
          - {id: cai, parent: east, start: 2020-01-01}
          - {id: dee, parent: west, start: 2020-01-01, quota: 300_000}
          - {id: eli, parent: west, start: 2020-01-01}
        """,
}


def test_example_of_top_down_allocation(write_tree) -> None:
    plan = salesplan.load(write_tree(ALLOCATION_PLAN))
    nodes = {n.id: (n.total, n.periods) for n in plan.allocate().nodes}
    assert nodes == {
        "co": (Decimal(1_000_000), money("200000", "250000", "250000", "300000")),
        "east": (Decimal(375_000), money("75000", "94000", "94000", "112000")),
        "ana": (Decimal(138_000), money("28000", "35000", "34000", "41000")),
        "ben": (Decimal(137_000), money("28000", "34000", "34000", "41000")),
        "cai": (Decimal(137_000), money("28000", "34000", "34000", "41000")),
        "west": (Decimal(625_000), money("125000", "156000", "156000", "188000")),
        "dee": (Decimal(300_000), money("60000", "75000", "75000", "90000")),
        "eli": (Decimal(388_000), money("78000", "97000", "97000", "116000")),
    }
    frame = plan.allocate().to_frame()
    assert frame[frame.level == "rep"].total.sum() == Decimal(1_100_000)


def test_example_of_hybrid_reconcile(write_tree) -> None:
    root = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                id: co
                name: Worked example
                currency: USD
                fiscal_year: {start: 2027-01-01}
                target: 1_000_000
                rounding: 1000
                levels: [{name: rep, split: even}]
                reconcile: {max_shift: 0.15}
                """,
            "org.yaml": "reps:\n"
            + "".join(f"  - {{id: {r}, start: 2020-01-01}}\n" for r in "abcde"),
            "submissions/all.csv": "rep,period,amount\n"
            "a,Q1,320000\nb,Q1,210000\nc,Q1,200000\nd,Q1,150000\ne,Q1,120000\n",
        }
    )
    proposal = salesplan.load(root).reconcile().by_id()
    assert {r: (proposal[r].top_down, proposal[r].total) for r in "abcde"} == {
        "a": (Decimal(200_000), Decimal(230_000)),
        "b": (Decimal(200_000), Decimal(220_000)),
        "c": (Decimal(200_000), Decimal(210_000)),
        "d": (Decimal(200_000), Decimal(170_000)),
        "e": (Decimal(200_000), Decimal(170_000)),
    }
    assert [r for r in "abcde" if proposal[r].clamped] == ["a", "d", "e"]
    assert [r for r in "abcde" if proposal[r].sandbagging] == ["d", "e"]


def test_example_of_capacity(write_tree) -> None:
    root = write_tree(
        {
            "salesplan.yaml": """
                salesplan: 1
                id: co
                name: Worked example
                currency: USD
                fiscal_year: {start: 2027-01-01, periods: quarter}
                target: 900_000
                levels: [{name: rep, split: capacity}]
                capacity:
                  full_quota: 600_000
                  attainment: 0.8
                  ramp: {standard: [0.25, 0.5, 0.75]}
                  default_ramp: standard
                budget: {max_cost_of_sales: 0.25}
                """,
            "org.yaml": """
                reps:
                  - {id: ana, start: 2020-01-01, ote: {base: 60_000, variable: 60_000}}
                  - {id: ben, start: 2027-04-01, ote: {base: 60_000, variable: 60_000}}
                """,
        }
    )
    plan = salesplan.load(root)
    report = plan.capacity()
    assert report.capacity == money("120000", "180000", "240000", "240000")
    assert report.total_capacity == Decimal(780_000)
    assert round(report.coverage or 0, 4) == Decimal("0.8667")
    assert (report.hire_capacity, report.hires_needed) == (Decimal(420_000), 1)
    assert report.total_ote == Decimal(210_000)
    assert round(report.cost_of_sales or 0, 4) == Decimal("0.2333")
    reps = {r.id: r for r in report.reps}
    assert (reps["ana"].quota_capacity, reps["ben"].quota_capacity) == (600_000, 375_000)
    assert (reps["ana"].capacity, reps["ben"].capacity) == (480_000, 300_000)
    assert reps["ben"].periods == money("0", "60000", "120000", "120000")
    assert (reps["ana"].quota, reps["ben"].quota) == money("553846.15", "346153.85")
    assert not any(r.over_capacity for r in report.reps)
