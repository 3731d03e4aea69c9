"""Find a plan, read every file safely and validate it: `load_plan` returns all problems."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from salesplan import cache as parse_cache
from salesplan.diagnostics import Diagnostic, capped, diagnostic
from salesplan.model import Org, PlanSettings, Quotas, Rep, Territory, Unit
from salesplan.plan import MetricRow, Plan, Where
from salesplan.schema_errors import schema_diagnostics
from salesplan.source import Document, gc_paused, parse_yaml
from salesplan.submissions import read_submissions
from salesplan.tables import parse_decimal, read_csv

PLAN_FILE = "salesplan.yaml"
M = TypeVar("M", bound=BaseModel)


class PlanNotFound(Exception):
    """No plan where one was asked for: a usage error, not a plan error."""


@dataclass
class Loaded:
    """The result of `load_plan`: the plan (None when salesplan.yaml is unusable) and
    every diagnostic found while reading and checking it."""

    plan: Plan | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # the checks still running alongside (`load_plan(defer=True)`): `settle` waits for them
    pending: Callable[[], list[Diagnostic]] | None = field(default=None, compare=False)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def settle(self) -> Loaded:
        """Wait for the checks running alongside, if any, and add what they found."""
        if self.pending is not None:
            waiting, self.pending = self.pending, None
            self.diagnostics.extend(waiting())
            self.diagnostics.sort(key=Diagnostic.sort_key)
            self.diagnostics = capped(self.diagnostics)
        return self


def find_plan(start: Path | None = None) -> Path:
    """The salesplan.yaml named by `start` (a file or a directory), or found upward from cwd."""
    if start is not None:
        candidate = start / PLAN_FILE if start.is_dir() else start
        if not candidate.is_file():
            raise PlanNotFound(f"no plan at {start} (expected {candidate})")
        return candidate
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / PLAN_FILE).is_file():
            return folder / PLAN_FILE
    raise PlanNotFound(f"no {PLAN_FILE} in {here} or any folder above it")


def display_name(path: Path) -> str:
    """How a file is named in diagnostics: relative to the current directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def read_bytes(path: Path, problems: list[Diagnostic]) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as err:
        problems.append(
            diagnostic("SP113", f"cannot read file: {err.strerror}", display_name(path), 1, 1)
        )
        return None


def validate(
    doc: Document, model: type[M], problems: list[Diagnostic], salvage: bool = False
) -> M | None:
    """The file's model, or None with its problems reported. With `salvage`, the offending
    keys are dropped and validation retried (defaults apply), so that one typo in
    salesplan.yaml does not hide every problem in the other files."""
    if doc.data is None:
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        problems.extend(schema_diagnostics(doc, err, model))
        if not salvage:
            return None
        return _salvaged(doc.data, err, model)


