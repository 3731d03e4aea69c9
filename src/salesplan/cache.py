"""A cache of parsed input files, keyed by their content, like mypy's or ruff's caches.

Reading a large org or territories file with positions, or 100,000 submission rows, costs a
second or more; reading it back from the cache costs a tenth of that. An entry's key is the
sha256 of the salesplan version, the kind of reader, the name the file is shown under and
the file's bytes, so an edited file, another checkout or another version never hits.
Only files of CACHE_BYTES or more are cached. The cache lives in $SALESPLAN_CACHE_DIR, else
$XDG_CACHE_HOME/salesplan, else ~/.cache/salesplan; SALESPLAN_CACHE_DIR=off turns it off.
Entries are pickles written by salesplan itself into the user's own cache folder.
New entries are written after the command's output, by a forked child the command does not
wait for, so a first run is not slowed down.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from salesplan import __version__

CACHE_BYTES = 256 * 1024
KEEP = 64  # entries kept; the oldest are removed when more are written

_pending: dict[str, Any] = {}


def folder() -> Path | None:
    configured = os.environ.get("SALESPLAN_CACHE_DIR")
    if configured is not None:
        return None if configured in {"", "off", "0"} else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "salesplan"


def key(kind: str, name: str, raw: bytes) -> str | None:
    """The cache key of a file's content, or None when it is too small to be worth caching."""
    if len(raw) < CACHE_BYTES or folder() is None:
        return None
    digest = hashlib.sha256(f"salesplan {__version__}\0{kind}\0{name}\0".encode())
    digest.update(raw)
    return digest.hexdigest()


def get(entry: str | None) -> Any | None:
    """The cached value, or None (a missing or unreadable entry is a miss)."""
    place = folder()
    if entry is None or place is None:
        return None
    try:
        with open(place / f"{entry}.pickle", "rb") as source:
            return pickle.load(source)
    except Exception:  # a damaged or foreign entry is simply a miss
        return None


def put(entry: str | None, value: Any) -> None:
    """Remember a value to write with `flush`."""
    if entry is not None:
        _pending[entry] = value


def flush() -> None:
    """Write the remembered entries (atomically) and prune the oldest ones."""
    place = folder()
    if place is None or not _pending:
        return
    try:
        place.mkdir(parents=True, exist_ok=True)
        for entry, value in _pending.items():
            temporary = place / f".{entry}.{os.getpid()}.tmp"
            with open(temporary, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, place / f"{entry}.pickle")
        entries = sorted(place.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written is no cache
    finally:
        _pending.clear()


def flush_in_background() -> None:
    """`flush` in a forked child that nobody waits for (in this process without fork)."""
    if not _pending:
        return
    if not hasattr(os, "fork"):
        flush()
        return
    if os.fork() == 0:
        try:
            flush()
        finally:
            os._exit(0)
    _pending.clear()
