"""The records of an import: what to do (ImportOptions) and what was done (ImportResult)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from salesplan.importing.findings import Findings
from salesplan.importing.writing import Change


@dataclass(frozen=True)
class ImportOptions:
    files: list[Path]
    preset: str | None = None  # salesforce | hubspot | dynamics | generic; default detected
    mapping: Path | None = None  # default: import.yaml in the plan folder
    source: str | None = None  # submissions/<source>.csv; default import.yaml's or the preset
    force: bool = False  # replace hand-written values and files
    dry_run: bool = False  # write nothing
    step: Callable[[str], None] = lambda what: None  # told as each phase starts (progress)


@dataclass(frozen=True)
class FileRead:
    file: str
    kind: str  # opportunities | accounts | users | products
    preset: str
    detected: bool  # the preset was recognised from the headers (not given)
    rows: int
    encoding: str
    delimiter: str
    columns: dict[str, str]


@dataclass
class ImportResult:
    currency: str
    history: tuple[date, date] | None = None
    fiscal: tuple[date, date] | None = None
    files: list[FileRead] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    changes: list[Change] = field(default_factory=list)
    source: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # opportunities by what became of them
    written: bool = False
    dry_run: bool = False

    @property
    def refused(self) -> list[str]:
        """Hand-written values or files the import would overwrite (needs --force)."""
        return [item for change in self.changes for item in change.hand_written]
