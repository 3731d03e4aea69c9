"""Writing files: atomically (temp file in the same folder, fsync, replace, mode kept), never
through a symlink leading out of the plan folder, and a failure told in plain words."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path, PurePosixPath

from salesplan.reading.files import confined, display_name, within


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step; an existing file keeps its permissions.
    An OSError raised names `path`, never the temp file."""
    if path.is_dir():  # else the replace would fail, naming the temp file
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:  # named after the temp file it could not create
        raise OSError(err.errno, err.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.filename in (None, tmp):
            raise OSError(err.errno, err.strerror, str(path)) from None
        raise
    _fsync_dir(path.parent)


def unwritable(root: Path, name: str) -> str | None:
    """Why the plan file `name` (relative, POSIX; a folder when it ends in "/") cannot be
    written in the plan folder `root`, or None: a symlink on the way (or the file itself)
    leads out of the plan folder, as the loader refuses it (SP114, reading.files.confined);
    a broken symlink or a file stands where a folder goes; a folder stands where the file
    goes. Each reason names the path in the way."""
    place = confined(root, name.rstrip("/"))
    parts = PurePosixPath(name).parts
    for depth in range(1, len(parts) + 1):
        path = root.joinpath(*parts[:depth])
        shown = display_name(path)
        is_file = depth == len(parts) and not name.endswith("/")
        if not within(root, path):
            return f"{shown} is a symlink leading outside the plan folder; remove it"
        if not os.path.lexists(path):
            break  # nothing further down is there either
        if not is_file and not path.is_dir():
            if path.is_symlink() and not path.exists():
                return f"{shown} is a broken symlink where a folder goes; remove it"
            return f"{shown} is a file where a folder goes; move it away"
        if is_file and path.is_dir():
            return f"{shown} is a folder where a file goes; move it away"
    return place if isinstance(place, str) else None


def output_refused(output: Path, force: bool) -> str | None:
    """Why `-o output` is not written, or None: it is a folder (--force cannot help), or
    it exists and --force was not given."""
    if output.is_dir():
        return f"{output} is a folder; -o takes a file (such as {output / 'name'} with a suffix)"
    if output.exists() and not force:
        return f"{output} exists; use --force to replace it"
    return None


def os_error_text(err: OSError) -> str:
    """An error of the file system as one plain line: the path, what is wrong, what to do
    (no errno, no Python wording, no temp file's name)."""
    what = _WORDS.get(err.errno or 0) or err.strerror or str(err)
    if err.filename is None:  # a write to stdout (`> /dev/full`): its file has no name
        return f"cannot write the output: {what}" if err.errno in _OUTPUT else what
    return f"{display_name(Path(os.fsdecode(err.filename)))}: {what}"


_OUTPUT = {errno.ENOSPC, errno.EIO, errno.EFBIG}


_WORDS = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied; check its permissions",
    errno.EPERM: "not permitted; check its permissions",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of this path is a file, not a folder",
    errno.EEXIST: "a file or broken symlink is where a folder goes; move it away",
    errno.ENOENT: "no such file or folder",
    errno.ELOOP: "a symlink loop",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EIO: "an input/output error of the device",
    errno.EFBIG: "the file is too large for the file system",
}


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
