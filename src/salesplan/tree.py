"""The org tree, built once: the root, units by level, reps under the level above `rep`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesplan.plan import Plan

ROOT_LEVEL = "company"
REP = "rep"


@dataclass(slots=True)
class Node:
    """A node of the tree. Every field is passed when it is made (no default factory, no
    __post_init__): build_tree makes 11,000 of them for 10,000 reps."""

    id: str
    level: str
    parent: str | None
    kind: str  # "root" | "unit" | "rep"
    depth: int
    children: list[str]
    is_rep: bool  # kind == "rep", read on every node of every pass


@dataclass
class Tree:
    """Only the well-formed part of the org: nodes whose parent chain reaches the root
    through the right levels. What is left out is reported by the checks."""

    root: str
    levels: list[str]  # level names below the root, top to bottom; the last is `rep`
    nodes: dict[str, Node]
    order: list[str]  # top-down, depth first (pre-order), siblings by id

    def __getitem__(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def top_down(self) -> Iterator[Node]:
        return map(self.nodes.__getitem__, self.order)

    def bottom_up(self) -> Iterator[Node]:
        return map(self.nodes.__getitem__, reversed(self.order))

    @cached_property
    def units(self) -> list[Node]:
        """The root and the units, top-down: the nodes that can have children (a tenth of
        the nodes of an org). Siblings share a level, so a unit's children are all reps or
        all units: the walks that work out reps by kind (`Productivity.kinds`) walk these."""
        return [node for node in self.top_down() if not node.is_rep]

    @cached_property
    def teams(self) -> list[list[str]]:
        """The reps of each unit that has reps, unit by unit, top-down: every rep of the
        tree, without a walk of every node (a unit's children are all reps or all units)."""
        nodes = self.nodes
        return [u.children for u in self.units if u.children and nodes[u.children[0]].is_rep]

    def reps_under(self, node_id: str) -> list[str]:
        """The reps in the subtree of `node_id`, in top-down order."""
        node = self.nodes[node_id]
        if node.is_rep:
            return [node_id]
        found: list[str] = []
        stack = [node_id]
        while stack:
            current = self.nodes[stack.pop()]
            for child in reversed(current.children):
                if self.nodes[child].is_rep:
                    found.append(child)
                else:
                    stack.append(child)
        return sorted(found, key=self.order_index.__getitem__)

    @property
    def order_index(self) -> dict[str, int]:
        cached: dict[str, int] | None = getattr(self, "_order_index", None)
        if cached is None:
            cached = {node_id: i for i, node_id in enumerate(self.order)}
            self._order_index = cached
        return cached

    def chain(self, node_id: str) -> list[str]:
        """The ids from the root down to `node_id`."""
        chain = [node_id]
        while (parent := self.nodes[chain[-1]].parent) is not None:
            chain.append(parent)
        return chain[::-1]

    def at_level(self, level: str) -> list[Node]:
        return [n for n in self.top_down() if n.level == level]


def build_tree(plan: Plan) -> Tree:
    levels = [level.name for level in plan.settings.levels]
    root_id = plan.settings.id
    parent_level = {name: (levels[i - 1] if i else ROOT_LEVEL) for i, name in enumerate(levels)}
    nodes: dict[str, Node] = {root_id: Node(root_id, ROOT_LEVEL, None, "root", 0, [], False)}
    pending: dict[str, list[tuple[str, str, str]]] = {}  # parent -> [(id, level, kind)]
    seen: set[str] = {root_id}
    for unit in plan.org.units:
        if unit.id in seen or unit.level not in parent_level or unit.level == REP:
            continue
        seen.add(unit.id)
        pending.setdefault(unit.parent or root_id, []).append((unit.id, unit.level, "unit"))
    for rep in plan.org.reps:
        if rep.id in seen or REP not in parent_level:
            continue
        seen.add(rep.id)
        pending.setdefault(rep.parent or root_id, []).append((rep.id, REP, "rep"))
    order: list[str] = []
    stack = [root_id]
    while stack:  # depth first, siblings by id: a parent is always listed before its children
        parent_id = stack.pop()
        order.append(parent_id)
        parent = nodes[parent_id]
        depth = parent.depth + 1
        for child_id, level, kind in sorted(pending.get(parent_id, ())):
            if parent_level.get(level) != parent.level:
                continue
            nodes[child_id] = Node(child_id, level, parent_id, kind, depth, [], kind == REP)
            parent.children.append(child_id)
        if any(child in pending for child in parent.children):
            stack.extend(reversed(parent.children))
        else:  # leaves only (a team's reps): listed now, not each pushed and popped
            order.extend(parent.children)
    return Tree(root_id, levels, nodes, order)
