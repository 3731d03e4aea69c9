"""Bottom-up submissions: per-rep YAML files and long-format CSV/XLSX files."""

from __future__ import annotations

import os
import stat
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, count
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pydantic import ValidationError

from salesplan.diagnostics import Diagnostic, Where, diagnostic, report
from salesplan.fiscal import Calendar, as_date
from salesplan.model import Submission
from salesplan.schema_errors import schema_diagnostics
from salesplan.source import YMap, parse_yaml
from salesplan.submitted import AMOUNT, Batch, CellSource, MarkSource, Submissions
from salesplan.tables import (
    NOT_A_NUMBER,
    PlainPiece,
    PlainRows,
    SheetLimits,
    Table,
    column_key,
    open_csv,
    read_number,
)
from salesplan.words import noun

if TYPE_CHECKING:
    from salesplan.plan import Plan

COLUMNS = ("rep", "period", "amount", "note")
REQUIRED = COLUMNS[:3]
SUFFIXES = {".yaml", ".yml", ".csv", ".xlsx"}
# A submission workbook is a rep's or a team's rows: 10,000 rows are 833 reps by month.
# openpyxl parses some 100,000 cells a second, 60 times slower than CSV is read: 10,000
# rows take about 0.3 s (docs/design.md, "Hostile inputs"); the same rows as CSV have no cap.
XLSX_LIMITS = SheetLimits(
    rows=10_000,
    part=8 * 1024 * 1024,  # a sheet of 10,000 rows as Excel writes it: about 2 MB
    kind="a submission workbook",
    advice="split the rows into several files, or save them as CSV",
)


def submission_files(
    folder: Path, root: Path | None = None, problems: list[Diagnostic] | None = None
) -> list[Path]:
    """The submission files of a folder and its subfolders (or the one file named), in name
    order. Hidden entries are skipped; with `problems`, an unreadable folder, a FIFO or
    device, and (given the plan's `root`) a symlink leading out of the plan folder are
    reported there and not read (docs/design.md, "Hostile inputs")."""
    found: list[Path] = []
    walk = _Walk(root.resolve() if root is not None else None, problems, found)
    walk.entry(folder, top=True)
    return sorted(found)


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class _Walk:
    """The walk of a submissions folder: the files found, the folders seen, the problems."""

    root: Path | None
    problems: list[Diagnostic] | None
    found: list[Path]
    seen: set[tuple[int, int]] = field(default_factory=set)  # folders walked (dev, inode)

    def entry(self, path: Path, top: bool = False) -> None:
        if path.is_symlink() and self.root is not None:
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(self.root):
                message = (
                    f"{path.name} is a symlink leading outside the plan folder; it is not read"
                )
                self.report(path, message)
                return
        try:
            info = path.stat()
        except OSError as err:
            self.report(path, f"cannot read: {err.strerror or err}")
            return
        if stat.S_ISDIR(info.st_mode):
            self.folder(path, (info.st_dev, info.st_ino))
        elif top or path.suffix.lower() in SUFFIXES:
            if stat.S_ISREG(info.st_mode):
                self.found.append(path)
            else:
                what = "is not a regular file (a FIFO, socket or device); not read"
                self.report(path, f"{path.name} {what}")

    def folder(self, path: Path, key: tuple[int, int]) -> None:
        if key in self.seen:
            return  # a symlink back to a folder already walked
        self.seen.add(key)
        try:
            with os.scandir(path) as entries:
                names = sorted(e.name for e in entries)
        except OSError as err:
            self.report(path, f"cannot read folder: {err.strerror or err}")
            return
        for name in names:
            if not name.startswith("."):
                self.entry(path / name)

    def report(self, path: Path, message: str) -> None:
        from salesplan.reading.files import display_name

        if self.problems is not None:
            self.problems.append(diagnostic("SP113", message, display_name(path), 1, 1))


def read_submissions(folder: Path, plan: Plan, problems: list[Diagnostic]) -> Submissions:
    """Every submitted amount, one batch per file."""
    from salesplan.reading.files import display_name, read_file

    submitted = Submissions()
    yaml_reps: dict[str, Where] = {}
    calendar = plan.calendar
    for path in submission_files(folder, plan.root, problems):
        name = display_name(path)
        suffix = path.suffix.lower()
        batch: Batch | None
        if (raw := read_file(path, problems)) is None:
            continue
        if suffix == ".xlsx":
            from salesplan.reading.xlsx import read_xlsx

            table = read_xlsx(name, raw, REQUIRED, COLUMNS, XLSX_LIMITS)
            batch = _table_batch(table, table.rows, calendar, problems)
        elif suffix == ".csv":
            batch = _csv_batch(name, raw, calendar, problems)
        else:
            batch = _yaml_batch(name, raw, yaml_reps, calendar, problems)
        if batch is not None and len(batch):
            submitted.batches.append(batch)
    return submitted


