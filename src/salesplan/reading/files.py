"""Find a plan and read its files safely: paths stay inside the plan folder, and a file is
read only when it is a regular file under the size limit (docs/design.md, "Hostile inputs").

Nothing here raises for a problem in the plan: each becomes a diagnostic, so that one
unreadable file hides no problem elsewhere. `PlanNotFound` is the one exception: there is no
plan to report on (a usage error).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from salesplan.diagnostics import Diagnostic, diagnostic

PLAN_FILE = "salesplan.yaml"
MAX_BYTES = 40 * 1024 * 1024  # no plan file is larger (100,000 territories: 19 MB); checked first


class PlanNotFound(Exception):
    """No plan where one was asked for: a usage error, not a plan error."""


def find_plan(start: Path | None = None) -> Path:
    """The salesplan.yaml named by `start` (a file or a directory), or found upward from cwd."""
    if start is not None:
        if start.is_dir():
            candidate = start / PLAN_FILE
            if not candidate.is_file():
                raise PlanNotFound(f"no plan at {start} (expected {candidate})")
            return candidate
        if not start.exists():
            raise PlanNotFound(f"no plan at {start}: there is no such file or folder")
        if start.name != PLAN_FILE:
            raise PlanNotFound(f"{start} is not a plan: give the plan folder or its {PLAN_FILE}")
        if not start.is_file():
            raise PlanNotFound(f"no plan at {start}: it is not a regular file")
        return start
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / PLAN_FILE).is_file():
            return folder / PLAN_FILE
    raise PlanNotFound(f"no {PLAN_FILE} in {here} or any folder above it")


def display_name(path: Path) -> str:
    """How a file is named in diagnostics: relative to the current directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def confined(root: Path, name: str) -> Path | str:
    """`root / name` when `name` is a relative path that stays inside `root` (symlinks
    followed), else why not. `root` is the plan folder."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not name.strip():
        return "is empty; name a file inside the plan folder"
    if "\0" in name:
        return f"{name!r} holds a NUL character, which no file name can; name a file of the plan"
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).anchor or name[:1] == "~":
        return f"{name!r} is an absolute path or a drive; give a path relative to the plan folder"
    if ".." in parts:
        return f"{name!r} leads out of the plan folder (`..`); keep plan files inside it"
    if any(part.casefold() == ".git" for part in parts):  # a write there rewrites git's config
        return f"{name!r} is inside .git, which is git's and not the plan's; keep plan files out"
    path = root.joinpath(*parts)
    if not within(root, path):
        return f"{name!r} is a symlink that leads out of the plan folder; plan files stay inside it"
    return path


def within(root: Path, path: Path) -> bool:
    """Whether `path`, with every symlink resolved, is `root` or inside it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop: reading it reports the loop
        return True


def read_file(path: Path, problems: list[Diagnostic], limit: int = MAX_BYTES) -> bytes | None:
    """The bytes of a regular file, or None with the reason reported (SP113, SP111).

    Opened without blocking, so a FIFO cannot hang the run; its type and size are checked
    on the open descriptor before anything is read."""
    name = display_name(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        problems.append(diagnostic("SP113", f"cannot read file: {_reason(err)}", name, 1, 1))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            message = f"cannot read file: it is {what} (a FIFO, device or folder is never read)"
            problems.append(diagnostic("SP113", message, name, 1, 1))
            return None
        if info.st_size > limit:
            message = f"file is {info.st_size:,} bytes, more than the limit of {limit:,}"
            problems.append(diagnostic("SP111", message, name, 1, 1))
            return None
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                problems.append(
                    diagnostic("SP111", f"file is larger than {limit:,} bytes", name, 1, 1)
                )
                return None
        return b"".join(chunks)
    except OSError as err:
        problems.append(diagnostic("SP113", f"cannot read file: {_reason(err)}", name, 1, 1))
        return None
    finally:
        os.close(fd)


def _reason(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "a symlink loop"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; make it readable"
    if err.errno == errno.EISDIR:
        return "it is a folder"
    return err.strerror or str(err)
