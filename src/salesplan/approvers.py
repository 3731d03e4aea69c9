"""Who must approve a change of the plan (docs/design.md): from the owners whose numbers moved.

The rule: a change of a node's quota is approved by the owner of its parent (who split that
pool); a change of the target or of any other plan setting, by the root's owner (`owner:` in
salesplan.yaml); a change of a unit's `owner:`, by the owner of the unit's parent (who hands
that pool to someone). A node that moved to another parent needs the owners of both.

Owners are read from the old side of the change (the base branch), so a change cannot name
its own approvers; only a unit that is new in the change takes its owner from the new side.
An `owner:` that is a list names alternates: an approval by any one of them is enough.

`approvals(old, new, diff)` returns an `Approvals` record; pass a `diff.select`ed diff to
leave small quota moves out. Pure: no I/O, no printing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salesplan.diff import ZERO, Change, PlanDiff, Value, relative
from salesplan.owners import owner_key, owners_of

if TYPE_CHECKING:
    from salesplan.plan import Plan

SETTING, QUOTA, OWNER = "setting", "quota", "owner"


@dataclass(frozen=True, slots=True)
class Item:
    """One change that needs an approval: a quota (`id` is the node), a setting (`id` is its
    name, e.g. `target` or `levels.team.over_assign`) or a unit's owner."""

    kind: str  # quota | setting | owner
    id: str
    level: str | None
    old: Value
    new: Value
    delta: Decimal | int | None
    measure: str  # as Change.measure: money, ratio, number, count, text
    depth: int = 0  # the node's depth in the tree, for indentation

    @property
    def relative(self) -> Decimal | None:
        return relative(self.old, self.delta)


@dataclass(frozen=True, slots=True)
class Approver:
    """One `owner:` value and what it must approve. `owners` has one name, or several
    alternates (a list in the plan) of whom any one may approve."""

    owners: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def owner(self) -> str:
        return self.owners[0]

    @property
    def alternates(self) -> tuple[str, ...]:
        return self.owners[1:]

    def approved_by(self, given: Iterable[str]) -> bool:
        keys = {owner_key(g) for g in given}
        return any(owner_key(o) in keys for o in self.owners)


@dataclass(frozen=True)
class Approvals:
    old_label: str
    new_label: str
    currency: str
    exponent: int
    approvers: tuple[Approver, ...]
    unowned: tuple[Item, ...]  # changes whose parent (or root) has no owner
    uses_owners: bool  # either plan names at least one owner

    @property
    def items(self) -> int:
        """How many distinct changes need an approval (owned or not)."""
        keys = {(i.kind, i.id) for a in self.approvers for i in a.items}
        return len(keys | {(i.kind, i.id) for i in self.unowned})

    def missing(self, given: Iterable[str]) -> tuple[Approver, ...]:
        """The approvers none of whose owners is among `given` (approvals by name)."""
        given = list(given)
        return tuple(a for a in self.approvers if not a.approved_by(given))


class Ownership:
    """Parents and owners of the nodes of both sides, the old side first."""

    def __init__(self, old: Plan, new: Plan) -> None:
        self.old, self.new = old, new
        self.known: dict[str, tuple[str, ...]] = {}  # owners by unit, looked up once each

    def root_owners(self) -> tuple[str, ...]:
        return owners_of(self.old.settings.owner)

    def owners(self, node_id: str) -> tuple[str, ...]:
        """The owners of a unit or the root, from the old side when it is there."""
        if (found := self.known.get(node_id)) is None:
            found = self.known[node_id] = self._owners(node_id)
        return found

    def _owners(self, node_id: str) -> tuple[str, ...]:
        if node_id in (self.old.settings.id, self.new.settings.id):
            return self.root_owners()
        for plan in (self.old, self.new):
            if node_id in plan.tree:
                unit = plan.units_by_id.get(node_id)
                return owners_of(unit.owner) if unit is not None else ()
        return ()

    def parents(self, node_id: str) -> list[str]:
        """The node's parent on each side: one, or two when it moved."""
        before, after = self.old.tree.nodes.get(node_id), self.new.tree.nodes.get(node_id)
        old = before.parent if before is not None else None
        new = after.parent if after is not None else None
        return [p for p in (old, new if new != old else None) if p is not None]

    def approvers_of(self, item: Item) -> list[tuple[str, ...]]:
        if item.kind == SETTING:
            return [self.root_owners()]
        parents = self.parents(item.id)
        if not parents:  # the root's own quota: the target
            return [self.root_owners()]
        return [self.owners(p) for p in parents]

    def any_owner(self) -> bool:
        plans = (self.old, self.new)
        return any(p.settings.owner for p in plans) or any(
            u.owner for p in plans for u in p.org.units
        )


def setting_items(changes: Sequence[Change]) -> Iterator[Item]:
    for c in changes:
        if c.entity == "plan":
            name = c.field or ""
        elif c.entity == "level":
            name = f"levels.{c.id}" + (f".{c.field}" if c.field else "")
        else:
            continue
        yield Item(SETTING, name, None, c.old, c.new, c.delta, c.measure)


def quota_items(diff: PlanDiff, skip_root: str | None) -> Iterator[Item]:
    """One item per node whose total or phasing moved (after any `select`)."""
    for node_id in dict.fromkeys(c.id for c in diff.changes if c.entity == "quota"):
        if node_id == skip_root:
            continue
        info = diff.nodes[node_id]
        delta = (info.new_total or ZERO) - (info.old_total or ZERO)
        yield Item(
            QUOTA, node_id, info.level, info.old_total, info.new_total, delta, "money", info.depth
        )


def owner_items(diff: PlanDiff) -> Iterator[Item]:
    """Changes of a unit's owners; the same owners in another order or case are none."""
    for c in diff.changes:
        if c.entity == "unit" and c.field == "owner" and _owner_set(c.old) != _owner_set(c.new):
            info = diff.nodes.get(c.id)
            level = info.level if info else None
            yield Item(OWNER, c.id, level, c.old, c.new, None, "text", info.depth if info else 0)


def _owner_set(value: Any) -> frozenset[str]:
    return frozenset(owner_key(o) for o in owners_of(value))


def approvals(old: Plan, new: Plan, diff: PlanDiff) -> Approvals:
    """Who must approve each change in `diff` (the diff of `old` and `new`)."""
    ownership = Ownership(old, new)
    settings = list(setting_items(diff.changes))
    # The root's quota is the target: when the target changed, its setting says it.
    skip_root = new.settings.id if any(i.id == "target" for i in settings) else None
    items = [*settings, *quota_items(diff, skip_root), *owner_items(diff)]
    groups: dict[frozenset[str], tuple[tuple[str, ...], list[Item]]] = {}
    unowned: list[Item] = []
    for item in items:
        wanted = ownership.approvers_of(item)
        found = [owners for owners in wanted if owners]
        if len(found) < len(wanted) or not found:
            unowned.append(item)
        for owners in found:
            key = frozenset(owner_key(o) for o in owners)
            groups.setdefault(key, (owners, []))[1].append(item)
    return Approvals(
        diff.old_label,
        diff.new_label,
        diff.currency,
        diff.exponent,
        tuple(Approver(owners, tuple(found)) for owners, found in groups.values()),
        tuple(unowned),
        ownership.any_owner(),
    )
