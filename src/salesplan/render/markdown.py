"""Tables as GitHub-flavoured Markdown, for a wiki page or a pull request.

User text is escaped so that it renders as the text it is: no link, image, emphasis, HTML,
table cell break, @mention or autolinked URL comes out of a rep's or a plan's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from salesplan.escape import printable
from salesplan.render.table import ResultTable, show

# Characters that start Markdown syntax inline are escaped with a backslash; < > & become
# entities; a newline would end the table row.
_ESCAPES = str.maketrans(
    {
        **{c: f"\\{c}" for c in "\\`*_[]|~"},
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "\n": " ",
        "\r": " ",
    }
)
# An @mention, an autolinked URL (scheme:// or www.) or an e-mail address: a zero-width
# space entity after the @ or inside the scheme keeps GitHub from linking them.
_MENTION = re.compile(r"@(?=\w)")
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|www)(?=[:.])")


def escape(text: str) -> str:
    """User text made safe inside a Markdown table cell or line."""
    text = printable(text).translate(_ESCAPES)
    text = _MENTION.sub("@&#8203;", text)
    return _AUTOLINK.sub(lambda m: m.group(1) + "&#8203;", text)


def table(t: ResultTable, heading: str = "###") -> str:
    lines = [f"{heading} {escape(t.title)}", ""] if t.title else []
    lines.append("| " + " | ".join(escape(c.header) for c in t.columns) + " |")
    lines.append("|" + "|".join("---:" if c.numeric else "---" for c in t.columns) + "|")
    for row, depth, strong in zip(t.rows, t.depth, t.strong):
        cells = [escape(show(cell, t.decimals)) for cell in row]
        if cells and depth:
            cells[0] = "&nbsp;&nbsp;" * depth + cells[0]
        if strong and cells:
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    lines.extend(["", *(f"{escape(n)}  " for n in t.notes)] if t.notes else [])
    return "\n".join(lines) + "\n"


def render(tables: Sequence[ResultTable]) -> str:
    return "\n".join(table(t) for t in tables)
