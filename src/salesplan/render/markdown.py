"""Tables as GitHub-flavoured Markdown, for a wiki page or a pull request."""

from __future__ import annotations

import re
from collections.abc import Sequence

from salesplan.render.table import Table, show

_ESCAPES = str.maketrans({"|": "\\|", "\n": " ", "\r": " ", "<": "&lt;", ">": "&gt;"})
# An `@` where GitHub would start a mention (not inside a word, as in an email address).
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])")
WORD_JOINER = "\u2060"  # invisible; keeps `@name` from notifying anyone


def escape(text: str) -> str:
    """User text made safe inside a Markdown table cell or line: no table break, no HTML,
    no @mention (a rep renamed `@everyone` notifies nobody)."""
    return _MENTION.sub("@" + WORD_JOINER, text.translate(_ESCAPES))


def table(t: Table, heading: str = "###") -> str:
    lines = [f"{heading} {escape(t.title)}", ""] if t.title else []
    lines.append("| " + " | ".join(escape(c.header) for c in t.columns) + " |")
    lines.append("|" + "|".join("---:" if c.numeric else "---" for c in t.columns) + "|")
    for row, depth, strong in zip(t.rows, t.depth, t.strong):
        cells = [escape(show(cell)) for cell in row]
        if cells and depth:
            cells[0] = "&nbsp;&nbsp;" * depth + cells[0]
        if strong and cells:
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    lines.extend(["", *(f"{escape(n)}  " for n in t.notes)] if t.notes else [])
    return "\n".join(lines) + "\n"


def render(tables: Sequence[Table]) -> str:
    return "\n".join(table(t) for t in tables)
