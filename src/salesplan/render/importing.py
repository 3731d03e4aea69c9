"""`salesplan import` as text (what was read, found and changed, diff-like) and as JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesplan.diagnostics import CATALOGUE
from salesplan.render.json import dumps
from salesplan.words import counted

if TYPE_CHECKING:
    from salesplan.importing.records import ImportResult

SHOWN = 20  # changed rows listed per file


_CONTROL = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])


def _safe(text: str) -> str:
    """User text for a terminal or a CI log: control characters (ESC, BEL, CR) escaped."""
    if text.isprintable():
        return text
    return "".join(f"\\x{ord(c):02x}" if ord(c) in _CONTROL else c for c in text)


def _delimiter(d: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon"}.get(d, repr(d))


def as_text(result: ImportResult) -> str:
    findings = result.findings
    lines = [_safe(str(d)) for d in findings.sorted()]
    for code in sorted(findings.counts):
        hidden = findings.counts[code] - sum(1 for d in findings.kept if d.code == code)
        if hidden > 0:
            lines.append(f"... and {hidden:,} more {code} ({CATALOGUE[code].title})")
    for read in result.files:
        how = "detected from its headers" if read.detected else "as asked"
        form = (
            "xlsx"
            if read.encoding == "xlsx"
            else f"{read.encoding}, {_delimiter(read.delimiter)}-separated"
        )
        lines.append(
            f"Read {read.file}: {read.preset} {read.kind} ({how}), {read.rows:,} row{'' if read.rows == 1 else 's'}, {form}"
        )
    if result.history and result.fiscal and result.files:
        (h0, h1), (f0, f1) = result.history, result.fiscal
        lines.append(
            f"History: won deals closed {h0}..{h1}; pipeline: open deals closing {f0}..{f1}; "
            f"amounts in {result.currency}"
        )
    if result.counts.get("rows"):
        told = ", ".join(
            f"{n:,} {what}" for what, n in result.counts.items() if n and what != "rows"
        )
        lines.append(f"Opportunities: {result.counts['rows']:,} read; {told}")
    for change in result.changes:
        if change.action == "none":
            lines.append(f"{change.file}: not written (no open pipeline in the fiscal year)")
            continue
        counts = [f"{len(items)} {word}" for items, word in
                  ((change.added, "added"), (change.changed, "changed"), (change.removed, "removed")) if items]  # fmt: skip
        lines.append(
            f"{change.file}: {change.action}" + (f" ({', '.join(counts)})" if counts else "")
        )
        listed = change.removed + change.changed + change.added
        lines.extend(f"  {_safe(item)}" for item in listed[:SHOWN])
        if len(listed) > SHOWN:
            lines.append(f"  ... and {len(listed) - SHOWN:,} more")
    return "".join(f"{line}\n" for line in lines)


def status(result: ImportResult) -> str:
    """One line for stderr: what happened to the plan."""
    findings = result.findings
    counts = f"{counted(findings.errors, 'error')}, {counted(findings.warnings, 'warning')}"
    if findings.errors:
        return f"{counts}; nothing written: fix the data or import.yaml and rerun"
    if result.refused and not result.written and not result.dry_run:
        return ""
    if result.dry_run:
        return f"{counts}; dry run: nothing written"
    written = sum(1 for c in result.changes if c.action not in ("unchanged", "none"))
    return (
        f"{counts}; wrote {counted(written, 'file')}"
        if written
        else f"{counts}; the plan is up to date"
    )


def as_json(result: ImportResult) -> str:
    findings = result.findings
    document: dict[str, Any] = {
        "currency": result.currency,
        "history": _window(result.history),
        "fiscal_year": _window(result.fiscal),
        "source": result.source,
        "counts": result.counts,
        "files": [
            {
                "file": r.file,
                "kind": r.kind,
                "preset": r.preset,
                "detected": r.detected,
                "rows": r.rows,
                "encoding": r.encoding,
                "delimiter": r.delimiter,
                "columns": r.columns,
            }
            for r in result.files
        ],
        "error_count": findings.errors,
        "warning_count": findings.warnings,
        "classes": findings.classes(),
        "diagnostics": [d.to_dict() for d in findings.sorted()],
        "changes": [
            {
                "file": c.file,
                "action": c.action,
                "added": c.added,
                "changed": c.changed,
                "removed": c.removed,
            }
            for c in result.changes
        ],
        "refused": result.refused if not result.written else [],
        "dry_run": result.dry_run,
        "written": result.written,
    }
    return dumps(document)


def _window(window: Any) -> dict[str, str] | None:
    return None if window is None else {"start": str(window[0]), "end": str(window[1])}


LARGE = 8 * 1024 * 1024  # bytes of exports above which an import takes long enough to show


@contextmanager
def progress(files: list[Path]) -> Iterator[Callable[[str], None]]:
    """A `step` callback: a transient bar on stderr for big exports on a terminal."""
    size = sum(p.stat().st_size for p in files if p.is_file())
    if not sys.stderr.isatty() or size < LARGE:
        yield lambda what: None
        return
    from salesplan.render.progress import step_bar

    steps = [f"reading {p.name}" for p in files] + ["checking the rows", "adding up", "writing"]
    with step_bar("importing", steps, _safe, auto_refresh=False) as step:
        yield step
