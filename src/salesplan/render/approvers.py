"""Views of who must approve a change: tables for the terminal, the JSON document of
docs/design.md, and Markdown for a pull request (also the "Approvals needed" section of the
diff comment).

Mentions: in Markdown an owner that is a GitHub handle (`@maria-lopez`, `@acme/revops`) is
written as it is, so the comment notifies the people whose approval it asks for. Every other
piece of text — emails and other owners, node ids, setting names — is a code span, which
GitHub never turns into a mention, a link or HTML; names of reps and units are not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from salesplan.approvers import Approvals, Approver, Item
from salesplan.escape import printable
from salesplan.owners import is_handle
from salesplan.render import json as j
from salesplan.render.diff import DASH, code_span, json_value, money, value_text
from salesplan.render.table import Column, ResultTable, points, show
from salesplan.words import counted

WIDE = 100  # terminal columns from which the text tables show the kind and level
SHOWN_IN_CELL = 8  # ids listed in a summary cell before "and N more"
KIND_NAMES = {"quota": "quota", "setting": "setting", "owner": "owner"}


def delta_text(item: Item, exponent: int) -> str:
    delta = item.delta
    if delta is None or item.kind == "owner":
        return ""
    if item.measure == "money":
        return money(Decimal(delta), exponent, sign=True)
    if item.measure == "ratio":
        return points(Decimal(delta))  # as diff shows it
    return f"{delta:+}" if isinstance(delta, int) else f"{Decimal(delta):+,}"


def percent_text(item: Item) -> str:
    relative = item.relative
    return "" if relative is None else f"{relative * 100:+.1f}%"


def summary_line(result: Approvals) -> str:
    head = f"{result.old_label} → {result.new_label}: "
    if not result.items:
        return head + "no change needs an approval"
    parts = [
        f"{counted(len(result.approvers), 'owner')} must approve {counted(result.items, 'change')}"
    ]
    if result.unowned:
        parts.append(f"{counted(len(result.unowned), 'change')} without an owner")
    return head + "; ".join(parts)


def unowned_warning(result: Approvals) -> str | None:
    if not result.unowned:
        return None
    ids = ", ".join(dict.fromkeys(i.id for i in result.unowned))
    return (
        f"{counted(len(result.unowned), 'change')} without an owner to approve "
        f"{'it' if len(result.unowned) == 1 else 'them'}: {ids} "
        "(give the parent unit an `owner:`, or salesplan.yaml one for settings)"
    )


def status(approver: Approver, given: Collection[str] | None) -> str | None:
    if given is None:
        return None
    return "approved" if approver.approved_by(given) else "missing"


# ---- tables


def items_table(
    title: str, items: Sequence[Item], exponent: int, narrow: bool = False
) -> ResultTable:
    """A row per change. `narrow` (a terminal under 100 columns) folds the kind into the id
    and leaves the level out, so that every digit of the amounts fits in 80 columns."""
    columns = [Column("id")] if narrow else [Column("change"), Column("id"), Column("level")]
    columns += [Column("old", True), Column("new", True), Column("delta", True), Column("%", True)]
    table = ResultTable(title, columns)
    for i in items:
        old, new = (value_text(v, i.measure, exponent) for v in (i.old, i.new))
        if narrow:
            cells = [i.id if i.kind == "quota" else f"{i.id} ({KIND_NAMES[i.kind]})"]
        else:
            cells = [KIND_NAMES[i.kind], i.id, i.level or ""]
        table.add([*cells, old, new, delta_text(i, exponent), percent_text(i)])
    return table


def owners_text(approver: Approver) -> str:
    return " or ".join(approver.owners)


def tables(
    result: Approvals, given: Collection[str] | None = None, narrow: bool = False
) -> list[ResultTable]:
    found = []
    for a in result.approvers:
        state = status(a, given)
        title = owners_text(a) + (f" ({state})" if state else "")
        found.append(items_table(title, a.items, result.exponent, narrow))
    if result.unowned:
        found.append(items_table("No owner", result.unowned, result.exponent, narrow))
    return found


# ---- JSON


def item_document(item: Item, exponent: int) -> dict[str, Any]:
    m = item.measure
    return {
        "id": item.id,
        "kind": item.kind,
        "level": item.level,
        "old": json_value(item.old, m, exponent),
        "new": json_value(item.new, m, exponent),
        "delta": json_value(item.delta, m, exponent) if item.kind != "owner" else None,
    }


def document(result: Approvals, given: Collection[str] | None = None) -> dict[str, Any]:
    e = result.exponent
    approvers = []
    for a in result.approvers:
        entry: dict[str, Any] = {"owner": a.owner, "alternates": list(a.alternates)}
        if given is not None:
            entry["approved"] = a.approved_by(given)
        entry["nodes"] = [item_document(i, e) for i in a.items]
        approvers.append(entry)
    doc: dict[str, Any] = {
        "from": result.old_label,
        "to": result.new_label,
        "currency": result.currency,
        "approvers": approvers,
        "unowned": list(dict.fromkeys(i.id for i in result.unowned)),
    }
    if given is not None:
        doc["missing"] = [a.owner for a in result.missing(given)]
    return doc


# ---- Markdown


def owner_markdown(name: str) -> str:
    """A handle as a mention (wanted: it asks that person to review); anything else inert."""
    return name if is_handle(name) else cell_code(name)


def cell_code(text: str) -> str:
    """Text as a code span that is also safe in a table cell (a `|` is escaped for GFM)."""
    return code_span(text).replace("|", "\\|")


def _item_brief(item: Item, exponent: int) -> str:
    if item.kind == "owner":
        return f"{cell_code(item.id)} owner"
    delta = delta_text(item, exponent)
    if item.kind == "setting" and not delta:
        return cell_code(item.id)
    if item.old is None or item.new is None:
        return f"{cell_code(item.id)} {'new' if item.old is None else 'removed'}"
    return f"{cell_code(item.id)} {delta}"


def _items_cell(items: Sequence[Item], exponent: int) -> str:
    shown = [_item_brief(i, exponent) for i in items[:SHOWN_IN_CELL]]
    more = len(items) - SHOWN_IN_CELL
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def section(result: Approvals, given: Collection[str] | None = None, heading: str = "###") -> str:
    """The "Approvals needed" section: one row per owner, then unowned changes."""
    lines = [f"{heading} Approvals needed", ""]
    if not result.approvers and not result.unowned:
        return "\n".join([*lines, "No change needs an approval.", ""])
    if result.approvers:
        header = ["owner", "approves"] + (["status"] if given is not None else [])
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for a in result.approvers:
            who = " or ".join(owner_markdown(o) for o in a.owners)
            cells = [who, _items_cell(a.items, result.exponent)]
            state = status(a, given)
            cells += [{"approved": "✅ approved", "missing": "⏳ missing"}[state]] if state else []
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if result.unowned:
        ids = _items_cell(result.unowned, result.exponent)
        lines += [
            f"**Warning:** {counted(len(result.unowned), 'change')} without an owner to "
            f"approve {'it' if len(result.unowned) == 1 else 'them'}: {ids}. Give the parent "
            "unit an `owner:` (for settings: salesplan.yaml).",
            "",
        ]
    return "\n".join(lines)


def as_markdown(result: Approvals, given: Collection[str] | None = None) -> str:
    old, new = code_span(result.old_label), code_span(result.new_label)
    summary = summary_line(result).split(": ", 1)[1]
    lines = [f"**salesplan approvers** {old} → {new}: {summary}", "", section(result, given)]
    for a in result.approvers:
        who = " or ".join(owner_markdown(o) for o in a.owners)
        lines += [f"<details><summary>{who}: {counted(len(a.items), 'change')}</summary>", ""]
        lines += [_items_markdown(a.items, result.exponent), "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _items_markdown(items: Sequence[Item], exponent: int) -> str:
    lines = ["| change | id | level | old | new | delta | % |", "|---|---|---|---:|---:|---:|---:|"]
    for i in items:
        old, new = (_value_markdown(v, i, exponent) for v in (i.old, i.new))
        level = cell_code(i.level) if i.level else ""
        cells = [i.kind, cell_code(i.id), level, old, new, delta_text(i, exponent)]
        lines.append("| " + " | ".join([*cells, percent_text(i)]) + " |")
    return "\n".join(lines) + "\n"


def _value_markdown(value: Any, item: Item, exponent: int) -> str:
    if value is None:
        return DASH
    text = value_text(value, item.measure, exponent)
    return text if item.measure in {"money", "ratio", "number", "count"} else cell_code(text)


# ---- output


def render(
    result: Approvals, fmt: str, given: Collection[str] | None = None, decimals: int | None = None
) -> None:
    """Write `result` to stdout in `fmt`: text, json or markdown. Text and Markdown show
    amounts with `decimals` (those of the rounding unit, as every view does); JSON keeps the
    currency's."""
    from salesplan.render.output import write

    shown = result if decimals is None else replace(result, exponent=decimals)
    renderers: dict[str, Callable[[], None]] = {
        "json": lambda: write(j.dumps(document(result, given))),
        "markdown": lambda: write(as_markdown(shown, given)),
        "text": lambda: as_text(shown, given),
    }
    renderers[fmt]()


