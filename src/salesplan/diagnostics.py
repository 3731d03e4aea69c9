"""Diagnostics are values: a code, a severity, a message and where in which file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
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
    """One problem of a plan: its catalogue code and severity, the message, and where it is
    (file, 1-based line and column, and the path of the value in the file's data)."""

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

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Place, then code, then message: the same problems always print in one order."""
        return (self.file, self.line, self.column, self.code, self.message)


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
        Code("SP114", _E, "a path leads outside the plan folder"),
        Code("SP115", _E, "more problems than are listed"),
        # SP2xx: schema
        Code("SP201", _E, "unknown key"),
        Code("SP202", _E, "required key is missing"),
        Code("SP203", _E, "value has the wrong type or is invalid"),
        Code("SP204", _E, "unsupported format version"),
        Code("SP205", _E, "the last level must be `rep` and level names must be unique"),
        Code("SP206", _E, "owner is not a GitHub handle, team or email"),
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
        Code("SP314", _E, "adjustment pins an unknown node"),
        Code("SP315", _E, "unknown capacity profile"),
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
        Code("SP416", _E, "quotas.yaml was edited by hand"),
        Code("SP417", _W, "rep has zero capacity under a capacity split"),
        Code("SP418", _E, "unknown split rule"),
        Code("SP419", _E, "pin is not a multiple of the rounding unit"),
        Code("SP420", _E, "node pinned twice (org.yaml and adjustments.yaml)"),
        Code("SP421", _E, "pin on a rep with no day on board in the fiscal year"),
        Code("SP422", _W, "rep with no day on board in the fiscal year"),
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
        Code("SP609", _W, "submission for a period in which the rep is not employed"),
        Code("SP610", _E, "submission rows on a hidden sheet"),
        Code("SP611", _W, "a second sheet of submissions is not read"),
        Code("SP612", _W, "a submitted amount is computed from another workbook"),
        # SP7xx: import from CRM exports (`salesplan import`)
        Code("SP701", _E, "export file cannot be read"),
        Code("SP702", _E, "export columns are not recognised"),
        Code("SP703", _E, "opportunity owner matches no rep"),
        Code("SP704", _E, "stage, status or forecast category is not mapped"),
        Code("SP705", _E, "amount is not a number"),
        Code("SP706", _E, "close date is not a date"),
        Code("SP707", _E, "currency has no exchange rate"),
        Code("SP708", _W, "near-duplicate values: two spellings of one name"),
        Code("SP709", _W, "opportunity has no account"),
        Code("SP710", _W, "open opportunity has no close date in the fiscal year"),
        Code("SP711", _W, "history given in org.yaml wins over the imported value"),
        Code("SP712", _E, "opportunity appears twice"),
        Code("SP713", _W, "won opportunity has no amount"),
        Code("SP714", _E, "imported total is negative"),
        # SP8xx: scenarios
        Code("SP801", _E, "a scenario changes a file the plan does not have"),
        Code("SP802", _E, "a scenario removes a record that does not exist"),
        Code("SP803", _W, "a file in scenarios/ is not read as a scenario"),
        # SP9xx: accounts and territory balance
        Code("SP901", _E, "accounts.csv has a wrong header"),
        Code("SP902", _E, "account listed twice in accounts.csv"),
        Code("SP903", _E, "account value is invalid"),
        Code("SP904", _E, "account owner or territory is not known"),
        Code("SP905", _W, "accounts owned by a rep who has left"),
        Code("SP906", _W, "accounts without an owner"),
        Code("SP907", _W, "rep's book is outside the balance band"),
        Code("SP908", _E, "balance setting names an unknown column or account"),
        Code("SP909", _E, "malformed distances.csv"),
        Code("SP910", _W, "account owned by a rep other than its territory's owner"),
    )
}


def diagnostic(
    code: str, message: str, file: str, line: int, column: int, path: str = ""
) -> Diagnostic:
    """Make a diagnostic with the catalogue's severity for `code`."""
    return Diagnostic(code, CATALOGUE[code].severity, message, file, line, column, path)


MAX_PER_CODE = 200  # diagnostics listed per file and code; the rest are counted


def capped(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted, each once, at most MAX_PER_CODE per file and code, then one SP115 line that
    counts the rest: a file with 100,000 broken rows is not a 100,000-line report."""
    kept: list[Diagnostic] = []
    counts: dict[tuple[str, str], int] = {}
    dropped: dict[tuple[str, str], tuple[Diagnostic, int]] = {}
    for d in sorted(dict.fromkeys(diagnostics), key=Diagnostic.sort_key):
        group = (d.file, d.code)
        counts[group] = seen = counts.get(group, 0) + 1
        if seen <= MAX_PER_CODE or d.code == "SP115":
            kept.append(d)
        else:
            first, n = dropped.get(group, (d, 0))
            dropped[group] = (first, n + 1)
    for (file, code), (first, n) in dropped.items():
        message = (
            f"{n:,} more {code} problems in this file are not listed; fix the ones above first"
        )
        kept.append(diagnostic("SP115", message, file, first.line, first.column))
    kept.sort(key=Diagnostic.sort_key)
    return kept


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate to a misspelt name, else ``."""
    return _hint(closest(name, candidates))


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a misspelt name, if one is close enough."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return close[0] if close else None


def _hint(close: str | None) -> str:
    return f"; did you mean {close!r}?" if close is not None else ""


class Suggestions:
    """`did_you_mean` over one set of candidates, asked about many names: each distinct
    name is looked up once (the first NAMES of them), and a big set is first narrowed to
    the candidates one edit away (through an index of every candidate with one character
    deleted), so a lookup costs about the name's length, not the number of candidates."""

    SMALL = 300  # below this many candidates, difflib over all of them is cheap enough
    NAMES = 1_000  # distinct names given a hint: more are not shown (MAX_PER_CODE) anyway

    def __init__(self, candidates: Iterable[str]) -> None:
        self._source = candidates
        self._candidates: list[str] | None = None
        self._near: dict[str, list[str]] | None = None
        self._closest: dict[str, str | None] = {}

    def __call__(self, name: str) -> str:
        return _hint(self.closest(name))

    def closest(self, name: str) -> str | None:
        """The candidate `name` most likely misspells (None past the first NAMES names)."""
        if name not in self._closest:
            if len(self._closest) >= self.NAMES:
                return None
            self._closest[name] = closest(name, self._narrowed(name))
        return self._closest[name]

    def _narrowed(self, name: str) -> list[str]:
        if self._candidates is None:
            self._candidates = list(self._source)
        if len(self._candidates) <= self.SMALL:
            return self._candidates
        if self._near is None:
            self._near = _deletion_index(tuple(self._candidates))
        found: set[str] = set()
        for variant in _one_deleted(name):
            found.update(self._near.get(variant, ()))
        return sorted(found)


@lru_cache(maxsize=1)  # the checks of one plan ask about its reps in turn
def _deletion_index(candidates: tuple[str, ...]) -> dict[str, list[str]]:
    """Each candidate under itself and under each way of deleting one of its characters."""
    near: dict[str, list[str]] = {}
    for candidate in candidates:
        for variant in _one_deleted(candidate):
            near.setdefault(variant, []).append(candidate)
    return near


def _one_deleted(word: str) -> set[str]:
    """The word and each way of deleting one of its characters (of the first 64)."""
    head = word[:64]
    return {head, *(head[:i] + head[i + 1 :] for i in range(len(head)))}


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a file, 1-based."""

    file: str
    line: int
    column: int
    sheet: str | None = None  # the worksheet, for a row of an XLSX file


def report(code: str, message: str, where: Where, path: str = "") -> Diagnostic:
    """A diagnostic at a `Where` (a worksheet is named at the end of the message)."""
    if where.sheet is not None:
        message = f"{message} (sheet {where.sheet!r})"
    return diagnostic(code, message, where.file, where.line, where.column, path)
