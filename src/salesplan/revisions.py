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

    def commit(self, revision: str, argument: str | None = None) -> str:
        """The commit `revision` names; `argument` is the `REV:PATH` it was taken from."""
        try:
            out = git(
                self.top, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}"
            )
        except RevisionError:
            what = ": not a plan path and" if argument is None else f" in {argument!r}:"
            raise RevisionError(
                f"unknown revision {revision!r}{what} not a commit in {self.top}"
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


def materialise(repo: Repository, commit: str, plan_file: str, target: Path, revision: str) -> Path:
    """Write the plan's files at `commit` under `target`; return the plan file there."""
    found = repo.entries(commit, [plan_file])
    if plan_file not in found:
        folder = posixpath.dirname(plan_file) or "."
        raise RevisionError(f"no plan at {revision}:{folder} (expected {revision}:{plan_file})")
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


@dataclass(frozen=True)
class Named:
    """A side named as a revision: `REV`, or git's `REV:PATH` naming the plan's folder too."""

    argument: str  # as the user wrote it
    revision: str
    path: str | None  # after the colon: from the top level, or from here with ./ and ../

    @classmethod
    def parse(cls, argument: str) -> Named:
        """Split at the first colon outside `{...}`, as git does (`main@{12:00}` holds one);
        `:/text`, a commit named by its message, has none."""
        depth = 0
        for position, char in enumerate("" if argument.startswith(":/") else argument):
            if char == "{":
                depth += 1
            elif char == "}" and depth:
                depth -= 1
            elif char == ":" and not depth:
                return cls(argument, argument[:position], argument[position + 1 :])
        return cls(argument, argument, None)


def anchor_at(plan_file: Path, revision: str) -> Anchor:
    """The place of a plan file on disk; the file need not exist (`--plan` may name a plan
    the working tree no longer has)."""
    folder = next(f for f in (plan_file.parent, *plan_file.parent.parents) if f.is_dir())
    repo = Repository.around(folder, revision)
    try:
        relative = plan_file.resolve().relative_to(repo.top.resolve())
    except ValueError:
        raise RevisionError(f"{plan_file} is outside the git repository at {repo.top}") from None
    return Anchor(repo, relative.as_posix())


def anchor_named(named: Named) -> Anchor:
    """The place `REV:PATH` names: PATH from the repository's top level, or from the current
    folder when it starts with ./ or ../, as in git; a folder or its salesplan.yaml."""
    assert named.path is not None
    repo = Repository.around(Path.cwd(), named.argument)
    path = named.path
    if path in {".", ".."} or path.startswith(("./", "../")):
        prefix = git(Path.cwd(), "rev-parse", "--show-prefix").decode().rstrip("\n")
        path = posixpath.join(prefix, path)
    path = posixpath.normpath(path) if path else "."
    if path.startswith(("/", "../")) or path == "..":
        raise RevisionError(
            f"{named.argument}: {named.path!r} leads outside the repository; give the plan's "
            "folder from the repository's top level, or from here starting with ./"
        )
    name = posixpath.basename(path)
    if name != PLAN_FILE and name.lower().endswith((".yaml", ".yml")):
        raise RevisionError(
            f"{named.argument} is not a plan: give the plan folder or its {PLAN_FILE}"
        )
    if name != PLAN_FILE:
        path = posixpath.normpath(posixpath.join(path, PLAN_FILE))
    return Anchor(repo, path)


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
    raise RevisionError(
        f"no {PLAN_FILE} in {revision} at {prefix or '.'} or any folder above it"
        + elsewhere(repo, commit, revision, prefix)
    )


def elsewhere(repo: Repository, commit: str, revision: str, prefix: str) -> str:
    """How to name the plans `revision` holds in other folders (none: say so)."""
    out = git(repo.top, "ls-tree", "-r", "-z", "--name-only", commit)
    names = [os.fsdecode(n) for n in out.split(b"\0")]
    folders = sorted(posixpath.dirname(n) for n in names if posixpath.basename(n) == PLAN_FILE)
    if not folders:
        return f"; {revision} has no plan in any folder"
    shown = ", ".join(folders[:3]) + (f" and {len(folders) - 3} more" if len(folders) > 3 else "")
    option = posixpath.relpath(folders[0], prefix or ".")
    return (
        f"; {revision} has {'a plan' if len(folders) == 1 else 'plans'} in {shown}: name it as "
        f"{revision}:{folders[0]}, or give --plan {option}"
    )


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


@dataclass(frozen=True)
class Request:
    """What the user named: OLD and NEW (None: the working tree), each a plan on disk or a
    revision, and `--plan`, the plan's place for the sides that do not name one."""

    arguments: tuple[str | None, str | None]
    disk: tuple[Path | None, Path | None]
    plan: Path | None

    @classmethod
    def of(cls, old: str | None, new: str | None, plan: Path | None) -> Request:
        arguments = (old if old is not None else DEFAULT_OLD, new)
        disk = tuple(as_path(a) if a is not None else None for a in arguments)
        request = cls(arguments, (disk[0], disk[1]), plan)
        sides = zip(request.arguments, request.named)
        if plan is not None and not any(a is None or (n and n.path is None) for a, n in sides):
            raise PlanNotFound(
                "--plan names the plan in a revision or the working tree, and both sides "
                "already name theirs: leave --plan out"
            )
        return request

    @property
    def named(self) -> list[Named | None]:
        """Each side named as a revision; None for the working tree and plans on disk."""
        return [
            Named.parse(a) if a is not None and d is None else None
            for a, d in zip(self.arguments, self.disk)
        ]

    def place(self, revision: str) -> Anchor:
        """Where a side named by a bare revision takes its plan: `--plan`, else the other
        side's plan (on disk or `REV:PATH`), else the working tree's plan found from the
        current folder, else the first plan found in the revision from here upward."""
        if self.plan is not None:
            return anchor_at(plan_option(self.plan), revision)
        given = next((p for p in self.disk if p is not None), None)
        if given is not None:
            return anchor_at(given, revision)
        spelled = next((n for n in self.named if n is not None and n.path is not None), None)
        if spelled is not None:
            return anchor_named(spelled)
        try:
            return anchor_at(find_plan(), revision)
        except PlanNotFound as err:
            if isinstance(err, RevisionError):
                raise
            return anchor_from_cwd(revision)

    def working_tree(self) -> Path:
        """The working tree's plan: `--plan`, else the one found from the current folder
        upward, else the one at the other side's `REV:PATH`."""
        if self.plan is not None:
            return find_plan(self.plan)
        try:
            return find_plan()
        except PlanNotFound:
            spelled = next((n for n in self.named if n is not None and n.path is not None), None)
            if spelled is None:
                raise
        anchor = anchor_named(spelled)
        on_disk = anchor.repo.top.joinpath(*PurePosixPath(anchor.plan_file).parts)
        return find_plan(Path(os.path.relpath(on_disk)))


def plan_option(plan: Path) -> Path:
    """The plan file `--plan` names: on disk, or where it would be when the working tree
    has no such folder."""
    if plan.exists():
        return find_plan(plan)
    return plan if plan.name == PLAN_FILE else plan / PLAN_FILE


@contextmanager
def open_sides(
    old: str | None, new: str | None, plan: Path | None = None
) -> Iterator[tuple[Side, Side]]:
    """Load both sides: each argument is a plan path when one is on disk, else a revision
    (`REV` or `REV:PATH`). No NEW means the working tree's plan; no OLD means HEAD; `plan`
    is where the plan is, in every side that does not say."""
    request = Request.of(old, new, plan)
    with ExitStack() as stack:
        shared: Anchor | None = None
        sides: list[Side] = []
        for argument, path, named in zip(request.arguments, request.disk, request.named):
            if argument is None:
                sides.append(Side(WORKING_TREE, load_plan(request.working_tree())))
            elif path is not None:
                sides.append(Side(argument, load_plan(path)))
            else:
                assert named is not None
                try:
                    anchor = anchor_of(named, request, shared)
                    commit = anchor.repo.commit(
                        named.revision, named.argument if named.path is not None else None
                    )
                except RevisionError:
                    not_a_plan(argument)
                    raise
                if named.path is None:
                    shared = anchor
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="salesplan-")))
                sides.append(Side(argument, revision_plan(anchor, commit, named.revision, folder)))
        yield sides[0], sides[1]


def anchor_of(named: Named, request: Request, shared: Anchor | None) -> Anchor:
    if named.path is None:
        return shared or request.place(named.revision)
    if not named.revision:
        raise RevisionError(
            f"{named.argument!r} names a path in git's index, which salesplan does not read: "
            f"give a revision before the colon (HEAD:{named.path})"
        )
    return anchor_named(named)


def not_a_plan(argument: str) -> None:
    """A file or folder on disk that is no plan, and no revision either, is a path that
    does not name a plan (`org.yaml`): raise what `check` says of it, not that it is an
    unknown revision."""
    path = Path(argument)
    if path.exists():
        find_plan(path)  # raises PlanNotFound: why this path is not a plan


def revision_plan(anchor: Anchor, commit: str, revision: str, folder: Path) -> Loaded:
    plan_file = materialise(anchor.repo, commit, anchor.plan_file, folder, revision)
    return relabel(load_plan(plan_file), folder.resolve(), revision)