def _salvaged(data: Any, err: ValidationError, model: type[M]) -> M | None:
    for _ in range(3):
        data = _plain(data)
        for error in err.errors(include_url=False):
            _drop(data, tuple(error["loc"]))
        try:
            return model.model_validate(data)
        except ValidationError as again:
            err = again
    return None


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _drop(data: Any, loc: tuple[str | int, ...]) -> None:
    """Remove the value at `loc` (or its nearest existing parent key) from plain data."""
    node: Any = data
    parents: list[tuple[Any, Any]] = []
    for part in loc:
        present = (
            part in node
            if isinstance(node, dict)
            else (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        )
        if not present:
            break
        parents.append((node, part))
        node = node[part]
    for container, part in reversed(parents):
        if isinstance(container, dict):
            del container[part]
            return


def validate_items(
    doc: Document, key: str, model: type[M], problems: list[Diagnostic], broken: set[str]
) -> tuple[list[M], dict[str, int]]:
    """Validate each item of the list `key` on its own so one bad item hides no other."""
    items = doc.data.get(key) if isinstance(doc.data, dict) else None
    if items is None:
        return [], {}
    if not isinstance(items, list):
        line, col = doc.locate((key,))
        problems.append(diagnostic("SP203", f"expected a list of {key}", doc.file, line, col, key))
        return [], {}
    valid: list[M] = []
    index: dict[str, int] = {}
    try:  # the common case in one call; item by item only to report what is wrong
        valid = _list_adapter(model).validate_python(items)
    except ValidationError:
        valid = []
    else:
        for i, obj in enumerate(valid):
            index.setdefault(obj.id, i)  # type: ignore[attr-defined]
        return valid, index
    for i, item in enumerate(items):
        try:
            obj = model.model_validate(item)
        except ValidationError as err:
            problems.extend(schema_diagnostics(doc, err, model, prefix=(key, i)))
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                broken.add(item["id"])
            continue
        valid.append(obj)
        index.setdefault(obj.id, i)  # type: ignore[attr-defined]
    return valid, index


@cache
def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def check_top_keys(doc: Document, allowed: Iterable[str], problems: list[Diagnostic]) -> None:
    if doc.data is None:
        return
    if not isinstance(doc.data, dict):
        line, col = doc.locate(())
        problems.append(
            diagnostic("SP203", "expected a mapping at the top of the file", doc.file, line, col)
        )
        return
    known = list(allowed)
    for key in doc.data:
        if key not in known:
            line, col = doc.locate((key,), key=True)
            problems.append(
                diagnostic(
                    "SP201",
                    f"unknown key {key!r}; expected one of {', '.join(known)}",
                    doc.file,
                    line,
                    col,
                    key,
                )
            )


def read_yaml_file(path: Path, problems: list[Diagnostic], marks: bool = True) -> Document:
    """A YAML file, parsed or from the cache. Without `marks`, positions are found again
    only when a diagnostic needs them (see Document): for the big org and territories."""
    raw = read_bytes(path, problems)
    name = display_name(path)
    if raw is None:
        return Document(name, None)
    entry = parse_cache.key("yaml" if marks else "yaml-plain", name, raw)
    doc = parse_cache.get(entry)
    if not isinstance(doc, Document):
        doc = parse_yaml(name, raw, marks)
        parse_cache.put(entry, replace(doc))  # a copy: this one's data is dropped after use
    problems.extend(doc.diagnostics)
    return doc


def load_metrics(path: Path, problems: list[Diagnostic]) -> list[MetricRow]:
    raw = read_bytes(path, problems)
    if raw is None:
        return []
    table = read_csv(display_name(path), raw)
    problems.extend(table.diagnostics)
    if table.header and table.header[0] != "id":
        problems.append(
            diagnostic(
                "SP112",
                "the first column of metrics.csv must be `id`",
                table.file,
                table.header_line,
                1,
            )
        )
        return []
    rows: list[MetricRow] = []
    names = [(i, name) for i, name in enumerate(table.header) if i and name]
    numbers: dict[str, Decimal] = {}  # one Decimal per cell text: metrics repeat
    file = table.file
    for row in table.rows:
        cells = row.values
        values = {}
        for i, name in names:
            if i >= len(cells):
                break  # a short row: the rest are empty
            text = cells[i]
            value = numbers.get(text)
            if value is None:
                if text == "":
                    continue
                value = parse_decimal(text.replace("_", ""))
                if value is None:
                    message = f"metric {name!r} of {cells[0]!r} is not a number: {text!r}; write plain digits"
                    column = table.cell_column(row.line, i)
                    problems.append(diagnostic("SP411", message, file, row.line, column))
                    continue
                numbers[text] = value
            values[name] = value
        rows.append(MetricRow(cells[0], values, file, row.line))
    return rows


def inputs_digest(paths: Iterable[Path]) -> str:
    """sha256 over the files that decide the allocation (absent files count as empty)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


Step = Callable[[str], None]  # told what is being read next, for a progress bar
STEPS = ("plan", "org", "metrics", "submissions", "territories", "quotas", "checks")


def _no_progress(what: str) -> None:
    pass


ALONGSIDE_REPS = 2000  # from this many reps, `defer` runs the reporting checks alongside


def load_plan(
    path: Path | str | None = None, step: Step = _no_progress, defer: bool = False
) -> Loaded:
    """Read, validate and check a plan. Raises PlanNotFound only when there is no plan.

    `step` is called with each of STEPS as it starts (a progress bar's hook). With `defer`,
    a big plan's checks that only report (checks.ALONGSIDE) run in a forked child while
    the caller computes: `Loaded.settle()` waits for them and adds what they found."""
    from salesplan.background import in_background
    from salesplan.checks import ALONGSIDE, run_checks

    plan_file = find_plan(Path(path) if path is not None else None)
    with gc_paused():  # a big plan is millions of objects that live as long as the plan
        loaded = read_plan(plan_file, step)
        plan = loaded.plan
        if plan is not None:
            step("checks")
            if defer and len(plan.org.reps) >= ALONGSIDE_REPS:
                loaded.pending = in_background(lambda: _checks_alongside(plan))
                loaded.diagnostics.extend(run_checks(plan, lambda c: c not in ALONGSIDE))
            else:
                loaded.diagnostics.extend(run_checks(plan))
            for doc in plan.documents.values():
                doc.drop_data()  # the models hold what the commands read
    loaded.diagnostics.sort(key=Diagnostic.sort_key)
    if loaded.pending is None:  # else capped once `settle` has added the rest
        loaded.diagnostics = capped(loaded.diagnostics)
    return loaded


def _checks_alongside(plan: Plan) -> list[Diagnostic]:
    from salesplan.checks import ALONGSIDE, run_checks

    # In the child, the documents still hold their data. Run here instead (no fork, or the
    # child failed), they are read again, with positions, from their bytes.
    for role, doc in plan.documents.items():
        if doc.data is None and doc.raw is not None:
            plan.documents[role] = doc.marked()
    return run_checks(plan, ALONGSIDE.__contains__)


def read_plan(plan_file: Path, step: Step = _no_progress) -> Loaded:
    """Read and validate the files of a plan, without the cross-file checks."""
    problems: list[Diagnostic] = []
    step("plan")
    plan_doc = read_yaml_file(plan_file, problems)
    settings = validate(plan_doc, PlanSettings, problems, salvage=True)
    if settings is None:
        return Loaded(None, problems)
    root = plan_file.parent
    files = settings.files
    plan = Plan(root=root, settings=settings, documents={"plan": plan_doc})

    territories_path = root / files.territories
    territories = _start_reading(territories_path)

    org_path = root / files.org
    step("org")
    if org_path.is_file():
        plan.documents["org"] = org_doc = read_yaml_file(org_path, problems, marks=False)
        check_top_keys(org_doc, Org.model_fields, problems)
        units, plan.unit_index = validate_items(org_doc, "units", Unit, problems, plan.broken_ids)
        reps, plan.rep_index = validate_items(org_doc, "reps", Rep, problems, plan.broken_ids)
        plan.org = Org(units=units, reps=reps)
    else:
        message = f"{files.org} is missing: the org (units and reps) lives there; create it or set files.org"
        problems.append(
            diagnostic(
                "SP101",
                message,
                display_name(plan_file),
                *plan_doc.locate(("files", "org")),
                "files.org",
            )
        )

    metrics_path = root / files.metrics
    step("metrics")
    if metrics_path.is_file():
        plan.metric_rows = load_metrics(metrics_path, problems)

    submissions_path = root / files.submissions
    step("submissions")
    if submissions_path.exists():
        plan.submissions = read_submissions(submissions_path, plan, problems)

    step("territories")
    if territories is not None:
        doc, found = territories()
        plan.documents["territories"] = doc
        problems.extend(found)
        check_top_keys(doc, ["territories"], problems)
        plan.territories, plan.territory_index = validate_items(
            doc, "territories", Territory, problems, plan.broken_ids
        )

    plan.digest = inputs_digest([plan_file, org_path, territories_path, metrics_path])
    quotas_path = root / files.quotas
    step("quotas")
    if quotas_path.is_file():
        read_quotas(plan, quotas_path, problems)
    return Loaded(plan, problems)


BACKGROUND_BYTES = 512 * 1024  # files above this are parsed in a forked child


def _read_yaml_alone(path: Path) -> tuple[Document, list[Diagnostic]]:
    found: list[Diagnostic] = []
    doc = read_yaml_file(path, found, marks=False)
    parse_cache.flush()  # in the background child: its new cache entry would be lost otherwise
    return doc, found


def _start_reading(path: Path) -> Callable[[], tuple[Document, list[Diagnostic]]] | None:
    """Start reading an optional YAML file: in the background when it is big."""
    from salesplan.background import in_background

    if not path.is_file():
        return None
    if path.stat().st_size < BACKGROUND_BYTES:
        result = _read_yaml_alone(path)
        return lambda: result
    return in_background(lambda: _read_yaml_alone(path))


def read_quotas(plan: Plan, path: Path, problems: list[Diagnostic]) -> None:
    """quotas.yaml: skipped when its checksums prove it is allocate's untouched output for
    these very inputs (then the allocation stands for it), or when its `inputs:` line shows
    it was written for other inputs (stale: SP415, the commands allocate afresh); otherwise
    parsed and checked."""
    from salesplan.quotas import stale_inputs, verified

    raw = read_bytes(path, problems)
    if raw is None:
        return
    plan.quotas_present = True
    if verified(raw, plan.digest):
        plan.quotas_verified = True
        return
    stale = stale_inputs(raw, plan.digest)
    if stale is not None:  # to be written again: what else it holds no longer matters
        plan.quotas_stale = Where(display_name(path), *stale)
        return
    plan.documents["quotas"] = doc = parse_yaml(display_name(path), raw)
    problems.extend(doc.diagnostics)
    plan.quotas = validate(doc, Quotas, problems)


def yaml_value(doc: Document, *path: str | int) -> Any:
    node: Any = doc.data
    for part in path:
        node = node[part]
    return node
