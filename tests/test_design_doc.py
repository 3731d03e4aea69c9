"""docs/design.md stays honest: its module map names every module of src/salesplan and
nothing else, and every link into it (from the README, docs/ and the code) lands on a
heading it has."""

from __future__ import annotations

import re
from pathlib import Path

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
