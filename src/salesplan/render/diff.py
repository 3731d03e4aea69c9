"""Views of a plan diff: grouped, coloured tables for the terminal; the JSON document of
docs/design.md, "Plan files"; Markdown for a pull-request comment (a summary line, then a table per group,
long groups folded in `<details>`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import IO, Any

from salesplan.diff import Change, PlanDiff, measure_of
from salesplan.escape import printable
from salesplan.render import json as j
from salesplan.render.markdown import escape
from salesplan.render.markdown import table as markdown_table
from salesplan.render.output import Format
from salesplan.render.table import HIGH, LOW, Cell, Column, ResultTable, percent, points
from salesplan.words import counted

FOLD_AFTER = 15  # Markdown groups with more rows than this are folded
DASH = "–"


@dataclass(frozen=True)
class Group:
    title: str
    entities: tuple[str, ...]
    build: Callable[[PlanDiff, list[Change]], ResultTable]


# ---- values for people


def money(value: Decimal, exponent: int, sign: bool = False) -> str:
    quantized = value.quantize(Decimal(1).scaleb(-exponent))
    return f"{quantized:+,}" if sign else f"{quantized:,}"


def value_text(value: Any, measure: str, exponent: int) -> str:
    if value is None:
        return DASH
    if isinstance(value, dict):
        return ", ".join(
            f"{k}: {value_text(v, measure_of(k, v), exponent)}"
            for k, v in value.items()
            if v is not None
        )
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if measure == "money":
        return money(Decimal(value), exponent)
    if measure == "ratio":
        return percent(Decimal(value))
    if measure == "number":
        return f"{Decimal(value):,}"
    return str(value)


def delta_text(change: Change, exponent: int) -> str:
    delta = change.delta
    if delta is None:
        return ""
    if change.measure == "money":
        return money(Decimal(delta), exponent, sign=True)
    if change.measure == "ratio":
        return points(Decimal(delta))
    if change.measure == "number":
        return f"{Decimal(delta):+,}"
    return f"{delta:+}"


def percent_text(change: Change) -> str:
    relative = change.relative
    return "" if relative is None else percent(relative, sign=True)


# ---- the tables, one per group


def _changes_table(title: str, id_header: str, field_header: str | None) -> ResultTable:
    columns = [Column("change", priority=LOW), Column(id_header, priority=HIGH)]
    columns += [Column(field_header, priority=HIGH)] if field_header else []
    columns += [Column("old", True, HIGH), Column("new", True, HIGH)]
    columns += [Column("delta", True, HIGH, signed=True)]
    return ResultTable(title, columns, name=title.split()[0].lower())


def settings_table(diff: PlanDiff, changes: list[Change]) -> ResultTable:
    table = _changes_table("Plan settings", "setting", None)
    for c in changes:
        name = (
            c.field if c.entity == "plan" else f"levels.{c.id}" + (f".{c.field}" if c.field else "")
        )
        table.add([c.kind, name or "", *_values(c, diff.exponent)])
    return table


def records_table(title: str, id_header: str) -> Callable[[PlanDiff, list[Change]], ResultTable]:
    def build(diff: PlanDiff, changes: list[Change]) -> ResultTable:
        table = _changes_table(title, id_header, "field")
        for c in changes:
            table.add([c.kind, c.id, c.field or "", *_values(c, diff.exponent)])
        return table

    return build


def amounts_table(
    title: str, id_header: str, field_header: str | None
) -> Callable[[PlanDiff, list[Change]], ResultTable]:
    def build(diff: PlanDiff, changes: list[Change]) -> ResultTable:
        table = _changes_table(title, id_header, field_header)
        table.columns.append(Column("%", True, LOW, signed=True))
        for c in changes:
            field = [c.field or ""] if field_header else []
            table.add([c.kind, c.id, *field, *_values(c, diff.exponent), percent_text(c)])
        return table

    return build


def _values(change: Change, exponent: int) -> list[str]:
    return [
        value_text(change.old, change.measure, exponent),
        value_text(change.new, change.measure, exponent),
        delta_text(change, exponent),
    ]


def quotas_table(diff: PlanDiff, changes: list[Change]) -> ResultTable:
    """One row per node that moved: its total before and after, then the move per period."""
    periods = [p for p in diff.periods if any(c.field == p for c in changes)]
    columns = [Column("node", priority=HIGH), Column("level", priority=LOW)]
    columns += [Column("old", True, HIGH), Column("new", True, HIGH)]
    columns += [Column("delta", True, HIGH, signed=True), Column("%", True, signed=True)]
    columns += [Column(f"{p} delta", True, LOW, signed=True) for p in periods]
    table = ResultTable("Quotas, allocated top-down", columns, name="quotas")
    by_node: dict[str, dict[str, Change]] = {}
    for c in changes:
        by_node.setdefault(c.id, {})[c.field or ""] = c
    for node_id, moves in by_node.items():
        info = diff.nodes[node_id]
        total = moves.get("total")
        old = DASH if info.old_total is None else money(info.old_total, diff.exponent)
        new = DASH if info.new_total is None else money(info.new_total, diff.exponent)
        cells: list[Cell] = [node_id, info.level, old, new]
        cells += [delta_text(total, diff.exponent), percent_text(total)] if total else ["", ""]
        cells += [delta_text(moves[p], diff.exponent) if p in moves else "" for p in periods]
        table.add(cells, depth=info.depth)
    return table


TOTAL_NAMES = {
    "total": "quotas",
    "effective_over_assign": "effective over-assignment",
    "total_capacity": "expected bookings",
    "coverage": "capacity coverage (expected bookings / target)",
    "cost_of_sales": "cost of sales",
    "hires_needed": "hires needed",
}


def totals_table(diff: PlanDiff, changes: list[Change]) -> ResultTable:
    table = ResultTable(
        "Totals and expected bookings",
        [
            Column("what", priority=HIGH),
            Column("old", True, HIGH),
            Column("new", True, HIGH),
            Column("delta", True, HIGH, signed=True),
        ],
        name="totals",
    )
    for c in changes:
        name = TOTAL_NAMES.get(c.field or "", c.field or "")
        what = f"{c.id} level: {name}" if c.entity == "level_total" else name
        table.add([what, *_values(c, diff.exponent)])
    return table


GROUPS = (
    Group("Plan settings", ("plan", "level"), settings_table),
    Group("Units", ("unit",), records_table("Units", "unit")),
    Group("Reps", ("rep",), records_table("Reps", "rep")),
    Group("Territories", ("territory",), records_table("Territories", "territory")),
    Group("Accounts", ("account",), records_table("Accounts (accounts.csv)", "account")),
    Group(
        "Pins",
        ("pin",),
        amounts_table("Pins (quota: in org.yaml and adjustments.yaml)", "node", None),
    ),
    Group("Metrics", ("metric",), amounts_table("Metrics (metrics.csv)", "id", "metric")),
    Group("Submissions", ("submission",), amounts_table("Submissions", "rep", "period")),
    Group("Quotas", ("quota",), quotas_table),
    Group("Totals", ("level_total", "capacity"), totals_table),
)


def tables(diff: PlanDiff) -> list[ResultTable]:
    found = []
    for group in GROUPS:
        changes = [c for c in diff.changes if c.entity in group.entities]
        if changes:
            found.append(group.build(diff, changes))
    return found


# ---- the summary line


COUNTED = (
    ("plan", "setting", None, "changed"),
    ("level", "level", None, "changed"),
    ("unit", "unit", None, "changed"),
    ("rep", "rep", None, "changed"),
    ("territory", "territory", "territories", "changed"),
    ("account", "account", None, "changed"),
    ("pin", "pin", None, "changed"),
    ("metric", "metric row", None, "changed"),
    ("submission", "submission", None, "changed"),
    ("quota", "quota", None, "moved"),
)


KINDS = ("added", "removed", "moved", "changed")


def _kinds(diff: PlanDiff, entity: str, skip: str | None = None) -> dict[str, int]:
    """How many things of `entity` were added, removed, moved or changed (in that order):
    each id (a setting: each field) counted once, added or removed over its other changes,
    moved when that is all that happened to it."""
    found: dict[str, set[str]] = {}
    for change in diff.changes:
        if change.entity == entity:
            key = (change.field or "") if entity == "plan" else change.id
            found.setdefault(key, set()).add(change.kind)
    if entity == "plan" and skip is not None:
        found.pop(skip, None)  # the target has its own part
    counts = dict.fromkeys(KINDS, 0)
    for kinds in found.values():
        kind = next((k for k in ("added", "removed") if k in kinds), None)
        counts[kind or ("moved" if kinds == {"moved"} else "changed")] += 1
    return {kind: n for kind, n in counts.items() if n}


def summary_parts(diff: PlanDiff) -> list[str]:
    """'target +100,000.00 (+0.8%)', '3 reps changed', '12 quotas moved', ..."""
    if not diff.changes:
        return ["no differences"]
    parts = []
    target = diff.find("plan", "target")
    if target is not None:
        parts.append(f"target {delta_text(target, diff.exponent)} ({percent_text(target)})")
    for entity, word, plural, verb in COUNTED:
        kinds = _kinds(diff, entity, skip="target" if target is not None else None)
        if verb != "changed":  # the quotas: their moves, new and gone ones included
            kinds = {verb: sum(kinds.values())} if kinds else {}
        said = [f"{n:,} {kind}" for kind, n in kinds.items()]
        if said:
            kind, n = next(iter(kinds.items()))
            said[0] = f"{counted(n, word, plural)} {kind}"
            parts.append(", ".join(said))
    coverage = diff.find("capacity", "coverage")
    if coverage is not None:
        old, new = (value_text(v, "ratio", 0) for v in (coverage.old, coverage.new))
        parts.append(f"coverage {old} → {new}")
    return parts


def summary_line(diff: PlanDiff) -> str:
    return f"{diff.old_label} → {diff.new_label}: " + "; ".join(summary_parts(diff))


# ---- formats


def document(diff: PlanDiff) -> dict[str, Any]:
    e = diff.exponent
    counts = diff.counts()
    return {
        "from": diff.old_label,
        "to": diff.new_label,
        "changes": [change_document(c, e) for c in diff.changes],
        "currency": diff.currency,
        "summary": {
            "changes": len(diff.changes),
            "sections": diff.sections(),
            "changed": counts,
            "target": _pair(diff.old.target, diff.new.target, e),
            "forecast": _pair(diff.old.forecast, diff.new.forecast, e),
            "total_capacity": _pair(diff.old.total_capacity, diff.new.total_capacity, e),
            "coverage": {"old": j.ratio(diff.old.coverage), "new": j.ratio(diff.new.coverage)},
            "cost_of_sales": {
                "old": j.ratio(diff.old.cost_of_sales),
                "new": j.ratio(diff.new.cost_of_sales),
            },
        },
    }


def _pair(old: Decimal, new: Decimal, exponent: int) -> dict[str, str | None]:
    return {
        "old": j.amount(old, exponent),
        "new": j.amount(new, exponent),
        "delta": j.amount(new - old, exponent),
    }


def json_value(value: Any, measure: str, exponent: int) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: json_value(v, measure_of(k, v), exponent) for k, v in value.items()}
    if measure == "money":
        return j.amount(Decimal(value), exponent)
    if measure == "ratio":
        return j.ratio(Decimal(value))
    if measure == "count":
        return int(value)
    return str(value)


def change_document(change: Change, exponent: int) -> dict[str, Any]:
    m = change.measure
    return {
        "kind": change.kind,
        "entity": change.entity,
        "id": change.id,
        "field": change.field,
        "old": json_value(change.old, m, exponent),
        "new": json_value(change.new, m, exponent),
        "delta": json_value(change.delta, m, exponent),
    }


def as_json(diff: PlanDiff) -> str:
    return j.dumps(document(diff))


def code_span(text: str) -> str:
    """User text as inline code: nothing in it is read as Markdown or HTML, and no control
    or bidi character in it (a git branch may be named with U+202E) reaches the page raw."""
    text = printable(" ".join(text.splitlines()))
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def as_markdown(diff: PlanDiff, sections: Sequence[str] = ()) -> str:
    """The comment; `sections` (Markdown, e.g. "Approvals needed") follow the summary."""
    parts = "; ".join(escape(p) for p in summary_parts(diff))
    lines = [
        f"**salesplan diff** {code_span(diff.old_label)} → {code_span(diff.new_label)}: {parts}",
        "",
        *sections,
    ]
    for t in tables(diff):
        if len(t.rows) > FOLD_AFTER:
            summary = f"{escape(t.title)} ({counted(len(t.rows), 'row')})"
            lines += [f"<details><summary>{summary}</summary>", ""]
            lines += [markdown_table(_untitled(t)), "</details>", ""]
        else:
            lines += [markdown_table(t)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _untitled(t: ResultTable) -> ResultTable:
    return ResultTable("", t.columns, t.rows, t.depth, t.strong, t.notes)


# ---- the terminal


def as_text(diff: PlanDiff, width: int | None = -1, file: IO[str] | None = None) -> None:
    """The summary line, then every group's table, fitted to the terminal (render/text)."""
    from rich.text import Text

    from salesplan.render import text

    fit = text.terminal_width() if width == -1 else width
    out = text.console(fit, file)
    out.print(Text(printable(summary_line(diff)), style="bold"), soft_wrap=fit is None)
    out.print()
    for t in tables(diff):
        text.print_table(out, t, fit)


def render(
    diff: PlanDiff, fmt: Format, decimals: int | None = None, sections: Sequence[str] = ()
) -> None:
    """Write `diff` to stdout in `fmt` (text, json or markdown, with `sections` after the
    summary); people see amounts with `decimals` (the plan's display decimals), JSON the
    currency's exact ones."""
    from salesplan.render.output import write

    shown = diff if decimals is None else replace(diff, exponent=decimals)
    renderers: dict[Format, Callable[[], None]] = {
        Format.json: lambda: write(as_json(diff)),
        Format.markdown: lambda: write(as_markdown(shown, sections)),
        Format.text: lambda: as_text(shown),
    }
    renderers[fmt]()
