"""`salesplan import` as text (what was read, found and changed, diff-like) and as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salesplan.diagnostics import CATALOGUE
from salesplan.render.json import dumps

if TYPE_CHECKING:
    from salesplan.importing import ImportResult

SHOWN = 20  # changed rows listed per file


def _delimiter(d: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon"}.get(d, repr(d))


def as_text(result: ImportResult) -> str:
    findings = result.findings
    lines = [str(d) for d in findings.sorted()]
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
        lines.extend(f"  {item}" for item in listed[:SHOWN])
        if len(listed) > SHOWN:
            lines.append(f"  ... and {len(listed) - SHOWN:,} more")
    return "".join(f"{line}\n" for line in lines)


def status(result: ImportResult) -> str:
    """One line for stderr: what happened to the plan."""
    findings = result.findings
    counts = f"{findings.errors} error(s), {findings.warnings} warning(s)"
    if findings.errors:
        return f"{counts}; nothing written: fix the data or import.yaml and rerun"
    if result.refused and not result.written and not result.dry_run:
        return ""
    if result.dry_run:
        return f"{counts}; dry run: nothing written"
    written = sum(1 for c in result.changes if c.action not in ("unchanged", "none"))
    return f"{counts}; wrote {written} file(s)" if written else f"{counts}; the plan is up to date"


def as_json(result: ImportResult) -> str:
    findings = result.findings
    document: dict[str, Any] = {
        "currency": result.currency,
        "history": _window(result.history),
        "fiscal_year": _window(result.fiscal),
        "source": result.source,
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
