"""`salesplan report`: the format (asked for, or named by the output's suffix) and where the
report goes (a file written atomically, or stdout fitted to the terminal)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from salesplan.render import json as j
from salesplan.render.output import Format, format_of_file

if TYPE_CHECKING:
    from salesplan.report import Report


FORMATS = (Format.text, Format.markdown, Format.html, Format.xlsx, Format.json)


def choose_format(fmt: Format | None, output: Path | None, stdout_is_terminal: bool) -> Format:
    """The format asked for, else the one the output's suffix names, else text.
    Raises ValueError for what cannot be written where it would go."""
    if fmt is None and output is not None:
        fmt = format_of_file(output, FORMATS)
    fmt = fmt or Format.text
    if output is None and fmt is Format.xlsx:
        raise ValueError("an XLSX report needs a file: -o report.xlsx")
    if output is None and fmt is Format.html and stdout_is_terminal:
        raise ValueError("an HTML report needs a file (-o report.html) or a redirect")
    return fmt


def render(report: Report, fmt: Format, width: int | None = None) -> bytes:
    """The report as the bytes of a file in `fmt` (text: `width` columns, default 100)."""
    from salesplan.render import html, report_json, report_markdown, report_text, xlsx

    renderers: dict[Format, Callable[[Report], bytes]] = {
        Format.text: lambda r: report_text.as_text(r, width or report_text.WIDTH).encode(),
        Format.markdown: lambda r: report_markdown.render(r).encode(),
        Format.html: lambda r: html.render(r).encode(),
        Format.xlsx: xlsx.render,
        Format.json: lambda r: j.dumps(report_json.document(r)).encode(),
    }
    return renderers[fmt](report)


def deliver(report: Report, fmt: Format, output: Path | None) -> None:
    """Write the report to `output` atomically, or to stdout (in colour on a terminal)."""
    if output is not None:
        from salesplan.fsutil import write_atomic

        write_atomic(output, render(report, fmt))
    elif fmt is Format.text and sys.stdout.isatty():
        from salesplan.render import report_text

        width = report_text.width_for_stdout()
        report_text.show(report, report_text.console(width), width)
    else:
        from salesplan.render.output import write
        from salesplan.render.report_text import width_for_stdout

        write(render(report, fmt, width_for_stdout()).decode())
