"""Promote a scenario (`salesplan scenarios apply NAME`): write its changes into the plan
files, keeping their comments and layout where an edit is a value change, so that the pull
request shows a normal diff.

Both the plan files and the scenario are read with ruamel.yaml's round-trip loader (imported
here only): a value keeps the form the scenario wrote it in (`14_080_000`, `0.8`), a new
record the flow or block style it has there. The changes are merged by the same rules as
the loader's (scenarios.py); the scenario is checked first, every file is written
atomically, and quotas.yaml, when the plan has one, is written anew from the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesplan.fsutil import write_atomic
from salesplan.loading import load_plan
from salesplan.plan import Plan
from salesplan.reading.files import find_plan
from salesplan.scenarios import PLAN_FILE, SCENARIOS_DIR, merged_by_id
from salesplan.whatif import ScenarioError


@dataclass(frozen=True)
class Applied:
    written: tuple[Path, ...]  # the plan files changed, then quotas.yaml if written
    removed: Path | None  # the scenario file, now part of the plan


def apply_scenario(path: Path | str | None, name: str, keep: bool = False) -> Applied:
    """Write scenario `name` into the plan's files (and remove the scenario file unless
    `keep`). Raises ScenarioError, changing nothing, when the patched plan has errors."""
    from salesplan.quotas import quotas_yaml

    loaded = load_plan(path, scenario=name)
    if loaded.plan is None or loaded.blocking:
        raise ScenarioError(name, loaded.diagnostics)
    plan = loaded.plan
    root = find_plan(Path(path) if path is not None else None).parent
    scenario_file = root / SCENARIOS_DIR / f"{name}.yaml"
    yaml = _yaml()
    changes = yaml.load(scenario_file.read_text(encoding="utf-8-sig")).get("changes") or {}
    texts: dict[Path, bytes] = {}
    for file, patch in changes.items():
        if patch is not None:  # `file` is salesplan.yaml or a YAML file of files: (checked)
            target = root / file
            texts[target] = _patched(target.read_text(encoding="utf-8-sig"), patch)
    originals = {target: target.read_bytes() for target in texts}
    for target, text in texts.items():
        write_atomic(target, text)
    if not _reproduces(root, plan):
        for target, text in originals.items():
            write_atomic(target, text)
        raise ValueError(
            f"scenarios apply {name}: the files written would not read back as the scenario's "
            "plan; nothing was changed (please report this with the scenario file)"
        )
    written = list(texts)
    quotas = root / plan.settings.files.quotas
    if quotas.exists():
        write_atomic(quotas, quotas_yaml(plan.allocation, _digest(root)).encode())
        written.append(quotas)
    if not keep:
        scenario_file.unlink()
    return Applied(tuple(written), None if keep else scenario_file)


def _reproduces(root: Path, scenario: Plan) -> bool:
    """Whether the plan now written reads back as the scenario's plan, model for model."""
    after = load_plan(root).plan
    return (
        after is not None
        and after.settings == scenario.settings
        and after.org == scenario.org
        and after.territories == scenario.territories
    )


def _digest(root: Path) -> str:
    """The inputs digest of the plan as it is now written (the base, no scenario)."""
    from salesplan.loading import read_plan

    loaded = read_plan(root / PLAN_FILE)
    return loaded.plan.digest if loaded.plan is not None else ""


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, key order, flow style and scalar forms kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _patched(text: str, patch: Any) -> bytes:
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, offset = load_yaml_guess_indent(text)
    if indent is None or offset is None:  # nothing to guess from: salesplan's own style
        indent, offset = 4, 2
    yaml = _yaml()
    # `indent` is where a sequence item's content starts, `offset` where its dash is
    yaml.indent(mapping=max(indent - offset, 2), sequence=indent, offset=offset)
    data = yaml.load(text)  # loaded again by the configured loader (comments attached)
    _merge(data, patch)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue().encode("utf-8")


def _merge(node: Any, patch: Any) -> None:
    """RFC 7396 into a round-trip mapping; lists of records by id (as scenarios.py)."""
    for key, change in patch.items():
        current = node.get(key)
        if change is None:
            if key in node:
                del node[key]
        elif isinstance(change, dict) and isinstance(current, dict):
            _merge(current, change)
        elif isinstance(change, list) and merged_by_id(current, change):
            if current is None:
                node[key] = current = type(change)()
            _merge_records(current, change)
        else:
            node[key] = _without_nulls(change)


def _merge_records(records: Any, patch: list[Any]) -> None:
    index = {r.get("id"): i for i, r in enumerate(records) if isinstance(r, dict)}
    removed = []
    for item in patch:
        i = index.get(item["id"])
        if item.get("remove") is True:
            removed.append(i)
        elif i is None:
            records.append(_without_nulls(item))
        else:
            _merge(records[i], item)
    for i in sorted((i for i in removed if i is not None), reverse=True):
        del records[i]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for v in value.values():
            _without_nulls(v)
    return value
