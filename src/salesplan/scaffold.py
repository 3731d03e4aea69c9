"""`salesplan init`: write a complete, valid example plan repository."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from salesplan.fsutil import write_atomic
from salesplan.schema import schema_files

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

SCHEMA_DIR = ".schemas"


class UnknownExample(ValueError):
    pass


@dataclass(frozen=True)
class Scaffold:
    """What `init` would write: relative path -> bytes."""

    files: dict[str, bytes]

    def conflicts(self, target: Path) -> list[str]:
        return [name for name in self.files if (target / name).exists()]

    def write(self, target: Path) -> list[str]:
        for name, data in self.files.items():
            write_atomic(target / name, data)
        return list(self.files)


def examples() -> list[str]:
    root = resources.files("salesplan") / "templates"
    return sorted(
        entry.name for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith("_")
    )


def _walk(folder: Traversable, prefix: str = "") -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.update(_walk(entry, f"{name}/"))
        else:
            found[name] = entry.read_bytes()
    return found


def scaffold(example: str = "acme") -> Scaffold:
    if example not in examples():
        raise UnknownExample(f"unknown example {example!r}; known: {', '.join(examples())}")
    files = _walk(resources.files("salesplan") / "templates" / example)
    for name, text in schema_files().items():
        files[f"{SCHEMA_DIR}/{name}"] = text.encode()
    return Scaffold(dict(sorted(files.items())))
