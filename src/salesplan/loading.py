"""Load a plan: read → parse → validate → check, collecting every problem on the way.

`load_plan(path)` returns the plan (None when salesplan.yaml is unusable) with all the
diagnostics found; nothing here stops at the first problem. The stages, each a module with
one job (docs/design.md, "Shape of the code"):

    reading.files    find the plan; read a file safely, confined to the plan folder
    source           parse YAML with positions       tables / submissions: CSV and XLSX
    validation       pydantic models, problems at their line and column
    checks           the cross-file rules, on the assembled Plan
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from salesplan.adjustments import read_adjustments
from salesplan.diagnostics import Diagnostic, capped, diagnostic
from salesplan.model import Org, PlanSettings, Rep, Territory, Unit
from salesplan.plan import MetricRow, Plan
from salesplan.reading.files import (
    PLAN_FILE,
    PlanNotFound,
    confined,
    display_name,
    find_plan,
    read_file,
)
from salesplan.reading.records import REP_COLUMNS, TERRITORY_COLUMNS, is_table, read_table
from salesplan.source import Document, gc_paused, parse_yaml
from salesplan.submissions import read_submissions
from salesplan.tables import NOT_A_NUMBER, open_csv, read_number
from salesplan.validation import check_top_keys, validate, validate_items

__all__ = ["PLAN_FILE", "Loaded", "PlanNotFound", "display_name", "find_plan", "load_plan"]


@dataclass
class Loaded:
    """The result of `load_plan`: the plan (None when salesplan.yaml is unusable) and
    every diagnostic found while reading and checking it."""

    plan: Plan | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def blocking(self) -> list[Diagnostic]:
        """The errors that stop a command: all but those of NOT_BLOCKING. Every error when
        there is no plan."""
        if self.plan is None:
            return self.errors
        return [d for d in self.errors if d.code not in NOT_BLOCKING]


# Errors of `check` that stop no command: a stale or hand-edited quotas.yaml (SP415, SP416:
# an output; the commands compute the quotas anyway) and an owner no review can come from
# (SP206: it moves no number, and `diff` and `approvers` must still read a base branch that
# has one, or the pull request that fixes it could not be reviewed).
NOT_BLOCKING = frozenset({"SP415", "SP416", "SP206"})


Step = Callable[[str], None]  # told what is being read next, for a progress bar
STEPS = ("plan", "org", "metrics", "submissions", "territories", "quotas", "checks")


def _no_progress(what: str) -> None:
    pass


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class Shared:
    """Files parsed once for several loads of one plan (the base and its scenarios side by
    side, `salesplan scenarios`): a scenario patches copies, never the parsed data, so the
    documents and submissions are shared, each with the problems met reading it. Measured
    in benchmarks/README.md ("Scenarios")."""

    found: dict[tuple[str, Path, bool], tuple[Any, list[Diagnostic]]] = field(default_factory=dict)

    def get(self, kind: str, path: Path, marks: bool, read: Callable[[list[Diagnostic]], Any],
            problems: list[Diagnostic]) -> Any:  # fmt: skip
        key = (kind, path, marks)
        if key not in self.found:
            met: list[Diagnostic] = []
            self.found[key] = (read(met), met)
        value, met = self.found[key]
        problems.extend(met)
        return value


def load_plan(
    path: Path | str | None = None,
    step: Step = _no_progress,
    scenario: str | None = None,
    shared: Shared | None = None,
    warnings: bool = True,
) -> Loaded:
    """Read, validate and check a plan. Raises PlanNotFound only when there is no plan
    (ScenarioNotFound, one of them, when `scenario` names no scenarios/NAME.yaml).

    `step` is called with each of STEPS as it starts (a progress bar's hook). With
    `scenario`, its changes are applied to the files after parsing, before validation.
    Without `warnings`, the checks that can never block a command are skipped (see
    `checks.WARNING_ONLY`; quotas.yaml is then not compared with the allocation): a
    command that only computes shows none of their findings."""
    from salesplan.checks import CHECKS, WARNING_ONLY, checks_without, run_checks

    plan_file = find_plan(Path(path) if path is not None else None)
    with gc_paused():  # a big plan is millions of objects that live as long as the plan
        loaded = read_plan(plan_file, step, scenario, shared or Shared())
        plan = loaded.plan
        if plan is not None:
            step("checks")
            checks = [c for c in CHECKS if warnings or c not in WARNING_ONLY]
            # a file not read (or read in part) takes the checks that read it with it
            checks = checks_without(checks, plan.unparsed | plan.partial)
            loaded.diagnostics.extend(run_checks(plan, checks))
    loaded.diagnostics = capped(loaded.diagnostics)
    if loaded.plan is not None:
        loaded.plan.diagnostics = loaded.diagnostics
    return loaded


def read_plan(
    plan_file: Path,
    step: Step = _no_progress,
    scenario: str | None = None,
    shared: Shared | None = None,
) -> Loaded:
    """Read and validate the files of a plan, without the cross-file checks."""
    problems: list[Diagnostic] = []
    files = shared or Shared()

    def read_yaml(path: Path, marks: bool = True) -> Document:
        doc: Document = files.get(
            "yaml", path, marks, lambda met: read_yaml_file(path, met, marks), problems
        )
        return doc

    step("plan")
    patch = None
    if scenario:  # imported here: a command without --scenario never reads one
        from salesplan.scenarios import read_scenario

        patch = read_scenario(plan_file.parent, scenario, problems)
    plan_doc = read_yaml(plan_file)
    if patch is not None:
        plan_doc = patch.patched(PLAN_FILE, plan_doc, problems)
    settings = validate(plan_doc, PlanSettings, problems, salvage=True)
    if settings is None:
        return Loaded(None, problems)
    plan = Plan(root=plan_file.parent, settings=settings, documents={"plan": plan_doc})
    plan.scenario = scenario
    paths = plan_paths(plan, problems)
    # a file the plan names that is refused, missing or unreadable is reported alone: the
    # checks across files would report what follows from its content being absent
    unread = {role for role, name in plan.settings.files if name is not None and role not in paths}
    unread.update(_missing_named_files(plan, paths, problems))
    read: dict[str, bytes] = {"plan": plan_doc.raw or b""}  # what decides the allocation

    step("org")
    org_path = paths.get("org")
    if org_path is not None and _present(org_path):
        org_doc = read_yaml(org_path, marks=False)
        if patch is not None:
            org_doc = patch.patched(settings.files.org, org_doc, problems)
        plan.documents["org"] = org_doc
        check_top_keys(org_doc, Org.model_fields, problems)
        units, plan.unit_index = validate_items(org_doc, "units", Unit, problems, plan.broken_ids)
        reps_doc = org_doc
        reps_path = paths.get("reps")
        if reps_path is not None:
            reps_doc = read_table_file(reps_path, "reps", REP_COLUMNS, problems, plan.partial)
            plan.documents["reps"] = reps_doc
            read["reps"] = reps_doc.raw or b""
            _given_twice(org_doc, "reps", settings.files.reps, problems)
        reps, plan.rep_index = validate_items(reps_doc, "reps", Rep, problems, plan.broken_ids)
        # units and reps are validated above, item by item: validating them again as an Org
        # would only build its validator (units, reps, OTEs... again: ~7 ms a run) to check
        # that each is a Unit or a Rep
        plan.org = Org.model_construct(units=units, reps=reps)
        read["org"] = org_doc.raw or b""
    elif org_path is not None:
        message = f"{settings.files.org} is missing: the org (units and reps) lives there; create it or set files.org"
        file, line, column = plan_doc.place(("files", "org"))  # a scenario's change: its file
        problems.append(diagnostic("SP101", message, file, line, column, "files.org"))
        unread.add("org")

    step("metrics")
    metrics_path = paths.get("metrics")
    if metrics_path is not None and _present(metrics_path):
        found = len(problems)
        raw = read_file(metrics_path, problems)
        plan.metric_rows = load_metrics(display_name(metrics_path), raw or b"", problems)
        read["metrics"] = raw or b""
        if len(problems) > found:  # a cell left out would show as a missing metric
            plan.partial.add("metrics")

    step("submissions")
    submissions_path = paths.get("submissions")
    if submissions_path is not None and _present(submissions_path):
        plan.submissions = files.get(
            "submissions", submissions_path, False,
            lambda met: read_submissions(submissions_path, plan, met), problems,
        )  # fmt: skip

    step("territories")
    territories_path = paths.get("territories")
    if territories_path is not None and _present(territories_path):
        if is_table(territories_path.name):
            doc = read_table_file(
                territories_path, "territories", TERRITORY_COLUMNS, problems, plan.partial
            )
        else:
            doc = read_yaml(territories_path, marks=False)
            if patch is not None:
                doc = patch.patched(settings.files.territories, doc, problems)
            check_top_keys(doc, ["territories"], problems)
        plan.documents["territories"] = doc
        plan.territories, plan.territory_index = validate_items(
            doc, "territories", Territory, problems, plan.broken_ids
        )
        read["territories"] = doc.raw or b""

    adjustments_path = paths.get("adjustments")
    if adjustments_path is not None and _present(adjustments_path):
        plan.adjustments = read_adjustments(adjustments_path, problems, read)
    if patch is not None:  # a scenario's quotas are never the plan's quotas.yaml
        problems.extend(
            patch.unknown_files([PLAN_FILE, settings.files.org, settings.files.territories])
        )
        read["scenario"] = patch.raw
    plan.digest = inputs_digest(plan_file, paths, read)
    step("quotas")
    quotas_path = paths.get("quotas")
    if quotas_path is not None and _present(quotas_path) and patch is None:
        plan.quotas_file = display_name(quotas_path)
        plan.quotas_raw = read_file(quotas_path, problems)
    plan.unparsed = unread | {role for role, doc in plan.documents.items() if doc.data is None}
    return Loaded(plan, problems)


NAMED_INPUTS = ("territories", "metrics", "submissions", "accounts", "distances")


def _missing_named_files(
    plan: Plan, paths: dict[str, Path], problems: list[Diagnostic]
) -> Iterator[str]:
    """The optional inputs that salesplan.yaml names under `files:` but that are not there,
    each an SP101 at its key: a mistyped name would otherwise read as no metrics, or no
    submissions at all. Left at its default, an absent optional file is simply none."""
    doc = plan.documents["plan"]
    for role in NAMED_INPUTS:
        path = paths.get(role)
        if role not in plan.settings.files.model_fields_set or path is None or _present(path):
            continue
        name = getattr(plan.settings.files, role)
        message = f"{name} (files.{role}) is missing; create it, correct the name or remove the key"
        file, line, column = doc.place(("files", role))
        problems.append(diagnostic("SP101", message, file, line, column, f"files.{role}"))
        yield role


def _present(path: Path) -> bool:
    """Whether something is at `path` (a broken symlink, a FIFO or a folder included: reading
    it reports what it is)."""
    return os.path.lexists(path)


def plan_paths(plan: Plan, problems: list[Diagnostic]) -> dict[str, Path]:
    """The plan's files by role (`files:` in salesplan.yaml), each confined to the plan
    folder; a path that leads out of it is an error at its line (at the file itself when
    no key names it), and the file is not read."""
    paths: dict[str, Path] = {}
    doc = plan.documents["plan"]
    for role, name in plan.settings.files.model_dump().items():
        if name is None:
            continue
        place = confined(plan.root, name)
        if isinstance(place, Path):
            paths[role] = place
            continue
        if role in plan.settings.files.model_fields_set:  # a scenario's change: in its file
            file, line, column = doc.place(("files", role))
        else:  # the default name, which no key holds: at the file (or folder) itself
            file, line, column = display_name(plan.root / name), 1, 1
        problems.append(diagnostic("SP114", f"files.{role} {place}", file, line, column))
    _one_role_per_file(plan, paths, problems)
    return paths


def _one_role_per_file(plan: Plan, paths: dict[str, Path], problems: list[Diagnostic]) -> None:
    """Two roles naming one file (or one naming salesplan.yaml) is SP203 at the key that was
    set, and that role is neither read nor written: `files: {quotas: org.yaml}` made
    `allocate --write` replace the org with the quotas. Names are compared ignoring case
    (ORG.yaml is org.yaml on a Mac or on Windows)."""
    given = plan.settings.files.model_fields_set
    owner = {os.path.realpath(plan.root / PLAN_FILE).casefold(): PLAN_FILE}
    for role, path in list(paths.items()):
        other = owner.setdefault(os.path.realpath(path).casefold(), f"files.{role}")
        if other == f"files.{role}":
            continue
        refused, partner = (role, other) if role in given else (other[6:], f"files.{role}")
        name = getattr(plan.settings.files, refused)
        message = f"files.{refused} {name!r} is the file of {partner}; give each its own file"
        file, line, column = plan.documents["plan"].place(("files", refused))
        problems.append(diagnostic("SP203", message, file, line, column, f"files.{refused}"))
        paths.pop(refused, None)


# Bytes from which a file may be parsed without positions first. The org.yaml of a plan
# whose reps are in reps.csv (1,010 units at 10,000 reps, 88 KB) is parsed in ~60% of the
# time so (about 5 ms a command); a file with a problem costs at most a second parse.
PLAIN_FROM = 64 * 1024


def read_yaml_file(path: Path, problems: list[Diagnostic], marks: bool = True) -> Document:
    """A YAML file, read safely and parsed. Without `marks`, a big file is parsed without
    positions, found again only when a diagnostic needs them (see Document): for the org and
    territories of a big plan. A small file (under 64 KiB) is parsed once, with them."""
    raw = read_file(path, problems)
    name = display_name(path)
    if raw is None:
        return Document(name, None)
    doc = parse_yaml(name, raw, marks or len(raw) < PLAIN_FROM)
    problems.extend(doc.diagnostics)
    return doc


def read_table_file(
    path: Path,
    key: str,
    columns: dict[str, tuple[str, ...]],
    problems: list[Diagnostic],
    partial: set[str],
) -> Document:
    """A CSV table of records (reps.csv, territories.csv), read safely. When it cannot be
    read to its end (not UTF-8, a quote never closed), its role `key` joins `partial`: the
    checks that read it would report the records it lost (SP308 owner not a rep)."""
    raw = read_file(path, problems)
    if raw is None:
        return Document(display_name(path), None)
    doc = read_table(display_name(path), raw, key, columns, problems)
    if doc.table is not None and doc.table.truncated:
        partial.add(key)
    return doc


def _given_twice(doc: Document, key: str, table: str | None, problems: list[Diagnostic]) -> None:
    """The same list in YAML and in a CSV table: the table is read, the YAML is an error."""
    if isinstance(doc.data, dict) and doc.data.get(key):
        file, line, column = doc.place((key,), key=True)  # a scenario's change: in its file
        message = f"{key} are read from {table} (files.{key}); remove `{key}:` from this file"
        problems.append(diagnostic("SP201", message, file, line, column, key))


UNREAD: Any = object()  # a cell of metrics.csv not met before


def load_metrics(file: str, raw: bytes, problems: list[Diagnostic]) -> list[MetricRow]:
    """metrics.csv: `id` then one column per metric; a cell that is not a number is SP411.
    Read record by record, a cell stripped only when it is read (no table of rows kept)."""
    table, records = open_csv(file, raw)
    table.width = 1  # a short row keeps only the cells it has
    if table.header and table.header[0] != "id":
        for _ in records:
            pass  # the file's own problems are reported all the same
        problems.extend(table.diagnostics)
        message = "the first column of metrics.csv must be `id`"
        problems.append(diagnostic("SP112", message, table.file, table.header_line, 1))
        return []
    rows: list[MetricRow] = []
    cell_problems: list[Diagnostic] = []
    names = [(i, name) for i, name in enumerate(table.header) if i and name]
    # One Decimal per cell as written (metrics repeat); None for a blank cell, which most
    # rows have (a rep's row has no potential, a territory's no history).
    numbers: dict[str, Decimal | None] = {}
    for line, cells in records:
        row_id = cells[0].strip()
        values: dict[str, Decimal] = {}
        for i, name in names:
            if i >= len(cells):
                break  # a short row: the rest are empty
            value = numbers.get(cells[i], UNREAD)
            if value is UNREAD:
                text = cells[i].strip()
                if text == "":
                    numbers[cells[i]] = None
                    continue
                number = read_number(text.replace("_", ""))
                if isinstance(number, str):
                    at = table.cell_at(line, i)
                    cell_problems.append(_metric_problem(file, at, name, row_id, text, number))
                    continue
                numbers[cells[i]] = value = number
            if value is not None:
                values[name] = value
        # tuple.__new__ is what the NamedTuple's own __new__ calls, less a Python call a row
        rows.append(tuple.__new__(MetricRow, (row_id, values, file, line)))
    problems.extend(table.diagnostics)  # the file's problems first, then its cells'
    problems.extend(cell_problems)
    return rows


def _metric_problem(
    file: str, at: tuple[int, int], name: str, row_id: str, text: str, problem: str
) -> Diagnostic:
    """SP411 for a cell that is no number, SP412 for one beyond a plan's bounds."""
    if problem == NOT_A_NUMBER:
        message = f"metric {name!r} of {row_id!r} is not a number: {text!r}; write plain digits"
        return diagnostic("SP411", message, file, *at)
    return diagnostic("SP412", f"metric {name!r} of {row_id!r} {text!r} {problem}", file, *at)


DIGESTED = ("org", "territories", "metrics", "reps")  # with the plan file: what decides the quotas


def inputs_digest(plan_file: Path, paths: dict[str, Path], read: dict[str, bytes]) -> str:
    """sha256 over the files that decide the allocation, as they were read (a file that is
    absent or unreadable counts as empty), line endings and a UTF-8 BOM aside: a checkout
    with CRLF line endings (git's autocrlf on Windows) has the same inputs."""
    digest = hashlib.sha256()
    roles = DIGESTED + ("adjustments",) * ("adjustments" in read)  # pins decide quotas too
    named = [(plan_file.name, "plan")] + [(paths[r].name, r) for r in roles if r in paths]
    if "scenario" in read:
        named.append(("scenario", "scenario"))
    for name, role in named:
        digest.update(name.encode() + b"\0" + _text_bytes(read.get(role, b"")) + b"\0")
    return "sha256:" + digest.hexdigest()


def _text_bytes(raw: bytes) -> bytes:
    """A file's bytes with LF line endings and no BOM, as its text is read."""
    return raw.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\r", b"\n")
