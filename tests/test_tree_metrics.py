"""metrics.csv's rows, the org tree and the resolved metrics equal their plain readings on
random orgs (unknown parents, wrong levels, repeated ids, metrics given anywhere or nowhere,
repeated metrics.csv rows): the tree by its recursive definition, metrics.csv cell by cell,
the metrics with each source's names laid in a loop."""

from __future__ import annotations

from decimal import Decimal, localcontext
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from salesplan.diagnostics import Diagnostic
from salesplan.loading import _metric_problem, load_metrics
from salesplan.metrics import ZERO, resolve_metrics, split_metrics
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
    """The tree by its definition, recursively: each id's first valid entry (units, then
    reps; a level that is no level of the plan, or `rep` for a unit, is left out), and under
    each node, by id, the entries naming it as parent one level down."""
    levels = [level.name for level in plan.settings.levels]  # type: ignore[attr-defined]
    root_id = plan.settings.id  # type: ignore[attr-defined]
    above = {name: (levels[i - 1] if i else ROOT_LEVEL) for i, name in enumerate(levels)}
    entries: dict[str, tuple[str, str, str]] = {}  # id -> (level, parent, kind)
    for unit in plan.org.units:  # type: ignore[attr-defined]
        if unit.level in above and unit.level != REP:
            entries.setdefault(unit.id, (unit.level, unit.parent or root_id, "unit"))
    for rep in plan.org.reps if REP in above else ():  # type: ignore[attr-defined]
        entries.setdefault(rep.id, (REP, rep.parent or root_id, "rep"))
    entries.pop(root_id, None)
    nodes = {root_id: Node(root_id, ROOT_LEVEL, None, "root", 0, [], False)}
    order: list[str] = []

    def visit(node_id: str) -> None:
        order.append(node_id)
        node = nodes[node_id]
        for child_id in sorted(entries):
            level, parent, kind = entries[child_id]
            if parent == node_id and above[level] == node.level:
                nodes[child_id] = Node(
                    child_id, level, node_id, kind, node.depth + 1, [], kind == REP
                )
                node.children.append(child_id)
        for child_id in node.children:
            visit(child_id)

    visit(root_id)
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


SPLITS = st.sampled_from(["even", "capacity", "history", "x", {"history": 1, "potential": 2}])


def plainly(plan: SimpleNamespace, mode: str) -> None:
    """The plan as split_metrics sums it in C (`plain`): no metrics given in org.yaml or on
    a territory, every territory of its own rep (or of none), every territory with a
    potential and no rep's metrics.csv row with one; or all but one of these: a rep's row
    has a potential that hides its territory's (`hide`), a rep owns two territories (`two`)."""
    for rep in plan.org.reps:
        rep.metrics = {}
    in_tree = [node.id for node in build_tree(plan).nodes.values() if node.is_rep]  # type: ignore[arg-type]
    owners = list(dict.fromkeys([*in_tree, *(rep.id for rep in plan.org.reps)]))
    for i, territory in enumerate(plan.territories):
        territory.metrics = {}
        territory.owner = owners[i] if i < len(owners) else None
    if mode == "two" and len(plan.territories) > 1:
        plan.territories[-1].owner = plan.territories[0].owner
    for row in plan.metric_rows:
        if row.id in REPS and mode != "hide":
            row.values = {k: v for k, v in row.values.items() if k != "potential"}
    plan.metric_rows += [  # after any earlier row of the same id
        SimpleNamespace(id=f"t{i}", values={"potential": Decimal(i)}) for i in range(1, 5)
    ]
    if mode == "hide" and owners:  # the first territory's owner has its own potential
        plan.metric_rows.append(SimpleNamespace(id=owners[0], values={"potential": ZERO}))


