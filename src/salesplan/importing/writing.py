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


def read_state(plan: Plan) -> dict[str, object]:
    path = plan.root / STATE
    try:
        state = json.loads(_read(path).decode("utf-8")) if path.exists() else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


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


def metrics_change(plan: Plan, outcome: Outcome, state: dict[str, object]) -> Change:
    relative = plan.settings.files.metrics
    path = inside(plan, relative)
    e = plan.currency_exponent
    new = {rep: fmt_amount(value, e) for rep, value in outcome.history.items()}
    ours = state.get("history", {})
    assert isinstance(ours, dict)
    header, rows = ["id", "history"], []
    old_data = b""
    if path.exists():
        old_data = _read(path)
        text = old_data.decode("utf-8-sig")
        table = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
        if table:
            header, rows = [c.strip() for c in table[0]], [list(r) for r in table[1:]]
    if "history" not in header:
        header.append("history")
    column = header.index("history")
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
    change.data = _csv_bytes(header, rows)
    if change.data == old_data:
        change.action = "unchanged"
    return change


def submissions_change(
    plan: Plan, outcome: Outcome, source: str, state: dict[str, object]
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


def _no_file(plan: Plan, relative: str, state: dict[str, object]) -> Change:
    """Nothing to write: an earlier import's file is removed, a hand-written one kept
    unless --force."""
    path = inside(plan, relative)
    if not path.exists():
        return Change(relative, b"", "none")
    change = Change(relative, b"", "remove")
    old = _read(path)
    change.removed = [f"- {line}" for line in old.decode("utf-8", "replace").splitlines()[1:]]
    written = state.get("files", {})
    assert isinstance(written, dict)
    if written.get(relative) != _sha(old):
        change.hand_written.append(f"{relative} (not written by the last import, or edited since)")
    return change


def accounts_change(plan: Plan, outcome: Outcome, state: dict[str, object]) -> Change:
    relative = getattr(plan.settings.files, "accounts", None) or "accounts.csv"
    e = plan.currency_exponent
    rows = [
        [a.id, a.name, a.owner, fmt_amount(a.won, e), fmt_amount(a.open, e)]
        for a in outcome.accounts
    ]
    return _whole_file(
        plan, relative, _csv_bytes(["id", "name", "owner", "won", "open"], rows), state
    )


def _whole_file(plan: Plan, relative: str, data: bytes, state: dict[str, object]) -> Change:
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
    assert isinstance(written, dict)
    if written.get(relative) != _sha(old):
        change.hand_written.append(f"{relative} (not written by the last import, or edited since)")
    return change


def state_change(plan: Plan, outcome: Outcome, changes: list[Change]) -> Change:
    e = plan.currency_exponent
    state = {
        "salesplan_import": 1,
        "history": {rep: fmt_amount(v, e) for rep, v in sorted(outcome.history.items())},
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
