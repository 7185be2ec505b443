"""The snapshots' table, beside the library's snapshot store: only each
aggregate's latest snapshot is kept, and all of them may be dropped (they
are derived, and taken again as facts arrive)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from workflows.store.database import Database


def drop_older(db: Database, table: str, snapshots: Sequence[Any]) -> None:
    """Delete the snapshots older than these, of the same aggregates."""
    with db.transaction() as cursor:
        cursor.executemany(
            f"DELETE FROM {table} WHERE originator_id = ? AND originator_version < ?",
            [(db.originator(s.originator_id), s.originator_version) for s in snapshots],
        )


def drop_all(db: Database, table: str) -> int:
    """Delete every snapshot; how many there were."""
    with db.transaction() as cursor:
        [row] = cursor.execute(f"SELECT COUNT(*) AS n FROM {table}").fetchall()
        cursor.execute(f"DELETE FROM {table}")
    return int(row["n"])


def kept(db: Database, table: str) -> list[tuple[UUID, int]]:
    """Each snapshot kept: its aggregate and version."""
    rows = db.query(f"SELECT originator_id, originator_version FROM {table} ORDER BY originator_id")
    return [(UUID(str(row["originator_id"])), int(row["originator_version"])) for row in rows]
