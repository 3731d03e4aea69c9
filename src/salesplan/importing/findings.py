"""What an import found wrong with the data: diagnostics per class, counted exactly and
kept (with their positions) up to a cap, so a million dirty rows cost no more than a few."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from salesplan.diagnostics import CATALOGUE, Diagnostic, diagnostic

KEEP_PER_CODE = 50


@dataclass
class Findings:
    kept: list[Diagnostic] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, code: str, message: str, file: str, line: int, column: int) -> bool:
        """Count a finding; keep it if its class is under the cap. True when kept (the
        caller may skip working out positions for the rest)."""
        self.counts[code] += 1
        if self.counts[code] > KEEP_PER_CODE:
            return False
        self.kept.append(diagnostic(code, message, file, line, column))
        return True

    def room(self, code: str) -> int:
        return max(0, KEEP_PER_CODE - self.counts[code])

    def count_only(self, code: str, how_many: int) -> None:
        if how_many > 0:
            self.counts[code] += how_many

    def extend(self, problems: list[Diagnostic]) -> None:
        for d in problems:
            self.counts[d.code] += 1
            self.kept.append(d)

    @property
    def errors(self) -> int:
        return sum(
            n for code, n in self.counts.items() if CATALOGUE[code].severity.value == "error"
        )

    @property
    def warnings(self) -> int:
        return sum(self.counts.values()) - self.errors

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.kept, key=Diagnostic.sort_key)

    def classes(self) -> list[dict[str, object]]:
        """Each class found, with its exact count (JSON)."""
        return [
            {
                "code": code,
                "severity": CATALOGUE[code].severity.value,
                "title": CATALOGUE[code].title,
                "count": self.counts[code],
                "shown": min(self.counts[code], KEEP_PER_CODE),
            }
            for code in sorted(self.counts)
        ]
