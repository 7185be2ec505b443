"""Work done in batches of thousands of objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
