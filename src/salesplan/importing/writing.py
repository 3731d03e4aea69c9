"""What an import writes into the plan: metrics.csv `history` merged into the existing
file, submissions/<source>.csv and accounts.csv, each staying inside the plan folder.

`import-state.json` records what the last import wrote, so that the next one can tell its
own output (replaced freely) from a hand edit (replaced only with --force)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from salesplan.diagnostics import Diagnostic
from salesplan.fsutil import write_atomic
from salesplan.importing.aggregate import Outcome
from salesplan.money import fmt_amount
from salesplan.plan import Plan

STATE = "import-state.json"
SHOWN = 20  # changed rows listed per file; the rest are counted


class OutsidePlan(Exception):
    """An output path leads out of the plan folder, or a plan file there cannot be read."""


def _read(path: Path) -> bytes:
    """A plan file the import merges into or replaces: a regular file of at most the
    plan's size limit, read without blocking (a FIFO in the plan cannot hang the import)."""
    from salesplan.reading.files import read_file

    problems: list[Diagnostic] = []
    data = read_file(path, problems)
    if data is None:
        raise OutsidePlan(f"{problems[0].file}: {problems[0].message}")
    return data


@dataclass
class Change:
    """One file the import writes: its new content and a diff-like account of it."""

    file: str  # relative to the plan folder
    data: bytes
    action: str  # create | update | unchanged | remove | none (nothing to write, no file)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    hand_written: list[str] = field(default_factory=list)  # what --force would overwrite


def inside(plan: Plan, relative: str) -> Path:
    """The plan's file `relative`, refused if it (or a symlink on the way) leads out."""
    root = plan.root.resolve()
    target = plan.root / relative
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise OutsidePlan(f"{relative} is not inside the plan folder")
    if target.is_symlink() or not target.resolve().is_relative_to(root):
        raise OutsidePlan(f"{relative} leads out of the plan folder (a symlink)")
    return target


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_state(plan: Plan) -> dict[str, dict[str, str]]:
    """What the last import wrote: {"history": {rep: amount}, "owners": {account: rep},
    "files": {file: sha256}}. A part that is not such a mapping (the file is committed, so
    anyone can edit it) is no record: what it covered counts as hand-written."""
    path = plan.root / STATE
    try:
        state = json.loads(_read(path).decode("utf-8")) if path.exists() else {}
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    return {
        part: {k: v for k, v in value.items() if isinstance(v, str)}
        for part in ("history", "owners", "files")
        if isinstance(value := state.get(part), dict)
    }


@dataclass
class _Table:
    """A CSV file of the plan as the import merges into it: its header as written and its
    rows, and how it is written (a BOM, CRLF line ends), kept when it is written back."""

    header: list[str]
    rows: list[list[str]]
    bom: bool = False
    newline: str = "\n"

    @property
    def names(self) -> list[str]:
        return [c.strip() for c in self.header]

    def data(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=self.newline)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return (b"\xef\xbb\xbf" if self.bom else b"") + out.getvalue().encode("utf-8")


