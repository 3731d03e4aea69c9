"""The formats of `salesplan scenarios` (kept apart so that the CLI imports no engine)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path


class ScenariosFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    xlsx = "xlsx"


# an output file's suffix -> the format written into it, as `report -o` reads it
SUFFIXES = {
    ".txt": ScenariosFormat.text,
    ".md": ScenariosFormat.markdown,
    ".markdown": ScenariosFormat.markdown,
    ".json": ScenariosFormat.json,
    ".xlsx": ScenariosFormat.xlsx,
}


def choose_format(fmt: str | None, output: Path | None) -> ScenariosFormat:
    """The format asked for, else the one the output's suffix names, else text; ValueError
    for an output whose suffix names none."""
    if fmt is not None:
        return ScenariosFormat(fmt)
    if output is None:
        return ScenariosFormat.text
    found = SUFFIXES.get(output.suffix.lower())
    if found is None:
        known = ", ".join(SUFFIXES)
        raise ValueError(
            f"cannot tell the format from {output.name!r}; use a suffix ({known}) or --format"
        )
    return found
