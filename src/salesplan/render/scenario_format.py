"""The formats of `salesplan scenarios` (kept apart so that the CLI imports no engine)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from salesplan.render.output import Format, format_of_file


class ScenariosFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    xlsx = "xlsx"


def choose_format(fmt: str | None, output: Path | None) -> ScenariosFormat:
    """The format asked for, else the one the output's suffix names (as for `report -o`),
    else text; ValueError for an output whose suffix names none."""
    if fmt is not None:
        return ScenariosFormat(fmt)
    if output is None:
        return ScenariosFormat.text
    allowed = [Format(f.value) for f in ScenariosFormat]
    return ScenariosFormat(format_of_file(output, allowed).value)
