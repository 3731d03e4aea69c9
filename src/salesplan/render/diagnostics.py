"""Diagnostics in every format of `check`: text, json, github annotations and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any

from salesplan import __version__
from salesplan.diagnostics import CATALOGUE, Diagnostic
from salesplan.render.json import dumps

DOCS = "https://github.com/salesplan/salesplan/blob/main/docs/diagnostics.md"


def counts(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    errors = sum(1 for d in diagnostics if d.is_error)
    return errors, len(diagnostics) - errors


def as_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{d}\n" for d in diagnostics)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors, warnings = counts(diagnostics)
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def as_json(diagnostics: Sequence[Diagnostic], valid: bool) -> str:
    errors, warnings = counts(diagnostics)
    document = {
        "valid": valid,
        "error_count": errors,
        "warning_count": warnings,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
    return dumps(document)


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
            f"{name}={_escape_property(str(value))}"
            for name, value in (
                ("file", d.file),
                ("line", d.line),
                ("col", d.column),
                ("title", f"{d.code} {CATALOGUE[d.code].title}"),
            )
        )
        lines.append(f"::{kind} {props}::{_escape_data(d.message)}\n")
    return "".join(lines)


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
                        "artifactLocation": {"uri": PurePath(d.file).as_posix()},
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
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Sequence[Diagnostic], bool], str]] = {
    "text": lambda found, valid: as_text(found),
    "json": as_json,
    "github": lambda found, valid: as_github(found),
    "sarif": lambda found, valid: as_sarif(found),
}  # format -> (diagnostics, valid) -> output
