"""accounts.csv (docs/design.md, "Plan files"): the accounts that `balance` shares among reps,
`id,name,territory,owner,<metric columns>,lat,lon` plus optional `segment` and `locked`.

Every cell keeps its position, so a problem points at file:row:column. Reading is pure
(bytes in, an `AccountBook` and diagnostics out); `plan_accounts` reads a plan's file once.
`with_moves` rewrites only the owner and territory cells of the rows whose owner changed,
byte for byte elsewhere, for `balance --write`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.tables import (
    NOT_A_NUMBER,
    Table,
    line_at,
    parse_decimal,
    read_csv,
    read_number,
    scan_record,
)

if TYPE_CHECKING:
    from salesplan.plan import Plan

# Columns with a meaning of their own; every other named column is a metric.
RESERVED = ("id", "name", "territory", "owner", "segment", "locked", "lat", "lon")
TRUE, FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0", ""})
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")  # the plan's id syntax (model.Id)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    territory: str
    owner: str  # as written; "" when the row names none
    segment: str
    locked: bool
    lat: Decimal | None
    lon: Decimal | None
    metrics: dict[str, Decimal]
    line: int  # the row's line in the file

    def metric(self, name: str) -> Decimal:
        return self.metrics.get(name, Decimal(0))


@dataclass
class AccountBook:
    """The accounts of one file, in file order, with what was wrong with them."""

    path: Path
    file: str  # as diagnostics name it
    raw: bytes
    table: Table
    accounts: list[Account] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    text_columns: set[str] = field(default_factory=set)  # not numbers: not metrics

    @property
    def metric_names(self) -> list[str]:
        names = [n for n in self.table.header if n and n not in RESERVED]
        return [n for n in names if n not in self.text_columns]

    def place(self, account: Account, name: str) -> tuple[int, int]:
        """Line and column of `account`'s cell `name` (its row's first line and column 1
        when there is none)."""
        index = self.table.index.get(name)
        return (account.line, 1) if index is None else self.table.cell_at(account.line, index)

    def report(self, code: str, message: str, account: Account, name: str) -> Diagnostic:
        return diagnostic(code, message, self.file, *self.place(account, name))


def read_accounts(path: Path, file: str, raw: bytes, metric: str = "potential") -> AccountBook:
    """Parse accounts.csv; bad cells are diagnostics and the row is kept without them.
    Columns other than the reserved ones are metrics when they hold numbers; one with a
    cell that is not a number is a text column (industry, notes), except `metric`, the
    column to balance, where such a cell is reported."""
    table = read_csv(file, raw)
    book = AccountBook(path, file, raw, table, problems=list(table.diagnostics))
    if table.diagnostics and not table.header:
        return book
    if "id" not in table.index:
        message = "accounts.csv needs an `id` column (id,name,owner,<metric columns>,...)"
        book.problems.append(diagnostic("SP901", message, file, table.header_line, 1))
        return book
    seen_columns: set[str] = set()
    for i, name in enumerate(table.header):
        if name and name in seen_columns:
            message = f"column {name!r} appears twice in the header; keep one"
            book.problems.append(diagnostic("SP901", message, file, *table.header_at(i)))
        seen_columns.add(name)
    first_line: dict[str, int] = {}
    bad_cells: dict[str, list[Diagnostic]] = {}
    for row in table.rows:
        account = _account(book, row.line, row.values, bad_cells)
        if account is None:
            continue
        earlier = first_line.setdefault(account.id, account.line)
        if earlier != account.line:
            message = f"account {account.id!r} is already on line {earlier}; list each account once"
            book.problems.append(book.report("SP902", message, account, "id"))
            continue
        book.accounts.append(account)
    for name, found in bad_cells.items():
        if name == metric or all("negative" in d.message for d in found):
            book.problems.extend(found)
        else:
            book.text_columns.add(name)
    if book.text_columns:
        for account in book.accounts:
            for name in book.text_columns:
                account.metrics.pop(name, None)
    book.problems.sort(key=Diagnostic.sort_key)
    return book


def _account(
    book: AccountBook, line: int, cells: list[str], bad_cells: dict[str, list[Diagnostic]]
) -> Account | None:
    table, problems = book.table, book.problems

    def cell(name: str) -> str:
        index = table.index.get(name)
        return cells[index] if index is not None else ""

    def bad(name: str, message: str) -> None:
        problems.append(
            diagnostic("SP903", message, book.file, *table.cell_at(line, table.index[name]))
        )

    account_id = cell("id")
    if not ID_PATTERN.fullmatch(account_id) or len(account_id) > 200:
        bad("id", f"account id {account_id!r} is not an id (letters, digits, ._@+-)")
        return None
    metrics: dict[str, Decimal] = {}
    for name in book.metric_names:
        text = cell(name)
        if text == "":
            continue
        parsed = read_number(text)
        value = parsed if isinstance(parsed, Decimal) else None
        if isinstance(parsed, str) and parsed != NOT_A_NUMBER:
            # a number beyond the bounds is still a number: the column stays a metric
            at = table.cell_at(line, table.index[name])
            message = f"{name} of account {account_id!r} {parsed}: {text!r}"
            problems.append(diagnostic("SP412", message, book.file, *at))
        elif value is None or value < 0:
            at = table.cell_at(line, table.index[name])
            why = "is negative" if value is not None and value < 0 else "is not a number:"
            message = f"{name} of account {account_id!r} {why} {text!r}"
            found = diagnostic("SP903", message, book.file, *at)
            bad_cells.setdefault(name, []).append(found)
        else:
            metrics[name] = value
    flag = cell("locked").lower()
    if flag not in TRUE | FALSE:
        bad("locked", f"locked of account {account_id!r} must be true or false, not {flag!r}")
    lat, lon = _coordinate(cell("lat"), 90), _coordinate(cell("lon"), 180)
    for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
        if cell(name) and value is None:
            bad(name, f"{name} of account {account_id!r} must be a number in [-{limit}, {limit}]")
    if (lat is None) != (lon is None):
        lat = lon = None
    return Account(
        account_id,
        cell("name"),
        cell("territory"),
        cell("owner"),
        cell("segment"),
        flag in TRUE - {""},
        lat,
        lon,
        metrics,
        line,
    )


def _coordinate(text: str, limit: int) -> Decimal | None:
    value = parse_decimal(text) if text else None
    return value if value is not None and -limit <= value <= limit else None


def plan_file(plan: Plan, name: str) -> tuple[Path, str] | None:
    """(path, display name) of a plan's optional file, or None when it does not exist."""
    from salesplan.reading.files import display_name

    path = plan.root / name
    if not os.path.lexists(path):
        return None
    return path, display_name(path)


