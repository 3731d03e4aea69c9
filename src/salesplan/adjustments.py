"""adjustments.yaml (docs/design.md, "Plan files"): accepted changes, kept as pins.

`reconcile --accept` writes the proposal's changed nodes here; each entry is a pin exactly
like `quota:` in org.yaml, so `allocate` then reproduces the accepted proposal. Reading the
file, the plan's pins from both places, and the checks on them live here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from salesplan.money import fmt_amount
from salesplan.source import resolve_plain

if TYPE_CHECKING:
    from salesplan.diagnostics import Diagnostic, Where
    from salesplan.plan import Plan


class AdjustedPin(NamedTuple):
    """One pin of adjustments.yaml and where its quota is written."""

    id: str
    quota: Decimal
    reason: str | None
    where: Where
    id_at: Where


def inside(path: Path, root: Path) -> bool:
    """Whether `path` (symlinks followed) stays inside the plan folder `root`."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def read_adjustments(
    path: Path, problems: list[Diagnostic], read: dict[str, bytes] | None = None
) -> list[AdjustedPin]:
    """The pins of adjustments.yaml, with their positions; its problems (YAML, schema) are
    added to `problems`. When it holds pins, its bytes go into `read` (what decides the
    allocation, for the inputs digest)."""
    from salesplan.diagnostics import Where
    from salesplan.model import Adjustments
    from salesplan.reading.files import display_name, read_file
    from salesplan.source import parse_yaml
    from salesplan.validation import check_top_keys, validate

    raw = read_file(path, problems)
    if raw is None:
        return []
    doc = parse_yaml(display_name(path), raw)
    problems.extend(doc.diagnostics)
    check_top_keys(doc, Adjustments.model_fields, problems)
    adjustments = validate(doc, Adjustments, problems)
    if adjustments is None:
        return []
    if read is not None and adjustments.pins:
        read["adjustments"] = doc.raw or b""
    pins = []
    for i, pin in enumerate(adjustments.pins):
        quota_at = Where(doc.file, *doc.locate(("pins", i, "quota")))
        id_at = Where(doc.file, *doc.locate(("pins", i, "id")))
        pins.append(AdjustedPin(pin.id, pin.quota, pin.reason, quota_at, id_at))
    return pins


def org_pins(plan: Plan) -> dict[str, Decimal]:
    """The pins written as `quota:` in org.yaml."""
    pins = {u.id: u.quota for u in plan.org.units if u.quota is not None}
    pins.update({r.id: r.quota for r in plan.org.reps if r.quota is not None})
    return pins


def plan_pins(plan: Plan) -> dict[str, Decimal]:
    """Every pin of the plan: org.yaml's `quota:` and adjustments.yaml's (docs/design.md, "Top-down allocation")."""
    pins = org_pins(plan)
    for pin in plan.adjustments:
        pins.setdefault(pin.id, pin.quota)
    return pins


def pin_where(plan: Plan, node_id: str) -> Where:
    """Where a node's pin is written: adjustments.yaml, else its `quota:` in org.yaml."""
    for pin in plan.adjustments:
        if pin.id == node_id and node_id not in org_pins(plan):
            return pin.where
    return plan.at_node(node_id, "quota")


def check_adjustments(plan: Plan) -> Iterator[Diagnostic]:
    """Pins for nodes the plan does not have, and nodes pinned twice."""
    from salesplan.diagnostics import did_you_mean, report

    if not plan.adjustments:
        return
    pinned = org_pins(plan)
    tree = plan.tree
    seen: dict[str, AdjustedPin] = {}
    for pin in plan.adjustments:
        if pin.id not in tree or pin.id == tree.root:
            hint = did_you_mean(pin.id, (n for n in tree.nodes if n != tree.root))
            message = f"adjustment pins {pin.id!r}, which is not a unit or rep of the plan{hint}"
            yield report("SP314", message, pin.id_at, pin.id)
        elif pin.id in pinned:
            where = plan.at_node(pin.id, "quota")
            message = (
                f"{pin.id!r} is pinned both here and in {where.file} (line {where.line}); "
                "keep one pin"
            )
            yield report("SP420", message, pin.id_at, pin.id)
        elif pin.id in seen:
            message = (
                f"{pin.id!r} is already pinned on line {seen[pin.id].id_at.line}; keep one pin"
            )
            yield report("SP420", message, pin.id_at, pin.id)
        seen.setdefault(pin.id, pin)


def adjustments_yaml(pins: Iterable[tuple[str, Decimal, str | None]], exponent: int) -> str:
    """The text of adjustments.yaml: one pin per line, in the order given."""
    lines = [
        "# Accepted changes: pins like `quota:` in org.yaml, kept exactly by `salesplan allocate`.",
        "# Written by `salesplan reconcile --accept`; edit by hand if you must.",
        "pins:",
    ]
    for node_id, quota, reason in pins:
        name = node_id if resolve_plain(node_id) == node_id else json.dumps(node_id)
        text = f"  - {{id: {name}, quota: {fmt_amount(quota, exponent)}"
        if reason:
            text += f", reason: {json.dumps(reason, ensure_ascii=False)}"
        lines.append(text + "}")
    if len(lines) == 3:
        lines[-1] = "pins: []"
    return "\n".join(lines) + "\n"
