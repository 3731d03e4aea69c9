"""Near-duplicate categorical values: two spellings of one thing (`GTXPro` and `GTX Pro`,
`Acme Corp.` and `ACME corp`) across the exports and reference lists of one import. They
are reported, each at its first row, and never merged: which spelling is right is the
user's call."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from salesplan.importing.findings import Findings
from salesplan.importing.presets import squash
from salesplan.importing.reading import Export

FIELDS = ("owner", "account", "stage", "category", "currency", "pipeline", "product")


@dataclass
class Spelling:
    rows: int
    export: Export
    header: str
    line: int


@dataclass
class Values:
    """Per field, each spelling seen: how many rows and where first."""

    seen: dict[str, dict[str, Spelling]] = field(default_factory=dict)

    def add_column(self, name: str, export: Export, header: str) -> None:
        codes, uniques = export.codes(header)
        if not len(uniques):
            return
        counts = np.bincount(codes, minlength=len(uniques))
        first = np.full(len(uniques), -1, dtype=np.int64)
        order = np.arange(len(codes) - 1, -1, -1)
        first[codes[order]] = order
        bucket = self.seen.setdefault(name, {})
        for value, count, row in zip(uniques, counts, first):
            if not value:
                continue
            known = bucket.get(value)
            if known is not None:
                known.rows += int(count)
                continue
            line = int(export.lines[row])
            bucket[value] = Spelling(int(count), export, header, line)

    def report(self, findings: Findings) -> None:
        for name in FIELDS:
            groups: dict[str, list[str]] = {}
            for value in self.seen.get(name, {}):
                key = squash(value)
                if key:
                    groups.setdefault(key, []).append(value)
            for spellings in groups.values():
                if len(spellings) < 2:
                    continue
                bucket = self.seen[name]
                ranked = sorted(spellings, key=lambda v: (-bucket[v].rows, v))
                main = bucket[ranked[0]]
                for value in ranked[1:]:
                    other = bucket[value]
                    at = other.export.place(other.line, other.header)
                    message = (
                        f"{name} {value!r} ({_rows(other.rows)}) looks like {ranked[0]!r} "
                        f"({_rows(main.rows)}, {main.export.file}:{main.line}); use one spelling"
                    )
                    findings.add("SP708", message, other.export.file, *at)


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"