def read_plan_file(plan: Plan, name: str, problems: list[Diagnostic]) -> bytes | None:
    """The bytes of an optional plan file that exists, or None with the reason reported:
    confined to the plan folder and read safely (reading.files)."""
    from salesplan.reading.files import confined, read_file

    if plan_file(plan, name) is None:
        return None
    place = confined(plan.root, name)
    if not isinstance(place, Path):  # the loader reported it (SP114): not read
        return None
    return read_file(place, problems)


def plan_accounts(plan: Plan) -> AccountBook | None:
    """The plan's accounts.csv (`files.accounts`), read once; None when there is none."""
    if "_accounts" not in plan.__dict__:
        book: AccountBook | None = None
        name = plan.settings.files.accounts
        found = plan_file(plan, name)
        if found is not None:
            problems: list[Diagnostic] = []
            raw = read_plan_file(plan, name, problems)
            path, file = found
            if raw is None:
                book = AccountBook(path, file, b"", Table(file, [], [], []), problems=problems)
            else:
                book = read_accounts(path, file, raw, plan.settings.balance.metric or "potential")
        plan.__dict__["_accounts"] = book
    found_book: AccountBook | None = plan.__dict__["_accounts"]
    return found_book


def account_fields(plan: Plan) -> dict[str, dict[str, object]]:
    """Each account of the plan's accounts.csv as {field: value}, for `diff`."""
    book = plan_accounts(plan)
    if book is None:
        return {}
    fields: dict[str, dict[str, object]] = {}
    for account in book.accounts:
        values: dict[str, object] = {
            "name": account.name or None,
            "territory": account.territory or None,
            "owner": account.owner or None,
            "segment": account.segment or None,
            "locked": account.locked or None,
        }
        values.update(account.metrics)
        fields[account.id] = {k: v for k, v in values.items() if v is not None}
    return fields


# ---- distances.csv


@dataclass
class Distances:
    """`account,rep,distance` rows: the distance of each pair given."""

    file: str
    pairs: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)


