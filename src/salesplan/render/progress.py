"""A progress bar on stderr while a large plan loads; nothing when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salesplan.loading import STEPS, Step

LARGE = 2 * 1024 * 1024  # bytes of plan files above which loading takes long enough to show


def _plan_size(plan: Path | None) -> int:
    folder = Path.cwd() if plan is None else (plan if plan.is_dir() else plan.parent)
    try:
        return sum(
            p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts
        )
    except OSError:
        return 0


@contextmanager
def loading_progress(plan: Path | None) -> Iterator[Step]:
    """A `step` callback for `load_plan`: a transient bar for big plans on a terminal."""
    if not sys.stderr.isatty() or _plan_size(plan) < LARGE:
        yield lambda what: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,  # drawn at each step: no refresh thread, so the loader may fork
    )
    with bar:
        task = bar.add_task("loading", total=len(STEPS))

        def step(what: str) -> None:
            done = STEPS.index(what) if what in STEPS else 0
            bar.update(task, completed=done, description=f"reading {what}", refresh=True)

        yield step
