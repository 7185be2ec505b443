"""Progress shown on long work, on a terminal only."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.application.service import Accord

# Work of fewer steps than this shows no progress bar.
PROGRESS_FROM = 2000


def caught_up(app: Accord) -> Accord:
    """The application with its tasks and views brought up to date, a
    progress bar shown while that takes long on a terminal."""
    with progress_bar(app.lag(), "catching up") as advance:
        app.refresh(advance)
    return app


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on standard error for long work on a terminal; nothing otherwise."""
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(f"{label:<10}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)
