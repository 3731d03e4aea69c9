"""docs/diagnostics.md is kept honest against the catalogue and the tests/errors cases."""

from __future__ import annotations

import re
from pathlib import Path

from salesplan.diagnostics import CATALOGUE

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "diagnostics.md"
ERRORS = Path(__file__).parent / "errors"
HEADING = re.compile(r"^## (SP\d{3})$", re.MULTILINE)
OUTPUT_LINE = re.compile(r"^\S+:\d+:\d+: (SP\d{3}) .*$", re.MULTILINE)


def sections() -> dict[str, str]:
    """Each `## SPxxx` heading's code and the text up to the next heading."""
    text = DOC.read_text(encoding="utf-8")
    parts = HEADING.split(text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_doc_lists_exactly_the_catalogue_in_order() -> None:
    # `## SPxxx` headings exactly: SARIF's helpUri links to #spxxx.
    assert list(sections()) == list(CATALOGUE)


def test_each_entry_gives_severity_title_and_fix() -> None:
    for code, body in sections().items():
        entry = CATALOGUE[code]
        first = body.strip().splitlines()[0]
        assert first == f"**{entry.severity.value}** · {entry.title}", (code, first)
        assert "**Fix:**" in body, code


def test_every_case_folder_is_documented() -> None:
    documented = sections()
    for case in sorted(p.name for p in ERRORS.iterdir() if p.is_dir()):
        assert case in documented, case
        assert "No test case yet" not in documented[case], f"{case} has a test case now"


def test_example_output_matches_the_case() -> None:
    """Output lines quoted in the docs are those `check` prints for the matching case."""
    for code, body in sections().items():
        quoted = [m.group(0) for m in OUTPUT_LINE.finditer(body)]
        expected_file = ERRORS / code / "expected.txt"
        if not expected_file.is_file():
            assert not quoted, f"{code}: quoted output without a tests/errors case"
            continue
        expected = expected_file.read_text(encoding="utf-8").splitlines()
        assert quoted, f"{code}: show the output of tests/errors/{code}"
        for line in quoted:
            assert line in expected, f"{code}: docs quote {line!r}; expected.txt has {expected}"
