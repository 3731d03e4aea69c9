"""Bottom-up submissions: per-rep YAML files and long-format CSV/XLSX files."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from salesplan import cache
from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.model import Submission
from salesplan.plan import AMOUNT, CellSource, Entry, MarkSource, Where, report
from salesplan.schema_errors import schema_diagnostics
from salesplan.source import YMap, parse_yaml
from salesplan.tables import Table, read_csv, read_xlsx

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
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
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
            entries.extend(_csv_entries(name, raw, problems))
        else:
            entries.extend(_yaml_entries(name, raw, yaml_reps, problems))
    first_file: dict[str, str] = {}
    for entry in entries:
        first_file.setdefault(entry.rep, entry.file)
    return entries, first_file


def _csv_entries(name: str, raw: bytes, problems: list[Diagnostic]) -> list[Entry]:
    """The entries of a CSV file, from the cache when this very file was read before."""
    entry = cache.key("csv", name, raw)
    hit = cache.get(entry)
    entries: list[Entry]
    found: list[Diagnostic]
    if isinstance(hit, tuple) and len(hit) == 2:
        entries, found = hit
    else:
        found = []
        entries = list(_table_entries(read_csv(name, raw), found))
        cache.put(entry, (entries, found))
    problems.extend(found)
    return entries


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
    source = MarkSource(file)
    earlier = yaml_reps.get(submission.rep)
    if earlier is not None:
        message = (
            f"rep {submission.rep!r} already submitted in {earlier.file}:{earlier.line}; "
            "keep one YAML file per rep (this one is ignored)"
        )
        problems.append(diagnostic("SP604", message, file, line, col, "rep"))
        return
    yaml_reps[submission.rep] = where
    forecast = doc.data["forecast"]
    assert isinstance(forecast, YMap)
    for period, amount in submission.forecast.items():
        key_at = Where(file, *forecast.key_at(period))
        value_at = Where(file, *forecast.value_at(period))
        position = MarkSource.position(where, key_at, value_at)
        yield Entry(submission.rep, period, amount, submission.note, source, position)


def _table_entries(table: Table, problems: list[Diagnostic]) -> Iterator[Entry]:
    problems.extend(table.diagnostics)
    if not table.header:
        if not table.diagnostics:
            message = "submission file is empty; give it the header rep,period,amount and rows"
            problems.append(diagnostic("SP608", message, table.file, 1, 1))
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
        column = table.header_columns[table.header.index(extra[0])] if extra else 1
        problems.append(
            report("SP607", message, Where(table.file, table.header_line, column, table.sheet))
        )
        if missing:
            return
    if not table.rows:
        message = "submission file has a header but no rows; add rows or delete the file"
        problems.append(
            report("SP608", message, Where(table.file, table.header_line, 1, table.sheet))
        )
    source = CellSource(table.file, table.text, table.sheet)
    index = table.index
    rep_i, period_i, amount_i = index["rep"], index["period"], index["amount"]
    note_i = index.get("note")
    names: dict[str, str] = {}  # one string object per rep id and period label
    cells = CellSource.cells(rep_i, period_i, amount_i)
    for row in table.rows:
        values = row.values
        text = values[amount_i]
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            message = f"amount {text!r} is not a number; write plain digits, e.g. 250000.50"
            where = source.where(row.line << 48 | cells, AMOUNT)
            problems.append(report("SP605", message, where))
            continue
        rep, period = values[rep_i], values[period_i]
        yield Entry(
            names.setdefault(rep, rep),
            names.setdefault(period, period),
            amount,
            (values[note_i] or None) if note_i is not None else None,
            source,
            row.line << 48 | cells,
        )