def _table(relative: str, data: bytes, header: list[str]) -> _Table:
    """The table in `data` (`header` when it is empty); text that is not UTF-8 is refused,
    never replaced (`check` reports where: SP102)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise OutsidePlan(
            f"{relative} is not UTF-8 (byte {err.start + 1}); save it as UTF-8 and import again"
        ) from None
    try:  # strict: a quote left open would read the rest of the file into one cell
        rows = csv.reader(io.StringIO(text, newline=""), strict=True)
        table = [r for r in rows if any(c.strip() for c in r)]
    except csv.Error as err:
        message = f"{relative} is not valid CSV ({err}); `salesplan check` shows where"
        raise OutsidePlan(message) from None
    newline = "\r\n" if "\r\n" in text[: text.find("\n") + 1 or None] else "\n"
    found = _Table(list(header), [], data.startswith(b"\xef\xbb\xbf"), newline)
    if table:
        found.header, found.rows = list(table[0]), [list(r) for r in table[1:]]
    return found


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _same(a: str, b: str) -> bool:
    try:
        return Decimal(a.replace("_", "")) == Decimal(b)
    except InvalidOperation:
        return False


def metrics_change(plan: Plan, outcome: Outcome, state: dict[str, dict[str, str]]) -> Change:
    relative = plan.settings.files.metrics
    path = inside(plan, relative)
    e = plan.currency_exponent
    new = {rep: fmt_amount(value, e) for rep, value in outcome.history.items()}
    ours = state.get("history", {})
    old_data = _read(path) if path.exists() else b""
    table = _table(relative, old_data, ["id", "history"])
    header, rows = table.header, table.rows
    if "history" not in table.names:
        header.append("history")
    column = table.names.index("history")
    change = Change(relative, b"", "update" if path.exists() else "create")
    seen: set[str] = set()
    for row in rows:
        row += [""] * (len(header) - len(row))
        rep = row[0].strip()
        if rep not in new or rep in seen:
            continue
        seen.add(rep)
        old = row[column].strip()
        if old == "" or _same(old, new[rep]):
            if old == "":
                change.changed.append(f"~ {rep} history: (none) -> {new[rep]}")
            row[column] = new[rep] if old == "" else row[column]
            continue
        change.changed.append(f"~ {rep} history: {old} -> {new[rep]}")
        if ours.get(rep) is None or not _same(old, str(ours[rep])):
            change.hand_written.append(f"{relative}: history of {rep} ({old})")
        row[column] = new[rep]
    for rep, value in new.items():
        if rep not in seen:
            rows.append([rep] + [""] * (len(header) - 1))
            rows[-1][column] = value
            change.added.append(f"+ {rep} history: {value}")
    change.data = table.data()
    if change.data == old_data:
        change.action = "unchanged"
    return change


def submissions_change(
    plan: Plan, outcome: Outcome, source: str, state: dict[str, dict[str, str]]
) -> Change:
    relative = f"{plan.settings.files.submissions}/{source}.csv"
    e = plan.currency_exponent
    order = {r.id: i for i, r in enumerate(plan.org.reps)}
    periods = {p: i for i, p in enumerate(plan.periods)}
    keys = sorted(
        outcome.pipeline, key=lambda k: (order.get(k[0], len(order)), k[0], periods[k[1]])
    )
    rows = []
    for rep, period in keys:
        count = outcome.pipeline_rows.get(f"{rep}\0{period}", 0)
        note = f"weighted open pipeline: {count} opportunit{'y' if count == 1 else 'ies'}"
        rows.append([rep, period, fmt_amount(outcome.pipeline[(rep, period)], e), note])
    if not rows:  # a submission file with no rows is an error (SP608): write none
        return _no_file(plan, relative, state)
    return _whole_file(plan, relative, _csv_bytes(["rep", "period", "amount", "note"], rows), state)


def _no_file(plan: Plan, relative: str, state: dict[str, dict[str, str]]) -> Change:
    """Nothing to write: an earlier import's file is removed, a hand-written one kept
    unless --force."""
    path = inside(plan, relative)
    if not path.exists():
        return Change(relative, b"", "none")
    change = Change(relative, b"", "remove")
    old = _read(path)
    change.removed = [f"- {line}" for line in old.decode("utf-8", "replace").splitlines()[1:]]
    written = state.get("files", {})
    if written.get(relative) != _sha(old):
        change.hand_written.append(f"{relative} (not written by the last import, or edited since)")
    return change


ACCOUNT_COLUMNS = ["id", "name", "owner", "won", "open"]


def _key(name: str) -> str:
    """An account name compared: case and runs of spaces aside."""
    return " ".join(name.casefold().split())


def accounts_change(
    plan: Plan, outcome: Outcome, state: dict[str, dict[str, str]], force: bool
) -> Change:
    """accounts.csv, merged like metrics.csv: the file's other columns and accounts are kept
    (segment, potential, locked, ... that `balance` reads); an imported account is the row
    of its id, else of its name. `won` and `open` are the import's: set from this export, and
    0 for an account it no longer has. An empty name or owner is filled; an owner that differs
    from the CRM's is the plan's (`balance --write` sets it) and kept, unless the last import
    wrote it (the CRM moved the account) or `--force` is given. A file without an `id`
    column is replaced whole only with --force."""
    relative = getattr(plan.settings.files, "accounts", None) or "accounts.csv"
    path = inside(plan, relative)
    e = plan.currency_exponent
    old_data = _read(path) if path.exists() else b""
    table = _table(relative, old_data, list(ACCOUNT_COLUMNS))
    if "id" not in table.names:
        whole = _Table(list(ACCOUNT_COLUMNS), [], table.bom, table.newline)
        whole.rows = [
            [a.id, a.name, a.owner, fmt_amount(a.won, e), fmt_amount(a.open, e)]
            for a in outcome.accounts
        ]
        change = _whole_file(plan, relative, whole.data(), state)
        if change.action == "update":
            change.hand_written = [f"{relative} (no id column: replaced whole)"]
        return change
    header, rows = table.header, table.rows
    header += [c for c in ACCOUNT_COLUMNS if c not in table.names]
    names = [c.strip() for c in header]
    at = {c: names.index(c) for c in ACCOUNT_COLUMNS}
    by_id: dict[str, list[str]] = {}
    by_name: dict[str, list[list[str]]] = {}
    for cells in rows:
        cells += [""] * (len(header) - len(cells))
        by_id.setdefault(cells[at["id"]].strip(), cells)
        by_name.setdefault(_key(cells[at["name"]]), []).append(cells)
    # Ids first, then names among the rows no id took: two accounts never share a row.
    matched: dict[str, list[str]] = {}
    taken: set[int] = set()
    for account in outcome.accounts:
        if (row := by_id.get(account.id)) is not None:
            matched[account.id] = row
            taken.add(id(row))
    for account in outcome.accounts:
        named = by_name.get(_key(account.name), []) if account.name else []
        if account.id not in matched and len(named) == 1 and id(named[0]) not in taken:
            matched[account.id] = named[0]
            taken.add(id(named[0]))
    written = state.get("owners", {})
    change = Change(relative, b"", "update" if path.exists() else "create")
    zero = fmt_amount(Decimal(0), e)
    for account in outcome.accounts:
        won, open_ = fmt_amount(account.won, e), fmt_amount(account.open, e)
        row = matched.get(account.id)
        if row is None:
            row = [""] * len(header)
            values = (account.id, account.name, account.owner, won, open_)
            for column, value in zip(ACCOUNT_COLUMNS, values):
                row[at[column]] = value
            rows.append(row)
            taken.add(id(row))
            change.added.append(f"+ {','.join(values)}")
            continue
        shown = row[at["id"]].strip()
        _set_figures(row, at, (won, open_), shown, change)
        if not row[at["name"]].strip() and account.name:
            row[at["name"]] = account.name
        owner = row[at["owner"]].strip()
        if owner == account.owner or not account.owner:
            continue
        if not owner or owner == written.get(account.id) or force:
            change.changed.append(f"~ {shown} owner: {owner or '(none)'} -> {account.owner}")
            row[at["owner"]] = account.owner
        else:
            change.changed.append(
                f"= {shown} owner: {owner} kept (the CRM says {account.owner}; --force takes it)"
            )
    for row in rows:  # accounts this export no longer has: nothing won or open now
        if id(row) not in taken and (row[at["won"]].strip() or row[at["open"]].strip()):
            _set_figures(row, at, (zero, zero), row[at["id"]].strip(), change)
    change.data = table.data()
    if change.data == old_data:
        change.action = "unchanged"
    return change


def _set_figures(
    row: list[str], at: dict[str, int], figures: tuple[str, str], shown: str, change: Change
) -> None:
    for column, value in zip(("won", "open"), figures):
        old = row[at[column]].strip()
        if not old or not _same(old, value):
            change.changed.append(f"~ {shown} {column}: {old or '(none)'} -> {value}")
            row[at[column]] = value


def _whole_file(plan: Plan, relative: str, data: bytes, state: dict[str, dict[str, str]]) -> Change:
    path = inside(plan, relative)
    if not path.exists():
        change = Change(relative, data, "create")
        change.added = [f"+ {line}" for line in data.decode().splitlines()[1:]]
        return change
    old = _read(path)
    if old == data:
        return Change(relative, data, "unchanged")
    change = Change(relative, data, "update")
    before, after = old.decode("utf-8", "replace").splitlines()[1:], data.decode().splitlines()[1:]
    gone, kept = set(after), set(before)
    change.removed = [f"- {line}" for line in before if line not in gone]
    change.added = [f"+ {line}" for line in after if line not in kept]
    written = state.get("files", {})
    if written.get(relative) != _sha(old):
        change.hand_written.append(f"{relative} (not written by the last import, or edited since)")
    return change


def state_change(plan: Plan, outcome: Outcome, changes: list[Change]) -> Change:
    e = plan.currency_exponent
    state = {
        "salesplan_import": 1,
        "history": {rep: fmt_amount(v, e) for rep, v in sorted(outcome.history.items())},
        "owners": {a.id: a.owner for a in sorted(outcome.accounts, key=lambda a: a.id)},
        "files": {
            c.file: _sha(c.data)
            for c in sorted(changes, key=lambda c: c.file)
            if c.file != plan.settings.files.metrics and c.action not in ("none", "remove")
        },
    }
    data = (json.dumps(state, indent=2, sort_keys=True) + "\n").encode()
    path = inside(plan, STATE)
    action = "create" if not path.exists() else ("unchanged" if _read(path) == data else "update")
    return Change(STATE, data, action)


def write_changes(plan: Plan, changes: list[Change]) -> None:
    for change in changes:
        if change.action == "remove":
            inside(plan, change.file).unlink()
        elif change.action in ("create", "update"):
            write_atomic(inside(plan, change.file), change.data)
