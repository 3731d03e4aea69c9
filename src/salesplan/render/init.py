"""What `salesplan init` tells people: the files it wrote, grouped, and the next command."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from salesplan.words import counted


def grouped(names: list[str]) -> list[str]:
    """Top-level files by name; a folder as `folder/ (n files)`."""
    folders: dict[str, int] = {}
    files = []
    for name in names:
        head, _, rest = name.partition("/")
        if rest:
            folders[head] = folders.get(head, 0) + 1
        else:
            files.append(name)
    shown = [*files, *(f"{f}/ ({counted(n, 'file')})" for f, n in folders.items())]
    return shown


def written_lines(
    directory: Path, written: list[str], elsewhere: list[str], no_template: Sequence[str] = ()
) -> str:
    where = os.path.relpath(directory) if not directory.is_absolute() else str(directory)
    lines = [f"Wrote a plan to {where}/ ({counted(len(written), 'file')}):"]
    lines += [f"  {name}" for name in grouped(written)]
    if no_template:
        lines.append(
            f"No submission template for {', '.join(no_template)}: planned hires and reps not "
            "on board in the fiscal year are not expected to submit."
        )
    for path in elsewhere:
        lines.append(f"Wrote the CI workflow {os.path.relpath(path)}")
    quoted = shlex.quote(where)
    lines.append(f"Next: salesplan check {quoted}, then salesplan report {quoted} -o report.html")
    return "\n".join(lines)
