"""Pick the renderer for a `--format`: one table of formats, no if/elif in the commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from salesplan.render.table import Table


class TableFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class ReportFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    html = "html"
    xlsx = "xlsx"
    json = "json"


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def write_all(pieces: Iterable[str]) -> None:
    """Write text made piece by piece, without holding it whole."""
    out = sys.stdout
    for piece in pieces:
        out.write(piece)
    out.flush()


def emit(
    fmt: TableFormat,
    tables: Callable[[], list[Table]],
    document: Callable[[], dict[str, Any]],
    text_lines: list[str] | None = None,
) -> None:
    """Render a result in `fmt`; each view is built only when its format asks for it."""
    from salesplan.render import csv, markdown, text
    from salesplan.render import json as j

    if text_lines is not None:  # a narrative result (e.g. --explain) rather than tables
        body = "\n".join(text_lines) + "\n"
        narrative: dict[TableFormat, Callable[[], None]] = {
            TableFormat.json: lambda: write(j.dumps(document())),
            TableFormat.markdown: lambda: write(f"```\n{body}```\n"),
        }
        narrative.get(fmt, lambda: write(body))()
        return
    renderers: dict[TableFormat, Callable[[], None]] = {
        TableFormat.text: lambda: text.render(tables()),
        TableFormat.json: lambda: write_all(j.chunks(document())),
        TableFormat.csv: lambda: write(csv.render(tables())),
        TableFormat.markdown: lambda: write(markdown.render(tables())),
    }
    renderers[fmt]()
