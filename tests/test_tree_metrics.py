"""metrics.csv's rows, the org tree and the resolved metrics equal their plain readings (one node pushed and
popped at a time; each source's names laid in a loop) on random orgs: unknown parents,
wrong levels, repeated ids, metrics given anywhere or nowhere, repeated metrics.csv rows."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from salesplan.diagnostics import Diagnostic
from salesplan.loading import _metric_problem, load_metrics
from salesplan.metrics import ZERO, resolve_metrics
from salesplan.plan import MetricRow, Plan
from salesplan.tables import open_csv, read_number
from salesplan.tree import REP, ROOT_LEVEL, Node, Tree, build_tree

LEVELS = ["region", "team", REP]
UNITS = ["u0", "u1", "u2", "u3", "u4"]
REPS = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "u0"]  # u0: an id used twice
NAMES = ["history", "potential", "x"]
AMOUNTS = st.sampled_from(
    [Decimal(0), Decimal("-0"), Decimal("1.50"), Decimal("5E+3"), Decimal(7), Decimal("0.001")]
)
METRICS = st.dictionaries(st.sampled_from(NAMES), AMOUNTS, max_size=3)


def plain_tree(plan: object) -> Tree:
    """build_tree as it was: every node pushed and popped, a Node made then its is_rep."""
    levels = [level.name for level in plan.settings.levels]  # type: ignore[attr-defined]
    root_id = plan.settings.id  # type: ignore[attr-defined]
    parent_level = {name: (levels[i - 1] if i else ROOT_LEVEL) for i, name in enumerate(levels)}
    nodes = {root_id: Node(root_id, ROOT_LEVEL, None, "root", 0, [], False)}
    pending: dict[str, list[tuple[str, str, str]]] = {}
    seen = {root_id}
    for unit in plan.org.units:  # type: ignore[attr-defined]
        if unit.id in seen or unit.level not in parent_level or unit.level == REP:
            continue
        seen.add(unit.id)
        pending.setdefault(unit.parent or root_id, []).append((unit.id, unit.level, "unit"))
    for rep in plan.org.reps:  # type: ignore[attr-defined]
        if rep.id in seen or REP not in parent_level:
            continue
        seen.add(rep.id)
        pending.setdefault(rep.parent or root_id, []).append((rep.id, REP, "rep"))
    order: list[str] = []
    stack = [root_id]
    while stack:
        parent_id = stack.pop()
        order.append(parent_id)
        parent = nodes[parent_id]
        for child_id, level, kind in sorted(pending.get(parent_id, ())):
            if parent_level.get(level) != parent.level:
                continue
            node = Node(child_id, level, parent_id, kind, parent.depth + 1, [], kind == REP)
            nodes[child_id] = node
            parent.children.append(child_id)
        stack.extend(reversed(parent.children))
    return Tree(root_id, levels, nodes, order)


def plain_metrics(plan: object, tree: Tree) -> dict[str, dict[str, Decimal]]:
    """resolve_metrics as it was: a node's sources merged, then each owned or summed name
    the node lacks added in a loop."""
    csv: dict[str, dict[str, Decimal]] = {}
    for row in plan.metric_rows:  # type: ignore[attr-defined]
        csv.setdefault(row.id, {}).update(row.values)
    owned: dict[str, dict[str, Decimal]] = {}
    for territory in plan.territories:  # type: ignore[attr-defined]
        if territory.owner is None:
            continue
        values = {**csv.get(territory.id, {}), **territory.metrics}
        bucket = owned.setdefault(territory.owner, {})
        for name, value in values.items():
            bucket[name] = bucket.get(name, ZERO) + value
    units = {u.id: u for u in plan.org.units}  # type: ignore[attr-defined]
    reps = {r.id: r for r in plan.org.reps}  # type: ignore[attr-defined]
    resolved: dict[str, dict[str, Decimal]] = {}
    for node in tree.bottom_up():
        model = reps.get(node.id) if node.is_rep else units.get(node.id)
        values = {**csv.get(node.id, {}), **(model.metrics if model is not None else {})}
        found: dict[str, Decimal] = {}
        if node.is_rep:
            found = owned.get(node.id, {})
        else:
            for child in node.children:
                for name, value in resolved[child].items():
                    found[name] = found.get(name, ZERO) + value
        for name, value in found.items():
            values.setdefault(name, value)
        resolved[node.id] = values
    return resolved


@st.composite
def orgs(draw: st.DrawFn) -> SimpleNamespace:
    parents = st.sampled_from([None, *UNITS, "u2", "u3", "nowhere", "r0"])

    def unit(uid: str, level: str, parent: str | None) -> SimpleNamespace:
        return SimpleNamespace(id=uid, level=level, parent=parent, metrics=draw(METRICS))

    skeleton = [unit("u0", "region", None), unit("u1", "region", None)]
    skeleton += [unit("u2", "team", "u0"), unit("u3", "team", "u1"), unit("u4", "team", None)]
    strays = st.builds(
        SimpleNamespace,
        id=st.sampled_from(UNITS),
        level=st.sampled_from([*LEVELS, "other"]),
        parent=parents,
        metrics=METRICS,
    )
    units = draw(st.permutations(skeleton + draw(st.lists(strays, max_size=3))))
    reps = draw(
        st.lists(
            st.builds(SimpleNamespace, id=st.sampled_from(REPS), parent=parents, metrics=METRICS),
            max_size=12,
        )
    )
    territories = draw(
        st.lists(
            st.builds(
                SimpleNamespace,
                id=st.sampled_from(["t1", "t2", "t3", "t4"]),
                owner=st.sampled_from([None, *REPS, "u1"]),
                metrics=METRICS,
            ),
            max_size=6,
        )
    )
    rows = draw(
        st.lists(
            st.builds(
                SimpleNamespace,
                id=st.sampled_from([*UNITS, *REPS, "t1", "t2", "root"]),
                values=METRICS,
            ),
            max_size=10,
        )
    )
    levels = [SimpleNamespace(name=name) for name in draw(st.sampled_from([LEVELS, LEVELS[1:]]))]
    return SimpleNamespace(
        settings=SimpleNamespace(id="root", levels=levels),
        org=SimpleNamespace(units=units, reps=reps),
        territories=territories,
        metric_rows=rows,
    )


@settings(max_examples=300, deadline=None)
@given(orgs())
def test_tree_and_metrics_equal_their_plain_readings(plan: SimpleNamespace) -> None:
    tree = build_tree(plan)  # type: ignore[arg-type]
    plain = plain_tree(plan)
    assert tree.order == plain.order
    assert tree.nodes == plain.nodes
    before = [dict(row.values) for row in plan.metric_rows]
    plan.tree = tree
    plan.metrics_by_id = Plan.metrics_by_id.func(plan)  # type: ignore[arg-type]
    plan.units_by_id = {u.id: u for u in plan.org.units}
    plan.reps_by_id = {r.id: r for r in plan.org.reps}
    resolved = resolve_metrics(plan)  # type: ignore[arg-type]
    plain_resolved = plain_metrics(plan, tree)
    assert list(resolved) == list(plain_resolved)
    for node_id, values in resolved.items():  # the same Decimals, exponent and sign too
        assert sorted(map(repr, values.items())) == sorted(
            map(repr, plain_resolved[node_id].items())
        )
    assert [row.values for row in plan.metric_rows] == before  # no row changed


def plain_load_metrics(file: str, raw: bytes) -> tuple[list[object], list[object]]:
    """load_metrics as it was: every blank cell stripped, every row its NamedTuple's call."""
    problems: list[object] = []
    table, records = open_csv(file, raw)
    table.width = 1
    rows: list[object] = []
    cell_problems: list[object] = []
    names = [(i, name) for i, name in enumerate(table.header) if i and name]
    numbers: dict[str, Decimal] = {}
    for line, cells in records:
        row_id = cells[0].strip()
        values: dict[str, Decimal] = {}
        for i, name in names:
            if i >= len(cells):
                break
            value = numbers.get(cells[i])
            if value is None:
                text = cells[i].strip()
                if text == "":
                    continue
                number = read_number(text.replace("_", ""))
                if isinstance(number, str):
                    at = table.cell_at(line, i)
                    cell_problems.append(_metric_problem(file, at, name, row_id, text, number))
                    continue
                numbers[cells[i]] = value = number
            values[name] = value
        rows.append(MetricRow(row_id, values, file, line))
    problems.extend(table.diagnostics)
    problems.extend(cell_problems)
    return rows, problems


CELLS = st.sampled_from(["", " ", "  ", "12", " 12", "1_000", "-0", "x", "1e999", "5.50", "7"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=8))
def test_load_metrics_equals_its_plain_reading(table: list[list[str]]) -> None:
    text = "id,history,potential\n" + "".join(
        f"r{i}," + ",".join(cells) + "\n" for i, cells in enumerate(table)
    )
    problems: list[Diagnostic] = []
    rows = load_metrics("metrics.csv", text.encode(), problems)
    plain_rows, plain_problems = plain_load_metrics("metrics.csv", text.encode())
    assert repr(rows) == repr(plain_rows)
    assert problems == plain_problems
    assert all(type(row) is MetricRow for row in rows)
