"""The two sides of `salesplan diff`: plans on disk, or plans at git revisions.

A revision is read with git plumbing only (`rev-parse`, `ls-tree`, `cat-file --batch`), never
touching the working tree or the index: the plan's files at that commit are written into a
temporary folder, loaded there like any plan, and the folder is removed afterwards. The plan
sits at the same path, relative to the repository's top level, in every revision.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from salesplan.diagnostics import Diagnostic
from salesplan.loading import PLAN_FILE, Loaded, PlanNotFound, find_plan, load_plan
from salesplan.model import Files
from salesplan.source import parse_yaml

if TYPE_CHECKING:
    from salesplan.plan import Plan

WORKING_TREE = "working tree"
DEFAULT_OLD = "HEAD"
BLOB_MODES = {"100644", "100755"}  # regular files; symlinks and submodules are left out


class RevisionError(PlanNotFound):
    """A revision that cannot be read (unknown, no git, no plan there): a usage error."""


@dataclass(frozen=True)
class Side:
    """One side of a diff: what the user called it and the plan loaded from it."""

    label: str
    loaded: Loaded

    @property
    def problems(self) -> list[Diagnostic]:
        """The errors that make diffing this side meaningless."""
        return self.loaded.blocking

    @property
    def plan(self) -> Plan | None:
        """The plan, when it is sound enough to diff."""
        return None if self.problems else self.loaded.plan


@dataclass(frozen=True)
class Repository:
    top: Path  # the top level of the working tree

    @classmethod
    def around(cls, folder: Path, revision: str) -> Repository:
        try:
            out = git(folder, "rev-parse", "--show-toplevel")
        except RevisionError:
            raise RevisionError(
                f"{revision!r} is not a plan on disk, and {folder} is not in a git repository "
                "to read it as a revision"
            ) from None
        return cls(Path(out.decode().rstrip("\n")))

    def commit(self, revision: str) -> str:
        try:
            out = git(
                self.top, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}"
            )
        except RevisionError:
            raise RevisionError(
                f"unknown revision {revision!r}: not a plan path and not a commit in {self.top}"
            ) from None
        return out.decode().strip()

    def entries(self, commit: str, paths: Sequence[str]) -> dict[str, str]:
        """{path: blob id} of the regular files at or under `paths` in `commit`."""
        out = git(self.top, "--literal-pathspecs", "ls-tree", "-r", "-z", commit, "--", *paths)
        found: dict[str, str] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, blob = meta.decode().split(" ")
            if kind == "blob" and mode in BLOB_MODES:
                found[os.fsdecode(name)] = blob
        return found

    def blobs(self, ids: Sequence[str]) -> list[bytes]:
        """The contents of the blobs, in order, with one `cat-file --batch`."""
        out = git(self.top, "cat-file", "--batch", stdin="".join(f"{i}\n" for i in ids).encode())
        contents: list[bytes] = []
        position = 0
        for _ in ids:
            end = out.index(b"\n", position)
            header = out[position:end].decode().split(" ")
            if len(header) != 3:
                raise RevisionError(f"git cat-file could not read object {header[0]}")
            size = int(header[2])
            contents.append(out[end + 1 : end + 1 + size])
            position = end + 1 + size + 1
        return contents


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git; its failure (or absence) is a RevisionError carrying git's first line."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except OSError as err:
        raise RevisionError(f"cannot run git: {err.strerror}") from None
    if done.returncode != 0:
        first = (done.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[0]
        raise RevisionError(f"git {args[0]}: {first}")
    return done.stdout


def plan_files(settings_text: bytes, plan_dir: str) -> list[str]:
    """The repository paths a plan reads, from its salesplan.yaml at that revision (the
    default file names when it cannot be read: the loader will report why)."""
    doc = parse_yaml(PLAN_FILE, settings_text)
    files = Files()
    if isinstance(doc.data, dict) and not doc.diagnostics:
        with suppress(ValueError):
            files = Files.model_validate(doc.data.get("files", {}))
    names = [name for name in files.model_dump().values() if isinstance(name, str)]
    # a path that is absolute or holds a NUL is not asked of git: the loader reports it
    names = [name for name in names if not posixpath.isabs(name) and "\0" not in name]
    paths = [posixpath.normpath(posixpath.join(plan_dir, name)) for name in names]
    return [p for p in paths if not p.startswith("../") and p not in {"..", "."}]


def materialise(repo: Repository, commit: str, plan_file: str, target: Path) -> Path:
    """Write the plan's files at `commit` under `target`; return the plan file there."""
    found = repo.entries(commit, [plan_file])
    if plan_file not in found:
        raise RevisionError(f"no plan at {commit[:12]}:{plan_file}")
    plan_dir = posixpath.dirname(plan_file)
    (settings_text,) = repo.blobs([found[plan_file]])
    found.update(repo.entries(commit, plan_files(settings_text, plan_dir)))
    names = sorted(found)
    for name, data in zip(names, repo.blobs([found[n] for n in names])):
        parts = PurePosixPath(name).parts
        if ".." in parts or PurePosixPath(name).is_absolute():
            continue
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return target.joinpath(*PurePosixPath(plan_file).parts)


