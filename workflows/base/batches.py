"""Work done in batches of thousands of objects, and how its progress is told."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

# Told how many more items are done, after each batch.
Progress = Callable[[int], None]
# Shows the progress of a step of so many items, with a label ("checking");
# None where nothing is shown.
Bar = Callable[[int, str], AbstractContextManager[Progress | None]]


def no_bar(total: int, label: str) -> AbstractContextManager[Progress | None]:
    return nullcontext()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for one batch: each of its passes
    re-scans every object the batch keeps alive (submissions, events, rows),
    which cost a fifth to a third of a batch's time. Nothing a batch frees
    waits for it: reference counting frees them; any cycles are collected
    once the batch is over."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
