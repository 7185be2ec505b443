"""Who may act: one scheduler per store.

On SQLite the first scheduler holds a lock on a file beside the store for as
long as it runs; a second one is told so and stops. On PostgreSQL any number
may run: at each tick one takes a transaction-level advisory lock on a
connection of its own (not one of the library's pool, which recycles them)
and acts, the others let that tick pass; if the leader dies, its lock goes
with its connection and another acts at its next tick. The lock saves work;
correctness rests on the events' deterministic identities.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from workflows.base.failures import StoreUnusable
from workflows.store.persistence import is_postgres, library_settings, postgres_address
from workflows.store.retry import first_line

log = logging.getLogger("accord.scheduler")


class AnotherScheduler(StoreUnusable):
    """Another scheduler runs on this SQLite store."""


class Leadership:
    """Whether this process may act now; `turn()` is held for a tick, and
    when it says no, it has logged why."""

    @contextmanager
    def turn(self, *, wait: bool = False) -> Iterator[bool]:
        yield True

    def close(self) -> None:
        pass


class FileLock(Leadership):
    """The SQLite store's scheduler lock: a file beside it, locked while we run."""

    def __init__(self, db: str) -> None:
        self.path = Path(f"{Path(db).expanduser()}.scheduler.lock")
        self.file: IO[str] | None = open(self.path, "a+")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            self.file = None
            raise AnotherScheduler(
                f"another scheduler is running on this store ({holder}); stop it first, or let it do the work"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()} on {os.uname().nodename}")
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()  # releases the lock
            self.file = None


class AdvisoryLock(Leadership):
    """PostgreSQL: one scheduler acts per tick, under a transaction-level lock."""

    def __init__(self, db: str) -> None:
        settings = library_settings(db, create_tables=False)
        # With several hosts, the one that takes writes (as the writers'):
        # after a failover the lock is taken on the new primary.
        self.conninfo: dict[str, Any] = postgres_address(db).connection(settings["POSTGRES_CONNECT_TIMEOUT"])
        schema = settings.get("POSTGRES_SCHEMA", "public")
        # One lock per store (database and schema), a signed 64-bit key.
        self.key = zlib.crc32(f"accord-scheduler/{schema}".encode())
        self.connection: Any = None

    @contextmanager
    def turn(self, *, wait: bool = False) -> Iterator[bool]:
        leading = self._acquire(wait)
        try:
            yield leading
        finally:
            self._release()

    def _acquire(self, wait: bool) -> bool:
        """Take the lock in a new transaction on our own connection."""
        import psycopg

        try:
            if self.connection is None or self.connection.closed:
                self.connection = psycopg.connect(**self.conninfo)
            if wait:
                self.connection.execute("SET LOCAL lock_timeout = '60s'")
                self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (self.key,))
                return True
            row = self.connection.execute("SELECT pg_try_advisory_xact_lock(%s)", (self.key,)).fetchone()
            if not (row and row[0]):
                log.info("another scheduler acts on this tick")
                return False
            return True
        except psycopg.OperationalError as error:
            if wait:
                raise
            # The lock's connection broke, and the lock with it: try again next tick.
            log.warning("cannot take the scheduler lock (%s); trying again at the next tick", first_line(error))
            self.close()
            return False

    def _release(self) -> None:
        """End the transaction, which releases the lock."""
        try:
            if self.connection is not None:
                self.connection.rollback()
        except Exception:  # a broken connection has released the lock already
            self.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def leadership(db: str) -> Leadership:
    return AdvisoryLock(db) if is_postgres(db) else FileLock(db)
