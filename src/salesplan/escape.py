"""User text made safe for a terminal or a CI log: no control character reaches them raw.

ESC starts colour and OSC (title, hyperlink, clipboard) sequences, BEL rings, CR rewrites the
line and a newline forges a new log line or workflow command; bidirectional overrides reorder
what is shown. Each is written as a visible escape (`\\x1b`, `\\u202e`) instead, so the reader
sees what the file holds.
"""

from __future__ import annotations

import re

# C0 controls (tab included: it would shift columns), DEL, C1 controls, the Unicode line
# and paragraph separators (a new line to rich), and the format characters that reorder or
# hide text (bidi marks, overrides and isolates, the Arabic letter mark, zero widths).
# A pattern, compiled (and kept by `re`) the first time a text needs it: most runs print
# only plain ASCII and never do (its compilation is ~0.4 ms of every command).
_UNSAFE = (
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """`text` with every control or reordering character written as a visible escape,
    except those in `keep` (a format that encodes them itself)."""
    if text.isascii() and text.isprintable():
        return text  # the common case, no regular expression: nothing to escape
    if keep:
        return re.sub(_UNSAFE, lambda m: m.group() if m.group() in keep else _visible(m), text)
    return re.sub(_UNSAFE, _visible, text)


def printable_lines(text: str) -> str:
    """`printable` for each line of a multi-line text; its newlines stay."""
    return "\n".join(printable(line) for line in text.split("\n"))


def html(text: str) -> str:
    """`text` for HTML or SVG: markup characters as entities (quotes too, for attributes),
    control characters visible (they are not valid in HTML)."""
    from html import escape

    return escape(printable(text), quote=True)