def plan_distances(plan: Plan) -> Distances | None:
    """The plan's distances.csv (`files.distances`), or None when there is none."""
    name = plan.settings.files.distances
    found = plan_file(plan, name)
    if found is None:
        return None
    distances = Distances(found[1])
    raw = read_plan_file(plan, name, distances.problems)
    if raw is not None:
        read_distances(distances, read_csv(found[1], raw))
    return distances


def read_distances(distances: Distances, table: Table) -> None:
    problems = distances.problems
    problems.extend(table.diagnostics)
    missing = [n for n in ("account", "rep", "distance") if n not in table.index]
    if table.header and missing:
        message = (
            f"distances.csv needs the columns account,rep,distance (missing: {', '.join(missing)})"
        )
        problems.append(diagnostic("SP909", message, table.file, table.header_line, 1))
        return
    for row in table.rows:
        text = row.get(table, "distance")
        value = parse_decimal(text)
        if value is None or value < 0 or value > Decimal("1e12"):
            message = f"distance {text!r} is not a number of at least 0"
            problems.append(diagnostic("SP909", message, table.file, *row.place(table, "distance")))
            continue
        distances.pairs[(row.get(table, "account"), row.get(table, "rep"))] = value


# ---- writing new owners


def with_moves(plan: Plan, book: AccountBook, owners: dict[str, str]) -> bytes:
    """The file after `balance --write` gives the accounts in `owners` their new owner: a
    moved account whose row names a territory is written in its new owner's territory
    (`books.territory_after_move`), or in none, so that no row names a territory of
    another rep than its owner (SP910)."""
    from salesplan.books import territory_after_move

    territories = {
        a.id: territory_after_move(plan, a, owners[a.id])
        for a in book.accounts
        if a.id in owners and a.territory
    }
    return with_owners(book, owners, territories)


def with_owners(
    book: AccountBook, owners: dict[str, str], territories: dict[str, str] | None = None
) -> bytes:
    """The file's bytes with the owner cell of each account in `owners` replaced, and the
    territory cell of each account in `territories`; every other byte as it was. A file
    without an `owner` column gains one at the end."""
    text = book.raw.decode("utf-8")
    records = record_spans(text)
    if not records:
        return book.raw
    owner_index = book.table.index.get("owner")
    territory_index = book.table.index.get("territory")
    by_line = {a.line: a.id for a in book.accounts}
    pieces: list[str] = []
    position = 0
    header_done = False
    for start, end, first_line in records:
        if not header_done:
            header_done = True
            if owner_index is None:
                pieces.append(text[position:end] + ",owner")
                position = end
            continue
        account = by_line.get(first_line)
        edits: dict[int, str] = {}
        if account in owners and owner_index is not None:
            edits[owner_index] = owners[account]
        if territories and account in territories and territory_index is not None:
            edits[territory_index] = territories[account]
        if edits:
            spans = cell_spans(text[start:end])
            for index in sorted(i for i in edits if i < len(spans)):
                cell_start, cell_end = spans[index]
                pieces.append(text[position : start + cell_start] + csv_cell(edits[index]))
                position = start + cell_end
        if owner_index is None:
            value = owners.get(account, _owner_of(book, account)) if account else ""
            pieces.append(text[position:end] + "," + csv_cell(value))
            position = end
    pieces.append(text[position:])
    return "".join(pieces).encode("utf-8")


def _owner_of(book: AccountBook, account_id: str) -> str:
    return next((a.owner for a in book.accounts if a.id == account_id), "")


def csv_cell(value: str) -> str:
    if any(c in value for c in ',"\r\n') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def record_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, first line) of each non-blank CSV record of `text`, the line break left
    out, read as the csv module reads it (`tables.scan_record`: a quoted cell may hold line
    breaks, a quote inside an unquoted cell is text)."""
    spans: list[tuple[int, int, int]] = []
    at, n = 0, len(text)
    while at < n:
        end = scan_record(text, at)[1]
        if text[at:end].strip(" \t,"):
            spans.append((at, end, line_at(text, at)))
        at = end + 2 if text.startswith("\r\n", end) else end + 1
    return spans


def cell_spans(record: str) -> list[tuple[int, int]]:
    """(start, end) of each cell of one CSV record, quotes included."""
    starts = scan_record(record, 0)[0]
    return list(zip(starts, [start - 1 for start in starts[1:]] + [len(record)]))