def as_text(result: Approvals, given: Collection[str] | None = None) -> None:
    from rich.text import Text

    from salesplan.render import text

    width = text.terminal_width()
    out = text.console(width)
    out.print(Text(printable(summary_line(result)), style="bold"), soft_wrap=True)
    fitted = width or 10_000
    text.render([fit(t, fitted) for t in tables(result, given, fitted < WIDE)], width)


DROPPED_FIRST = ("%", "level", "change", "old")  # what a narrow terminal loses, in order


def fit(table: ResultTable, width: int) -> ResultTable:
    """The table without the columns that would make rich cut digits to fit `width`."""
    for header in DROPPED_FIRST:
        if _width(table) <= width:
            break
        if header in (c.header for c in table.columns):
            index = [c.header for c in table.columns].index(header)
            table = ResultTable(
                table.title,
                table.columns[:index] + table.columns[index + 1 :],
                [row[:index] + row[index + 1 :] for row in table.rows],
                table.depth,
                table.strong,
                table.notes,
            )
    return table


def _width(table: ResultTable) -> int:
    """The width rich gives the table uncut: the widest cell of each column plus padding."""
    widths = [len(c.header) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(show(cell))) for w, cell in zip(widths, row)]
    return sum(widths) + 3 * len(widths) + 1