def _csv_batch(
    name: str, raw: bytes, calendar: Calendar, problems: list[Diagnostic]
) -> Batch | None:
    """The rows of a CSV file."""
    return _table_batch(*open_csv(name, raw), calendar, problems)


def _yaml_batch(
    file: str,
    raw: bytes,
    yaml_reps: dict[str, Where],
    calendar: Calendar,
    problems: list[Diagnostic],
) -> Batch | None:
    doc = parse_yaml(file, raw)
    problems.extend(doc.diagnostics)
    if doc.data is None:
        return None
    try:
        submission = Submission.model_validate(doc.data)
    except ValidationError as err:
        problems.extend(schema_diagnostics(doc, err, Submission))
        return None
    line, col = doc.locate(("rep",))
    where = Where(file, line, col)
    earlier = yaml_reps.get(submission.rep)
    if earlier is not None:
        message = (
            f"rep {submission.rep!r} already submitted in {earlier.file}:{earlier.line}; "
            "keep one YAML file per rep (this one is ignored)"
        )
        problems.append(diagnostic("SP604", message, file, line, col, "rep"))
        return None
    yaml_reps[submission.rep] = where
    forecast = doc.data["forecast"]
    assert isinstance(forecast, YMap)
    batch = Batch(MarkSource(file), positions=[])
    positions = cast(list[int], batch.positions)
    periods: dict[str, str] = {}
    for row, (period, amount) in enumerate(submission.forecast.items()):
        key_at = Where(file, *forecast.key_at(period))
        value_at = Where(file, *forecast.value_at(period))
        batch.reps.append(submission.rep)
        batch.periods.append(_period(periods, period, calendar))
        batch.amounts.append(amount)
        positions.append(MarkSource.position(where, key_at, value_at))
        if submission.note:
            batch.notes[row] = submission.note
    return batch


