"""The console's threads, one pool for each kind of work, so that no request
waits behind another kind: a user's page never waits for a stranger's
password hash or for a replay of the record as it stood.

- Readers (READERS threads) read the record as it is now, each thread with
  an application of its own, and so connections of its own: SQLite's WAL
  lets them read beside a writer, PostgreSQL serves each its own session.
  The views are brought up to date by one of them at a time, and only when
  the log has moved.
- Replays (REPLAYS threads) read the record as of a date or as known at a
  moment: a replay of the log in memory, the costliest read there is, so
  few run at once, at a lower priority than the readers; each is kept
  (workflows.web.replays) for the pages that ask for the same moment after it.
- Sign-in (SIGNING_IN threads, at a lower priority) checks passwords,
  whose argon2 hash takes a fifth of a second of a core on purpose: a flood
  of attempts waits for these threads, never for the readers', and past
  WAITING attempts at once the next is told to try again in a moment.
- One writer records a change made on a page, on the application that
  records (the primary, when pages are read on a standby): changes are
  made one at a time, as the command line makes them. Every form that
  records (a task's change, a fact, a correction) goes through `write`, and
  the next read, seeing the log moved, brings the views up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from workflows.application.service import Accord

READERS = 4
REPLAYS = 2
SIGNING_IN = 2
# Sign-in attempts waiting or being checked at once; the next is refused.
WAITING = 32
# Seconds a thread holds the interpreter's lock while another waits for it
# (Python's default is 0.005): a reader's page is many short steps, each
# waiting its turn behind a replay's or a sign-in's thread.
TURN = 0.001
# How much less a replay's or a sign-in's thread is given of the processor
# than a reader's (Linux's niceness, a thread's own).
POLITE = 10

T = TypeVar("T")


class Busy(Exception):
    """Too many sign-ins at once: the next is asked to wait a moment."""


class Workers:
    """The pools, and the applications their threads read and record with."""

    def __init__(self, build: Callable[[], Accord], build_recording: Callable[[], Accord] | None = None) -> None:
        self.build = build
        self.build_recording = build_recording
        # For the whole process, which serves the console.
        sys.setswitchinterval(min(TURN, sys.getswitchinterval()))
        self.reading = ThreadPoolExecutor(READERS, thread_name_prefix="accord-read")
        self.replaying = ThreadPoolExecutor(REPLAYS, thread_name_prefix="accord-replay", initializer=_polite)
        self.signing_in = ThreadPoolExecutor(SIGNING_IN, thread_name_prefix="accord-sign-in", initializer=_polite)
        self.writing = ThreadPoolExecutor(1, thread_name_prefix="accord-write")
        self.waiting = threading.BoundedSemaphore(WAITING)
        self._own = threading.local()
        self._made: list[Accord] = []
        self._making = threading.Lock()
        # The views are brought up to date by one thread at a time, and
        # only when the log has moved past where they were last brought.
        self._catching_up = threading.Lock()
        self._caught_up: int | None = None
        self._recording: Accord | None = None

    def app(self) -> Accord:
        """The calling thread's own application over the store (made on first use)."""
        own: Accord | None = getattr(self._own, "app", None)
        if own is None:
            own = self.build()
            with self._making:
                self._made.append(own)
            self._own.app = own
        return own

    def recording(self) -> Accord:
        """The application a change made on a page is recorded by (on the
        writer's thread): its own, unless changes are recorded elsewhere
        than pages are read (on a standby's primary)."""
        if self.build_recording is None:
            return self.app()
        if self._recording is None:
            self._recording = self.build_recording()
            with self._making:
                self._made.append(self._recording)
        return self._recording

    def caught_up(self, app: Accord) -> None:
        """Bring the views up to date (tasks opened, every view), as a command
        does before it reads: by one thread at a time, and not again until
        the log moves (a change made here, or by another process)."""
        if self._caught_up is not None and app.read_to() == self._caught_up:
            return
        with self._catching_up:
            if self._caught_up is not None and app.read_to() == self._caught_up:
                return  # another thread did it while this one waited
            app.refresh()
            self._caught_up = app.read_to()

    async def read(self, work: Callable[[], T]) -> T:
        return await _on(self.reading, work)

    async def replay(self, work: Callable[[], T]) -> T:
        return await _on(self.replaying, work)

    async def write(self, work: Callable[[], T]) -> T:
        return await _on(self.writing, work)

    async def sign_in(self, work: Callable[[], T]) -> T:
        """`work` on a sign-in thread; Busy if WAITING attempts are already there."""
        if not self.waiting.acquire(blocking=False):
            raise Busy("too many sign-ins at once: try again in a few seconds")
        try:
            return await _on(self.signing_in, work)
        finally:
            self.waiting.release()

    def close(self) -> None:
        """Stop every pool, then close every application made (their
        connections are the pool's, closed from any thread)."""
        for pool in (self.reading, self.replaying, self.signing_in, self.writing):
            pool.shutdown(wait=True, cancel_futures=True)
        with self._making:
            made, self._made = self._made, []
        for app in made:
            app.close()


async def _on(pool: ThreadPoolExecutor, work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(pool, work)


def _polite() -> None:
    """Lower the calling thread's priority, where the system lets a thread have its own."""
    # Not Linux: the same priority as the readers.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), POLITE)
