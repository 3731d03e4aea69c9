"""Diagnostics in every format of `check`: text, json, github annotations and SARIF 2.1.0."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from salesplan import __version__
from salesplan.diagnostics import CATALOGUE, Diagnostic
from salesplan.escape import printable
from salesplan.render.json import dumps, safe
from salesplan.render.output import Format
from salesplan.words import counted

DOCS = "https://github.com/salesplan/salesplan/blob/main/docs/diagnostics.md"


def counts(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    errors = sum(1 for d in diagnostics if d.is_error)
    return errors, len(diagnostics) - errors


def failed(diagnostics: Sequence[Diagnostic], strict: bool) -> bool:
    """Whether `check` fails: any error, or with `strict` any warning."""
    errors, warnings = counts(diagnostics)
    return errors > 0 or (strict and warnings > 0)


def as_text(diagnostics: Sequence[Diagnostic]) -> str:
    """`file:line:col: CODE message` per line; control characters made visible."""
    return "".join(f"{d}\n" for d in diagnostics)


@lru_cache(maxsize=64)
def _repository(folder: str) -> str | None:
    """The git working tree holding `folder` (the nearest parent with a .git), if any."""
    for candidate in (Path(folder), *Path(folder).parents):
        if (candidate / ".git").exists():
            return str(candidate)
    return None


def repository_path(file: str) -> str:
    """`file` (relative to the current folder) relative to the root of its git repository,
    as GitHub annotations and SARIF need it; unchanged outside a repository."""
    path = os.path.realpath(file)
    top = _repository(os.path.dirname(path))
    if top is None:
        return Path(file).as_posix()
    return Path(os.path.relpath(path, top)).as_posix()


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors, warnings = counts(diagnostics)
    return f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"


def as_json(diagnostics: Sequence[Diagnostic], valid: bool) -> str:
    errors, warnings = counts(diagnostics)
    document = {
        "valid": valid,
        "error_count": errors,
        "warning_count": warnings,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
    return dumps(document)


CRLF = "\r\n"  # workflow commands encode these (%0D %0A); other controls are made visible


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic."""
    lines = []
    for d in diagnostics:
        kind = "error" if d.is_error else "warning"
        props = ",".join(
            f"{name}={_escape_property(printable(str(value), keep=CRLF))}"
            for name, value in (
                ("file", repository_path(d.file)),
                ("line", d.line),
                ("col", d.column),
                ("title", f"{d.code} {CATALOGUE[d.code].title}"),
            )
        )
        lines.append(f"::{kind} {props}::{_escape_data(printable(d.message, keep=CRLF))}\n")
    return "".join(lines)


def _uri(path: str) -> str:
    """A relative path as a URI reference: `a b#1.csv` is `a%20b%231.csv` (a raw `#` starts
    a fragment, `%20` would be read as a space)."""
    from urllib.parse import quote

    return quote(path, safe="/")


def as_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    """A SARIF 2.1.0 log with one run, the catalogue as rules and one result per diagnostic."""
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": code,
            "shortDescription": {"text": CATALOGUE[code].title},
            "helpUri": f"{DOCS}#{code.lower()}",
            "defaultConfiguration": {"level": CATALOGUE[code].severity.value},
        }
        for code in codes
    ]
    results: list[dict[str, Any]] = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error" if d.is_error else "warning",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(repository_path(d.file))},
                        "region": {"startLine": d.line, "startColumn": d.column},
                    },
                    **({"logicalLocations": [{"fullyQualifiedName": d.path}]} if d.path else {}),
                }
            ],
        }
        for d in diagnostics
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "salesplan",
                        "version": __version__,
                        "informationUri": DOCS,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


RENDERERS: dict[Format, Callable[[Sequence[Diagnostic], bool], str]] = {
    Format.text: lambda found, valid: as_text(found),
    Format.json: as_json,
    Format.github: lambda found, valid: as_github(found),
    Format.sarif: lambda found, valid: as_sarif(found),
}  # format -> (diagnostics, valid) -> output


def show(diagnostics: Sequence[Diagnostic], fmt: Format, failed: bool) -> None:
    """Write the diagnostics in `fmt` to stdout; in text, the summary line goes to stderr
    (red when the check fails, yellow for warnings only), for people only."""
    from salesplan.render.output import write

    write(RENDERERS[fmt](diagnostics, not failed))
    if fmt is Format.text and diagnostics:
        colour = "\x1b[31m" if failed else "\x1b[33m"
        line = f"salesplan: {summary(diagnostics)}"
        if sys.stderr.isatty():
            line = f"{colour}{line}\x1b[0m"
        sys.stderr.write(line + "\n")
