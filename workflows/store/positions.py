"""Positions the log gives, never twice (SQLite).

SQLite gives a row inserted without a rowid the table's largest plus one:
once the log's last records are removed (an earlier backup of the log
restored, a DELETE), it would give their positions again, and every reader
that had read past them (each view, the task follower) would skip the new
records for ever. PostgreSQL's sequence never gives a number twice. So the
SQLite recorder gives each record its position itself, after the highest
ever given, which this table remembers, in the insert's own transaction
(the chain's last link and the log's last record count too: a store
written before the table existed, or a chain that outlived its records).
"""

from __future__ import annotations

from typing import Any

TABLE = "accord_positions"


def create_statement() -> str:
    return f"CREATE TABLE IF NOT EXISTS {TABLE} (log TEXT PRIMARY KEY, given INTEGER NOT NULL) WITHOUT ROWID"


class Positions:
    """The highest position a log (`events`, its chain in `chain`) ever
    gave, taken and moved on inside a recorder's insert transaction."""

    def __init__(self, events: str, chain: str) -> None:
        self.log = events
        self.claim = f"INSERT INTO {TABLE} (log, given) VALUES (?, 0) ON CONFLICT (log) DO NOTHING"
        self.highest = (
            f"SELECT MAX((SELECT given FROM {TABLE} WHERE log = ?), "
            f"COALESCE((SELECT MAX(rowid) FROM {events}), 0), COALESCE((SELECT MAX(position) FROM {chain}), 0))"
        )
        self.move = f"UPDATE {TABLE} SET given = ? WHERE log = ?"

    def next(self, cursor: Any) -> int:
        """The position after the highest ever given. A write comes first: it
        takes SQLite's write lock, which a transaction that began by reading
        could not take once another writer had committed (it fails at once)."""
        cursor.execute(self.claim, (self.log,))
        cursor.execute(self.highest, (self.log,))
        return int(cursor.fetchone()[0]) + 1

    def given(self, cursor: Any, last: int) -> None:
        cursor.execute(self.move, (last, self.log))