def relabel(loaded: Loaded, folder: Path, revision: str) -> Loaded:
    """Name the files of a materialised plan `revision:path`, as git does, not by temp path."""

    def name(file: str) -> str:
        try:
            relative = Path(file).resolve().relative_to(folder)
        except ValueError:
            return file
        return f"{revision}:{relative.as_posix()}"

    diagnostics = [replace(d, file=name(d.file)) for d in loaded.diagnostics]
    return Loaded(loaded.plan, diagnostics)


@dataclass(frozen=True)
class Anchor:
    """Where the plan is in the repository: its file, relative to the top level."""

    repo: Repository
    plan_file: str


def anchor_at(plan_file: Path, revision: str) -> Anchor:
    repo = Repository.around(plan_file.parent, revision)
    relative = plan_file.resolve().relative_to(repo.top.resolve())
    return Anchor(repo, relative.as_posix())


def anchor_from_cwd(revision: str) -> Anchor:
    """No plan in the working tree: look for one in `revision`, from the current folder's
    place in the repository upward."""
    repo = Repository.around(Path.cwd(), revision)
    prefix = git(Path.cwd(), "rev-parse", "--show-prefix").decode().strip().strip("/")
    commit = repo.commit(revision)
    parts = PurePosixPath(prefix).parts if prefix else ()
    for depth in range(len(parts), -1, -1):
        plan_file = posixpath.join(*parts[:depth], PLAN_FILE)
        if plan_file in repo.entries(commit, [plan_file]):
            return Anchor(repo, plan_file)
    raise RevisionError(f"no {PLAN_FILE} in {revision} at {prefix or '.'} or any folder above it")


def as_path(argument: str) -> Path | None:
    """The plan file an argument names on disk, or None when it names none (a file that is
    not YAML, e.g. one named like a branch, does not count)."""
    path = Path(argument)
    if path.is_file() and path.suffix.lower() not in {".yaml", ".yml"}:
        return None
    try:
        return find_plan(path)
    except PlanNotFound:
        return None


@contextmanager
def open_sides(old: str | None, new: str | None) -> Iterator[tuple[Side, Side]]:
    """Load both sides: each argument is a plan path when one is on disk, else a revision.
    No NEW means the working tree's plan; no OLD means HEAD."""
    arguments = [old if old is not None else DEFAULT_OLD, new]
    paths = [as_path(a) if a is not None else None for a in arguments]
    with ExitStack() as stack:
        anchor: Anchor | None = None
        sides: list[Side] = []
        for argument, path in zip(arguments, paths):
            if argument is None:
                sides.append(Side(WORKING_TREE, load_plan(find_plan())))
            elif path is not None:
                sides.append(Side(argument, load_plan(path)))
            else:
                try:
                    anchor = anchor or locate(paths, argument)
                    commit = anchor.repo.commit(argument)
                except RevisionError:
                    not_a_plan(argument)
                    raise
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="salesplan-")))
                sides.append(Side(argument, revision_plan(anchor, commit, argument, folder)))
        yield sides[0], sides[1]


def not_a_plan(argument: str) -> None:
    """A file or folder on disk that is no plan, and no revision either, is a path that
    does not name a plan (`org.yaml`): raise what `check` says of it, not that it is an
    unknown revision."""
    path = Path(argument)
    if path.exists():
        find_plan(path)  # raises PlanNotFound: why this path is not a plan


def locate(paths: Sequence[Path | None], revision: str) -> Anchor:
    """The plan's place in the repository: from a plan path given, else the working tree's
    plan found from the current folder, else searched for in the revision."""
    given = next((p for p in paths if p is not None), None)
    if given is not None:
        return anchor_at(given, revision)
    try:
        return anchor_at(find_plan(), revision)
    except PlanNotFound as err:
        if isinstance(err, RevisionError):
            raise
        return anchor_from_cwd(revision)


def revision_plan(anchor: Anchor, commit: str, revision: str, folder: Path) -> Loaded:
    plan_file = materialise(anchor.repo, commit, anchor.plan_file, folder)
    return relabel(load_plan(plan_file), folder.resolve(), revision)
