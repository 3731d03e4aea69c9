"""A progress bar on stderr while a large plan loads; nothing when stderr is not a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from salesplan.loading import STEPS, Step
from salesplan.reading.files import PlanNotFound, find_plan

LARGE = 2 * 1024 * 1024  # bytes of plan files above which loading takes long enough to show


def _plan_size(plan: Path | None) -> int:
    """The bytes of the files at the top of the plan folder (org, territories...): one
    listing of one folder, never a walk of the tree."""
    try:
        folder = find_plan(plan).parent
        return sum(e.stat().st_size for e in os.scandir(folder) if e.is_file())
    except (OSError, PlanNotFound):
        return 0


@contextmanager
def loading_progress(plan: Path | None) -> Iterator[Step]:
    """A `step` callback for `load_plan`: a transient bar for big plans on a terminal."""
    if not sys.stderr.isatty() or _plan_size(plan) < LARGE:
        yield lambda what: None
        return
    with step_bar("loading", list(STEPS), lambda what: f"reading {what}") as step:
        yield step


@contextmanager
def step_bar(
    title: str, steps: list[str], describe: Callable[[str], str], auto_refresh: bool = True
) -> Iterator[Step]:
    """A transient bar on stderr through `steps`: `step(what)` moves it to `what`, shown as
    `describe(what)` (escaped by the caller)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=auto_refresh,
    )
    with bar:
        task = bar.add_task(title, total=len(steps))

        def step(what: str) -> None:
            done = steps.index(what) if what in steps else 0
            bar.update(task, completed=done, description=describe(what), refresh=True)

        yield step