def _table_batch(
    table: Table,
    rows: Iterable[tuple[int, list[str]]],
    calendar: Calendar,
    problems: list[Diagnostic],
) -> Batch | None:
    """The rows of a CSV file or a sheet; cells are stripped here, once per distinct text,
    and a period cell becomes the label of the period it names (`_period`). A plain CSV
    whose amounts are all numbers is taken column by column (`tables.PlainRows`)."""
    if not table.header:
        problems.extend(table.diagnostics)
        if not table.diagnostics:
            message = "submission file is empty; give it the header rep,period,amount and rows"
            problems.append(diagnostic("SP608", message, table.file, 1, 1))
        return None
    keys = [column_key(name) for name in table.header]  # `Rep`, ` rep ` are `rep`
    index: dict[str, int] = {}
    for i, key in enumerate(keys):
        index.setdefault(key, i)
    missing = [c for c in REQUIRED if c not in index]
    # a column without a name (a blank one left in a sheet) is no column
    extra = [table.header[i] for i, key in enumerate(keys) if key and key not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {noun(len(missing), 'column')} {', '.join(missing)}")
        if extra:
            parts.append(f"unknown {noun(len(extra), 'column')} {', '.join(extra[:5])}")
        message = f"header must be rep,period,amount[,note]: {'; '.join(parts)}"
        message += f" (and {len(extra) - 5:,} more)" if len(extra) > 5 else ""
        line, column = table.header_at(keys.index(column_key(extra[0])) if extra else len(keys))
        problems.append(report("SP607", message, Where(table.file, line, column, table.sheet)))
        if missing:
            problems.extend(table.diagnostics)
            return None
    rep_i, period_i, amount_i = index["rep"], index["period"], index["amount"]
    note_i = index.get("note")
    table.width = 1 + max(i for i in (rep_i, period_i, amount_i, note_i) if i is not None)
    cells = CellSource.cells(rep_i, period_i, amount_i)
    source = CellSource(table.file, table.text, table.sheet)
    lines = array("I")
    batch = Batch(source, positions=lines, shift=48, cells=cells)
    reps, periods, amounts, notes = batch.reps, batch.periods, batch.amounts, batch.notes
    names: dict[str, str] = {}  # cell as written -> one stripped string per rep id
    labels: dict[str, str] = {}  # cell as written -> the period's label (`_period`)
    numbers: dict[str, Decimal] = {}  # cell as written -> one Decimal per amount
    read = 0
    # a plain CSV piece by piece: one whose amounts are all numbers is read column by column
    # (no row of it is skipped), any other row by row, each problem reported at its row
    pieces = rows.pieces() if isinstance(rows, PlainRows) else (rows,)
    for piece in pieces:
        if isinstance(piece, PlainPiece) and _numbers(piece.column(amount_i), numbers):
            for cell in set(piece.column(rep_i)).difference(names):
                _name(names, cell)
            if note_i is not None:
                texts, done = piece.column(note_i), len(reps)
                for row in compress(count(), texts):  # the rows with a note
                    if note := texts[row].strip():
                        notes[done + row] = note
            reps.extend(map(names.__getitem__, piece.column(rep_i)))
            for cell in set(texts := piece.column(period_i)).difference(labels):
                _period(labels, cell, calendar)
            periods.extend(map(labels.__getitem__, texts))
            amounts.extend(map(numbers.__getitem__, piece.column(amount_i)))
            lines.extend(range(piece.first, piece.first + len(piece)))  # one by one
            read += len(piece)
            continue
        for line, values in piece:
            read += 1
            text = values[amount_i]
            amount = numbers.get(text)
            if amount is None:
                parsed = read_number(text.strip())
                if isinstance(parsed, str) and table.sheet is not None and text.startswith("="):
                    message = (
                        f"amount is a formula with no saved value ({text}): the workbook was "
                        "never opened in Excel; open and save it there, or type the number"
                    )
                    problems.append(
                        report("SP605", message, source.where(line << 48 | cells, AMOUNT))
                    )
                    continue
                if isinstance(parsed, str):
                    if not any(v.strip() for v in values):
                        read -= 1  # cells holding only spaces: a blank row, as in a CSV
                        continue
                    where = source.where(line << 48 | cells, AMOUNT)
                    problems.append(_amount_problem(text.strip(), parsed, where))
                    continue
                numbers[text] = amount = parsed
            if note_i is not None and (note := values[note_i].strip()):
                notes[len(reps)] = note
            rep, period = values[rep_i], values[period_i]
            reps.append(names.get(rep) or _name(names, rep))
            periods.append(labels.get(period) or _period(labels, period, calendar))
            amounts.append(amount)
            lines.append(line)
    problems.extend(table.diagnostics)  # complete once the rows are read
    if not read and not table.truncated:  # rows cut off by SP112 are not "no rows"
        message = "submission file has a header but no rows; add rows or delete the file"
        problems.append(
            report("SP608", message, Where(table.file, table.header_line, 1, table.sheet))
        )
    return batch


def _numbers(column: list[str], numbers: dict[str, Decimal]) -> bool:
    """Read each distinct amount of a column once into `numbers`; False when one is not a
    number (the rows are then read one by one, each problem reported at its row)."""
    for text in set(column).difference(numbers):  # those not read in an earlier piece
        parsed = read_number(text.strip())
        if isinstance(parsed, str):
            return False
        numbers[text] = parsed
    return True


def _amount_problem(text: str, problem: str, where: Where) -> Diagnostic:
    if not text:
        return report("SP605", "amount is empty; write the amount, 0 if nothing is expected", where)
    if problem == NOT_A_NUMBER:
        return report(
            "SP605", f"amount {text!r} is not a number; write plain digits, e.g. 250000.50", where
        )
    return report("SP412", f"amount {text!r} {problem}", where)


def _period(labels: dict[str, str], cell: str, calendar: Calendar) -> str:
    """The label of the period a cell names, as people write it in a sheet (`q1`, `Feb-27`,
    a date cell); any other text stripped (a date as `YYYY-MM-DD`), for SP602 to name."""
    stripped = cell.strip()
    label = calendar.submitted_period(stripped)
    if label is None:
        day = as_date(stripped)
        label = day.isoformat() if day is not None else stripped
    labels[cell] = label
    return label


def _name(names: dict[str, str], cell: str) -> str:
    """The stripped text of a cell, one string object for all equal texts."""
    stripped = cell.strip()
    names[cell] = name = names.setdefault(stripped, stripped)
    return name
