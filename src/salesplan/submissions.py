"""Bottom-up submissions: per-rep YAML files and long-format CSV/XLSX files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.model import Submission
from salesplan.plan import Entry, Where
from salesplan.schema_errors import schema_diagnostics
from salesplan.source import YMap, parse_yaml
from salesplan.tables import Table, parse_decimal, read_csv, read_xlsx

if TYPE_CHECKING:
    from salesplan.plan import Plan

COLUMNS = ("rep", "period", "amount", "note")
REQUIRED = COLUMNS[:3]
SUFFIXES = {".yaml", ".yml", ".csv", ".xlsx"}


def submission_files(folder: Path) -> list[Path]:
    """The submission files of a folder (or the one file named), in name order."""
    if folder.is_file():
        return [folder]
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def read_submissions(
    folder: Path, plan: Plan, problems: list[Diagnostic]
) -> tuple[list[Entry], dict[str, str]]:
    """Every submitted amount, plus the first file each rep's submission came from."""
    from salesplan.loading import display_name, read_bytes

    entries: list[Entry] = []
    yaml_reps: dict[str, Where] = {}
    for path in submission_files(folder):
        name = display_name(path)
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            entries.extend(_table_entries(read_xlsx(name, path), problems))
            continue
        raw = read_bytes(path, problems)
        if raw is None:
            continue
        if suffix == ".csv":
            entries.extend(_table_entries(read_csv(name, raw), problems))
        else:
            entries.extend(_yaml_entries(name, raw, yaml_reps, problems))
    first_file: dict[str, str] = {}
    for entry in entries:
        first_file.setdefault(entry.rep, entry.rep_at.file)
    return entries, first_file


def _yaml_entries(
    file: str, raw: bytes, yaml_reps: dict[str, Where], problems: list[Diagnostic]
) -> Iterator[Entry]:
    doc = parse_yaml(file, raw)
    problems.extend(doc.diagnostics)
    if doc.data is None:
        return
    try:
        submission = Submission.model_validate(doc.data)
    except ValidationError as err:
        problems.extend(schema_diagnostics(doc, err, Submission))
        return
    line, col = doc.locate(("rep",))
    where = Where(file, line, col)
    earlier = yaml_reps.get(submission.rep)
    if earlier is not None:
        message = f"rep {submission.rep!r} already submitted in {earlier.file}:{earlier.line}"
        problems.append(diagnostic("SP604", message, file, line, col, "rep"))
        return
    yaml_reps[submission.rep] = where
    forecast = doc.data["forecast"]
    assert isinstance(forecast, YMap)
    for period, amount in submission.forecast.items():
        key_at = forecast.keys_at[period]
        value_at = forecast.values_at[period]
        yield Entry(
            submission.rep,
            period,
            amount,
            submission.note,
            where,
            Where(file, *key_at),
            Where(file, *value_at),
        )


def _table_entries(table: Table, problems: list[Diagnostic]) -> Iterator[Entry]:
    problems.extend(table.diagnostics)
    if not table.header:
        if not table.diagnostics:
            problems.append(diagnostic("SP608", "submission file is empty", table.file, 1, 1))
        return
    missing = [c for c in REQUIRED if c not in table.header]
    extra = [c for c in table.header if c not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unknown column(s) {', '.join(extra)}")
        message = f"header must be rep,period,amount[,note]: {'; '.join(parts)}"
        problems.append(diagnostic("SP607", message, table.file, table.header_line, 1))
        if missing:
            return
    if not table.rows:
        problems.append(diagnostic("SP608", "submission file has a header but no rows", table.file, table.header_line, 1))
    for row in table.rows:
        text = str(row.cells.get("amount", ""))
        amount = parse_decimal(text)
        amount_at = Where(table.file, row.line, row.columns.get("amount", 1))
        if amount is None:
            message = f"amount {text!r} is not a number"
            problems.append(diagnostic("SP605", message, table.file, amount_at.line, amount_at.column))
            continue
        note = str(row.cells.get("note", "")) or None
        yield Entry(
            str(row.cells.get("rep", "")),
            str(row.cells.get("period", "")),
            amount,
            note,
            Where(table.file, row.line, row.columns.get("rep", 1)),
            Where(table.file, row.line, row.columns.get("period", 1)),
            amount_at,
        )
