"""Facts a reader of the log could not carry, kept where people see them.

A view or the task follower that meets one event it cannot handle (a bug of
its own, text a later version refuses) records the failure here, with the
event's position, and goes on with the rest of the log: one unusual fact
never stops every reader. Nothing is skipped silently: `projections status`,
`accord serve` and `audit verify` show what is here. A correction or
retraction of the fact heals it: the reader applies the fact again as it now
stands and the failure is forgotten if it succeeds.

Readers are named as the library's tracking names them: a view's table
(`view_tasks_3`), or the follower.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError

from domain.text import fit
from workflows.store.chain import LogMoved
from workflows.store.database import Cursor, Database, Record

TABLE = "accord_failures"

# A reason is kept to this many characters: an error's first words say it.
REASON = 500


def create_statement() -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (reader TEXT NOT NULL, position BIGINT NOT NULL, "
        "originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, type TEXT NOT NULL, "
        "reason TEXT NOT NULL, PRIMARY KEY (reader, position))"
    )


@dataclass(frozen=True)
class Failure:
    """One event one reader could not carry, and why."""

    reader: str
    position: int
    originator_id: str
    originator_version: int
    type: str
    reason: str

    @classmethod
    def of(cls, reader: str, record: Record, error: BaseException) -> Failure:
        return cls(
            reader,
            record.position,
            str(record.originator_id),
            record.originator_version,
            record.type.__name__,
            reason(error),
        )

    def __str__(self) -> str:
        return f"position {self.position} ({self.type}): {self.reason}"


def reason(error: BaseException) -> str:
    """An error as a failure keeps it: its kind and message, on one line."""
    return fit(f"{type(error).__name__}: {error}", REASON)


def of_the_store(error: BaseException) -> bool:
    """Whether an error is the store's or the code's, which no other event
    would escape (a lost connection, a locked or full database, a table
    missing, the log changed server), rather than one event's: those stop
    the reader, as before, to be retried or repaired."""
    if isinstance(error, OperationalError | InterfaceError | ProgrammingError | LogMoved | MemoryError):
        return True
    if isinstance(error, sqlite3.OperationalError | sqlite3.InterfaceError | sqlite3.ProgrammingError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(
        error, psycopg.OperationalError | psycopg.InterfaceError | psycopg.ProgrammingError
    )


@contextmanager
def savepoint(cursor: Cursor, name: str = "accord_event") -> Iterator[None]:
    """What is written inside is undone, and the transaction goes on, if it
    raises (PostgreSQL otherwise refuses every statement after an error)."""
    cursor.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cursor.execute(f"RELEASE SAVEPOINT {name}")
        raise
    cursor.execute(f"RELEASE SAVEPOINT {name}")


def record(cursor: Cursor, failures: Sequence[Failure]) -> None:
    """Keep failures (the latest reason, where one was kept before), in the
    caller's transaction: with the position the reader goes on from."""
    if not failures:
        return
    # Made here, in the same transaction, the first time one is kept: a
    # store whose readers never failed has no such table.
    cursor.execute(create_statement())
    cursor.executemany(
        f"INSERT INTO {TABLE} (reader, position, originator_id, originator_version, type, reason) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (reader, position) DO UPDATE SET reason = excluded.reason",
        [(f.reader, f.position, f.originator_id, f.originator_version, f.type, f.reason) for f in failures],
    )


def heal(cursor: Cursor, reader: str, originator_id: str, *, through: int, version: int | None = None) -> None:
    """Forget a reader's failures of one aggregate's events up to position
    `through` (of its event at `version` alone, if given): they are applied
    again as amended, and fail again if they still do."""
    cursor.execute(create_statement())
    sql = f"DELETE FROM {TABLE} WHERE reader = ? AND originator_id = ? AND position <= ?"
    params: list[Any] = [reader, originator_id, through]
    if version is not None:
        sql += " AND originator_version = ?"
        params.append(version)
    cursor.execute(sql, params)


def forget(cursor: Cursor, readers: Sequence[str]) -> None:
    """Forget every failure of these readers (a view's tables dropped)."""
    cursor.execute(create_statement())
    cursor.executemany(f"DELETE FROM {TABLE} WHERE reader = ?", [(reader,) for reader in readers])


def listed(db: Database, readers: Sequence[str], limit: int = 1000) -> list[Failure]:
    """These readers' failures, by position (none where the table is not
    made yet: a store no reader failed on, or a standby of one)."""
    if not readers or not db.has_table(TABLE):
        return []
    marks = ", ".join("?" * len(readers))
    rows = db.query(
        f"SELECT reader, position, originator_id, originator_version, type, reason FROM {TABLE} "
        f"WHERE reader IN ({marks}) ORDER BY position, reader LIMIT ?",
        [*readers, limit],
    )
    return [
        Failure(
            row["reader"],
            int(row["position"]),
            row["originator_id"],
            int(row["originator_version"]),
            row["type"],
            row["reason"],
        )
        for row in rows
    ]


def counted(db: Database, readers: Sequence[str]) -> dict[str, int]:
    """How many failures each of these readers has."""
    counts = dict.fromkeys(readers, 0)
    if not readers or not db.has_table(TABLE):
        return counts
    rows = db.query_in(
        f"SELECT reader, COUNT(*) AS n FROM {TABLE} WHERE reader IN ({{marks}}) GROUP BY reader", readers
    )
    return counts | {row["reader"]: int(row["n"]) for row in rows}