@settings(max_examples=400, deadline=None)
@given(
    orgs(), st.lists(SPLITS, min_size=3, max_size=3), st.sampled_from(["", "plain", "hide", "two"])
)
def test_split_metrics_are_the_resolved_ones(
    plan: SimpleNamespace, splits: list[object], mode: str
) -> None:
    """split_metrics (no dict per rep; the reps' terms summed in C when nothing hides
    anything) gives every unit of the tree its metrics by the definition, and the reps
    theirs when the rep split reads a metric; no metrics.csv row changes."""
    for level, split in zip(plan.settings.levels, splits):
        level.split = split
    if mode:
        plainly(plan, mode)
    tree = build_tree(plan)  # type: ignore[arg-type]
    before = [dict(row.values) for row in plan.metric_rows]
    plan.tree = tree
    plan.metrics_by_id = Plan.metrics_by_id.func(plan)  # type: ignore[arg-type]
    plan.units_by_id = {u.id: u for u in plan.org.units}
    plan.reps_by_id = {r.id: r for r in plan.org.reps}
    plan.metrics = resolve_metrics(plan)  # type: ignore[arg-type]
    found = split_metrics(plan)  # type: ignore[arg-type]
    plain = plain_metrics(plan, tree)
    if any(lv.name == REP and lv.split not in ("even", "capacity") for lv in plan.settings.levels):
        assert found is plan.metrics
    else:
        assert set(found) == {n for n in tree.nodes if not tree[n].is_rep}
    for node_id, values in found.items():  # the same Decimals, exponent and sign too
        assert sorted(map(repr, values.items())) == sorted(map(repr, plain[node_id].items()))
    assert [row.values for row in plan.metric_rows] == before  # no row changed


def plain_load_metrics(file: str, raw: bytes) -> tuple[list[object], list[object]]:
    """load_metrics by its definition: every cell read on its own (no memory of cells met
    before), a blank one skipped, a bad one a problem after the file's own."""
    table, records = open_csv(file, raw)
    table.width = 1
    rows: list[object] = []
    cell_problems: list[object] = []
    for line, cells in records:
        row_id = cells[0].strip()
        values: dict[str, Decimal] = {}
        for i, name in enumerate(table.header[1 : len(cells)], start=1):
            if not name:
                continue  # a column without a name is not read
            number = read_number(cells[i].strip().replace("_", "")) if cells[i].strip() else None
            if isinstance(number, str):
                text = cells[i].strip()
                problem = _metric_problem(file, table.cell_at(line, i), name, row_id, text, number)
                cell_problems.append(problem)
            elif number is not None:
                values[name] = number
        rows.append(MetricRow(row_id, values, file, line))
    return rows, [*table.diagnostics, *cell_problems]


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


def test_metric_sums_are_exact_beyond_the_default_precision() -> None:
    """Two thousand metrics of 25 digits (the most a plan number has) sum to 29: the default
    context would round the sum, and how would depend on the order of the terms. Both
    readings give the exact sum."""
    big = Decimal("999999999999999.9999999999")
    reps = [SimpleNamespace(id=f"r{i:04}", parent="u2", metrics={}) for i in range(2000)]
    units = [
        SimpleNamespace(id="u0", level="region", parent=None, metrics={}),
        SimpleNamespace(id="u2", level="team", parent="u0", metrics={}),
    ]
    rows = [SimpleNamespace(id=r.id, values={"history": big - i}) for i, r in enumerate(reps)]
    plan = SimpleNamespace(
        settings=SimpleNamespace(
            id="root",
            levels=[SimpleNamespace(name=n, split="history") for n in ("region", "team")]
            + [SimpleNamespace(name=REP, split="capacity")],
        ),
        org=SimpleNamespace(units=units, reps=reps),
        territories=[],
        metric_rows=rows,
    )
    plan.tree = build_tree(plan)  # type: ignore[arg-type]
    plan.metrics_by_id = Plan.metrics_by_id.func(plan)  # type: ignore[arg-type]
    plan.units_by_id = {u.id: u for u in units}
    plan.reps_by_id = {r.id: r for r in reps}
    with localcontext(prec=60):
        exact = big * 2000 - sum(range(2000))
    assert len(exact.as_tuple().digits) == 29
    for metrics in (resolve_metrics(plan), split_metrics(plan)):  # type: ignore[arg-type]
        assert metrics["u2"]["history"] == exact
        assert metrics["u0"]["history"] == exact
