"""The scheduler's own log of ticks, for `scheduler status`: when the last
tick ran, as of which moment, where, and what it did. Bookkeeping, not a
record of the institution: what a tick did is in the events it recorded."""

from __future__ import annotations

import os
from typing import Any

from workflows.application.service import Accord
from workflows.scheduler.work import Tick, actions_by_kind

TABLE = "accord_ticks"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, ran_at TEXT NOT NULL, "
    "as_of TEXT NOT NULL, host TEXT NOT NULL, done TEXT NOT NULL)"
)


class TickLog:
    """Its table is made by the first tick it records: until then there is
    nothing to read (and a hot standby, which takes no writes, may be read)."""

    def __init__(self, app: Accord) -> None:
        self.db = app.views.db
        self.clock = app.clock

    def record(self, tick: Tick) -> None:
        self.db.create_table(TABLE, CREATE)
        values = (
            "last",
            self.clock.now().isoformat(timespec="seconds"),
            tick.at.isoformat(timespec="seconds"),
            f"{os.uname().nodename} pid {os.getpid()}",
            self.summary(tick),
        )
        with self.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (name, ran_at, as_of, host, done) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET ran_at = excluded.ran_at, as_of = excluded.as_of, "
                "host = excluded.host, done = excluded.done",
                values,
            )

    def last(self) -> dict[str, Any] | None:
        if not self.db.has_table(TABLE):
            return None
        rows = self.db.query(f"SELECT ran_at, as_of, host, done FROM {TABLE} WHERE name = 'last'")
        return rows[0] if rows else None

    @staticmethod
    def summary(tick: Tick) -> str:
        counts = [f"{count} {kind}" for kind, count in actions_by_kind(tick.done)]
        return ", ".join(counts) or "nothing due"
