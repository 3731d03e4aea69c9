"""Scenarios (docs/design.md, "Scenarios"): a what-if as a small patch over the plan's files.

    # scenarios/aggressive.yaml
    scenario: aggressive
    description: Target +10%, two more hires
    changes:
      salesplan.yaml: {target: 26_400_000, capacity: {attainment: 0.8}}
      org.yaml:
        reps:
          - {id: ana, quota: 1_600_000}      # merged into rep ana
          - {id: tbh-9, name: New AE, parent: amer-ent, start: 2027-06-01, status: planned}
          - {id: dev, remove: true}

Mappings merge recursively (RFC 7396: `null` deletes a key); lists of records (items with an
`id`) merge by id: a new id is appended, `remove: true` deletes; any other list is replaced.
The loader applies the patch after parsing and before validation, so the patched plan is
validated and checked like any plan; a `PatchedDocument` knows, for every value, whether it
came from the plan file or from the scenario, and diagnostics point at that file's line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.reading.files import PlanNotFound, confined, display_name, read_file
from salesplan.source import Document, parse_yaml

SCENARIOS_DIR = "scenarios"
TOP_KEYS = ("scenario", "description", "changes")
PLAN_FILE = "salesplan.yaml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Loc = tuple[str | int, ...]
Origin = tuple[bool, Loc]  # (from the scenario file?, the path there)


class ScenarioNotFound(PlanNotFound):
    """`--scenario NAME` names no scenario file: a usage error (exit 2)."""


def scenario_names(root: Path) -> list[str]:
    """The scenarios of a plan: scenarios/*.yaml, by name."""
    folder = root / SCENARIOS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if _NAME.fullmatch(p.stem))


def unread_scenario_files(root: Path) -> list[Diagnostic]:
    """SP803 for each YAML file under scenarios/ that is no scenario, and so would be left
    out of `check` and `scenarios` without a word: a `.yml` suffix, or a name that is not
    letters, digits, `.`, `_` and `-` (a space, an accent, a bidi mark). Other files (a
    README) and hidden ones are none of its business."""
    folder = root / SCENARIOS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        stem, suffix = path.stem, path.suffix
        if path.name.startswith(".") or suffix.lower() not in (".yaml", ".yml"):
            continue
        if suffix == ".yaml" and _NAME.fullmatch(stem):
            continue
        if not _NAME.fullmatch(stem):
            why = "a scenario's name is letters, digits, '.', '_' and '-', starting with a letter or digit"
        else:
            why = "a scenario file ends in .yaml"
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")
        rename = f" to {name + '.yaml'!r}" if _NAME.fullmatch(name) else ""
        message = f"{path.name!r} is not read as a scenario: {why}; rename it{rename}"
        found.append(diagnostic("SP803", message, display_name(path), 1, 1))
    return found


@dataclass
class Scenario:
    """A scenario file, read and parsed: its name, description and changes per plan file."""

    name: str
    document: Document
    description: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)  # the file names patched so far

    @property
    def file(self) -> str:
        return self.document.file

    @property
    def raw(self) -> bytes:
        return self.document.raw or b""

    def patched(self, name: str, doc: Document, problems: list[Diagnostic]) -> Document:
        """`doc` (the plan file `name`) with this scenario's changes to it, if any."""
        patch = self.changes.get(name)
        self.applied.add(name)
        if patch is None or doc.data is None:
            return doc
        merge = _Merge(self.document, problems)
        data = merge.value(doc.data, patch, (), ("changes", name), ())
        return PatchedDocument(doc.file, data, raw=doc.raw, base=doc, scenario=self.document,
                               origins=merge.origins)  # fmt: skip

    def unknown_files(self, known: list[str]) -> list[Diagnostic]:
        """A change to a file that the plan does not read (or does not read as YAML)."""
        problems = []
        for name in self.changes:
            if name not in self.applied:
                file, line, column = self.document.place(("changes", name), key=True)
                expected = ", ".join(known)
                message = f"the plan has no file {name!r} to change; expected one of {expected}"
                problems.append(diagnostic("SP801", message, file, line, column, f"changes.{name}"))
        return problems


def read_scenario(root: Path, name: str, problems: list[Diagnostic]) -> Scenario | None:
    """The scenario `name` of the plan in `root`, its structure checked (problems at its
    lines); None when it cannot be parsed. Raises ScenarioNotFound when there is no such file."""
    place = confined(root, f"{SCENARIOS_DIR}/{name}.yaml") if _NAME.fullmatch(name) else None
    if isinstance(place, str):  # a symlink out of the plan: reported, never read
        file = display_name(root / SCENARIOS_DIR / f"{name}.yaml")
        problems.append(diagnostic("SP114", f"scenario {place}", file, 1, 1))
        return None
    if place is None or not os.path.lexists(place):  # a broken symlink is read: SP113
        known = ", ".join(scenario_names(root)) or f"none: add {SCENARIOS_DIR}/{name}.yaml"
        raise ScenarioNotFound(f"no scenario {name!r} in {display_name(root)} (scenarios: {known})")
    raw = read_file(place, problems)
    doc = parse_yaml(display_name(place), raw) if raw is not None else None
    if doc is None:
        return None
    problems.extend(doc.diagnostics)
    if doc.data is None:
        return None
    scenario = Scenario(name, doc)
    if not isinstance(doc.data, dict):
        problems.append(
            _at("SP203", "expected a mapping with scenario, description, changes", doc, ())
        )
        return scenario
    for key, value in doc.data.items():
        if key not in TOP_KEYS:
            message = f"unknown key {key!r}; expected one of {', '.join(TOP_KEYS)}"
            problems.append(_at("SP201", message, doc, (key,), key=True))
        elif key == "scenario" and value != name:
            message = (
                f"the scenario in {name}.yaml is named {value!r}; name it {name!r} like its file"
            )
            problems.append(_at("SP203", message, doc, (key,)))
        elif key == "description" and value is not None and not isinstance(value, str):
            problems.append(_at("SP203", "expected text for the description", doc, (key,)))
    scenario.description = doc.data.get("description") or ""
    changes = doc.data.get("changes")
    if changes is not None and not isinstance(changes, dict):
        message = "expected a mapping of plan files to their changes (salesplan.yaml: {...})"
        problems.append(_at("SP203", message, doc, ("changes",)))
        return scenario
    for file, patch in (changes or {}).items():
        if patch is not None and not isinstance(patch, dict):
            message = f"expected a mapping of the changes to {file} (keys of that file)"
            problems.append(_at("SP203", message, doc, ("changes", file)))
        elif patch is not None:
            scenario.changes[file] = patch
    return scenario


def _at(code: str, message: str, doc: Document, path: Loc, key: bool = False) -> Diagnostic:
    file, line, column = doc.place(path, key=key)
    dotted = ".".join(str(p) for p in path)
    return diagnostic(code, message, file, line, column, dotted)


class _Merge:
    """Merges a patch into a file's data, noting where each patched value came from.

    `origins` maps a path in the patched data to its origin when that is not the same path
    in the same file as its parent's (a value from the scenario, a record moved by a
    removal); everything else sits where it sat in the plan file."""

    def __init__(self, scenario: Document, problems: list[Diagnostic]) -> None:
        self.scenario = scenario
        self.problems = problems
        self.origins: dict[Loc, Origin] = {}

    def value(self, base: Any, patch: Any, path: Loc, at: Loc, origin: Loc) -> Any:
        """`base` (at `origin` in the plan file) patched by `patch` (at `at` in the
        scenario), as the value at `path` of the patched data."""
        if isinstance(patch, dict):
            if not isinstance(base, dict):
                self.origins[path] = (True, at)
                base = {}
            merged = dict(base)
            for key, change in patch.items():
                if change is None:
                    merged.pop(key, None)
                else:
                    child = base.get(key)
                    merged[key] = self.value(
                        child, change, (*path, key), (*at, key), (*origin, key)
                    )
            return merged
        if isinstance(patch, list) and merged_by_id(base, patch):
            if base is None:
                self.origins[path] = (True, at)
            return self.records(base or [], patch, path, at, origin)
        self.origins[path] = (True, at)
        return _without_nulls(patch)

    def records(
        self, base: list[Any], patch: list[Any], path: Loc, at: Loc, origin: Loc
    ) -> list[Any]:
        """A list of records merged by id: changed in place, appended, or removed."""
        changes: dict[str, tuple[int, dict[str, Any]]] = {}
        for k, item in enumerate(patch):
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                message = "each change to a list of records names the record's `id`"
                self.problems.append(_at("SP203", message, self.scenario, (*at, k)))
            elif item_id in changes:
                line = self.scenario.place((*at, changes[item_id][0]))[1]
                message = f"{item_id!r} is already changed on line {line}; make it one change"
                self.problems.append(_at("SP203", message, self.scenario, (*at, k, "id")))
            elif "remove" in item and item["remove"] is not True:
                message = "`remove:` takes `true` (delete the record) or is left out"
                self.problems.append(_at("SP203", message, self.scenario, (*at, k, "remove")))
            else:
                changes[item_id] = (k, item)
        merged: list[Any] = []
        for j, record in enumerate(base):
            record_id = record.get("id") if isinstance(record, dict) else None
            change = changes.pop(record_id, None) if isinstance(record_id, str) else None
            if change is not None and change[1].get("remove") is True:
                continue
            i = len(merged)
            if i != j or path != origin:
                moved = (*path, i)
                self.origins[moved] = (False, (*origin, j))
            if change is None:
                merged.append(record)
            else:
                k, item = change
                merged.append(self.value(record, item, (*path, i), (*at, k), (*origin, j)))
        for item_id, (k, item) in changes.items():
            if item.get("remove") is True:
                message = f"there is no {item_id!r} to remove; check the id"
                self.problems.append(_at("SP802", message, self.scenario, (*at, k, "id")))
                continue
            i = len(merged)
            added = (*path, i)
            self.origins[added] = (True, (*at, k))
            merged.append(_without_nulls(item))
        return merged


def merged_by_id(base: Any, patch: list[Any]) -> bool:
    """Whether a list is merged by id: the plan's list holds records with ids (or there is
    none yet and the patch's items all have ids); any other list is replaced whole."""
    if base is not None and not isinstance(base, list):
        return False
    items = base if base else patch
    return bool(items) and all(isinstance(item, dict) and "id" in item for item in items)


def _without_nulls(value: Any) -> Any:
    """A patch value placed where the plan has nothing: its `null`s delete nothing."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


@dataclass
class PatchedDocument(Document):
    """A plan file with a scenario's changes: positions of patched values are in the
    scenario file, of everything else in the plan file."""

    base: Document | None = field(default=None, repr=False, compare=False)
    scenario: Document | None = field(default=None, repr=False, compare=False)
    origins: dict[Loc, Origin] = field(default_factory=dict, repr=False, compare=False)

    def marked(self) -> Document:
        return self

    def origin(self, path: Loc) -> Origin:
        """Which file the value at `path` came from, and its path there."""
        patched, at = False, ()  # type: tuple[bool, Loc]
        for i, part in enumerate(path):
            found = self.origins.get(path[: i + 1])
            patched, at = found if found is not None else (patched, (*at, part))
        return patched, at

    def place(self, path: Loc, key: bool = False) -> tuple[str, int, int]:
        patched, at = self.origin(path)
        doc = self.scenario if patched else self.base
        assert doc is not None
        return doc.place(at, key=key)

    def locate(self, path: Loc, key: bool = False) -> tuple[int, int]:
        return self.place(path, key=key)[1:]
