"""Diagnostics are values: a code, a severity, a message and where in which file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from salesplan.escape import printable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Code:
    """A catalogue entry: the stable code, its default severity and a one-line title."""

    code: str
    severity: Severity
    title: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    path: str = ""

    def __str__(self) -> str:
        """The one text form, `file:line:col: CODE message`, on one line: a control
        character from a file name or a value is shown escaped, never sent raw."""
        return printable(f"{self.file}:{self.line}:{self.column}: {self.code} {self.message}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)


_E, _W = Severity.ERROR, Severity.WARNING

CATALOGUE: dict[str, Code] = {
    c.code: c
    for c in (
        # SP1xx: files and YAML
        Code("SP101", _E, "required file is missing"),
        Code("SP102", _E, "file is not valid UTF-8"),
        Code("SP103", _E, "YAML syntax error"),
        Code("SP104", _E, "duplicate key in a mapping"),
        Code("SP105", _E, "anchors and aliases are not allowed"),
        Code("SP106", _E, "merge keys (<<) are not allowed"),
        Code("SP107", _E, "explicit tags are not allowed"),
        Code("SP108", _E, "mapping keys must be plain strings"),
        Code("SP109", _E, "a file holds one YAML document only"),
        Code("SP110", _E, "file is empty"),
        Code("SP111", _E, "file exceeds a safety limit (size, nesting depth or node count)"),
        Code("SP112", _E, "malformed CSV file"),
        Code("SP113", _E, "file cannot be read"),
        # SP2xx: schema
        Code("SP201", _E, "unknown key"),
        Code("SP202", _E, "required key is missing"),
        Code("SP203", _E, "value has the wrong type or is invalid"),
        Code("SP204", _E, "unsupported format version"),
        Code("SP205", _E, "the last level must be `rep` and level names must be unique"),
        # SP3xx: references
        Code("SP301", _E, "duplicate id"),
        Code("SP302", _E, "unknown parent"),
        Code("SP303", _E, "parent is not of the level just above"),
        Code("SP304", _E, "rep hangs under a unit that is not of the level just above `rep`"),
        Code("SP305", _E, "cycle in the hierarchy"),
        Code("SP306", _E, "unknown ramp profile"),
        Code("SP307", _E, "unknown level"),
        Code("SP308", _E, "territory owner is not a known rep"),
        Code("SP309", _E, "territory owned by a rep who has left"),
        Code("SP310", _E, "duplicate territory id"),
        Code("SP311", _E, "account listed in two territories"),
        Code("SP312", _E, "metrics given for an unknown id"),
        Code("SP313", _E, "metrics given twice for one id"),
        # SP4xx: arithmetic and allocation
        Code("SP401", _E, "seasonality length differs from the number of periods"),
        Code("SP402", _E, "negative seasonality weight"),
        Code("SP403", _E, "seasonality weights are all zero"),
        Code("SP404", _E, "over_assign outside [0, 1]"),
        Code("SP405", _E, "metric needed by a split is missing"),
        Code("SP406", _E, "negative metric"),
        Code("SP407", _E, "unknown currency"),
        Code("SP408", _E, "rounding is not a positive multiple of the currency's minor unit"),
        Code("SP409", _E, "ramp value outside [0, 1]"),
        Code("SP410", _E, "ramp values decrease"),
        Code("SP411", _E, "metric value is not a number"),
        Code("SP412", _E, "amount or ratio out of range"),
        Code("SP413", _E, "pins exceed the pool they are taken from"),
        Code("SP414", _W, "all split weights among siblings are zero; even split used"),
        Code("SP415", _E, "quotas.yaml is stale"),
        Code("SP416", _E, "quotas.yaml is inconsistent"),
        Code("SP417", _W, "rep has zero capacity under a capacity split"),
        Code("SP418", _E, "unknown split rule"),
        Code("SP419", _E, "pin is not a multiple of the rounding unit"),
        # SP5xx: policy, budget, capacity
        Code("SP501", _E, "rep leaves before they start"),
        Code("SP502", _W, "open territory: nobody covers it"),
        Code("SP503", _W, "active rep without a territory"),
        Code("SP504", _W, "cost of sales above budget"),
        # SP6xx: submissions
        Code("SP601", _E, "submission for an unknown rep"),
        Code("SP602", _E, "submission for an unknown period"),
        Code("SP603", _E, "negative submitted amount"),
        Code("SP604", _E, "rep submitted twice"),
        Code("SP605", _E, "submitted amount is not a number"),
        Code("SP606", _W, "same rep and period in two files"),
        Code("SP607", _E, "submission file has a wrong header"),
        Code("SP608", _E, "submission file is empty"),
    )
}


def diagnostic(
    code: str, message: str, file: str, line: int, column: int, path: str = ""
) -> Diagnostic:
    """Make a diagnostic with the catalogue's severity for `code`."""
    return Diagnostic(code, CATALOGUE[code].severity, message, file, line, column, path)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate to a misspelt name, else ``."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
