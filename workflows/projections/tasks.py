"""The task list: one row per follow-up task, as its events left it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.task import FollowUpTask
from workflows.projections.base import Cursor, Record, View

T = FollowUpTask

COLUMNS = (
    "task_id",
    "partner",
    "subject",
    "title",
    "owner",
    "status",
    "due_on",
    "level",
    "reminded_on",
    "rule",
    "basis",
    "source",
    "source_type",
    "thread",
    "opened_at",
    "closed_at",
    "outcome",
)


class TaskList(View):
    name = "tasks"
    reads = (
        T.TaskOpened,
        T.TaskAssigned,
        T.TaskDeferred,
        T.TaskCompleted,
        T.TaskCancelled,
        T.ReminderSent,
        T.TaskEscalated,
    )

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                task_id TEXT PRIMARY KEY,
                partner TEXT,
                subject TEXT NOT NULL,
                title TEXT NOT NULL,
                owner TEXT NOT NULL,
                status TEXT NOT NULL,
                due_on TEXT NOT NULL,
                level INTEGER NOT NULL,
                reminded_on TEXT,
                rule TEXT NOT NULL,
                basis TEXT NOT NULL,
                source TEXT NOT NULL,
                source_type TEXT NOT NULL,
                thread TEXT NOT NULL,
                opened_at TEXT NOT NULL,
                closed_at TEXT,
                outcome TEXT
            )""",
        ]

    def indexes(self, table: str) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {table}_due ON {table} (status, due_on)",
            f"CREATE INDEX IF NOT EXISTS {table}_thread ON {table} (thread, status)",
        ]

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        # New tasks are inserted in batches; any other change first flushes the
        # batch, so every change applies in the log's order.
        opened: list[tuple[Any, ...]] = []
        insert = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        for record in records:
            if record.type is T.TaskOpened:
                opened.append(_row(record))
                continue
            cursor.executemany(insert, opened)
            opened.clear()
            task_id = str(record.originator_id)
            match record.type:
                case T.TaskAssigned:
                    self._set(cursor, table, task_id, owner=record["owner"])
                case T.TaskDeferred:
                    self._set(cursor, table, task_id, due_on=record["due_on"], reminded_on=None, level=0)
                case T.TaskCompleted:
                    self._set(
                        cursor, table, task_id, status="done", closed_at=_moment(record), outcome=record["outcome"]
                    )
                case T.TaskCancelled:
                    self._set(
                        cursor, table, task_id, status="cancelled", closed_at=_moment(record), outcome=record["reason"]
                    )
                case T.ReminderSent:
                    self._set(cursor, table, task_id, reminded_on=record["on"])
                case T.TaskEscalated:
                    self._set(cursor, table, task_id, level=record["level"])
        cursor.executemany(insert, opened)

    @staticmethod
    def _set(cursor: Cursor, table: str, task_id: str, **values: Any) -> None:
        assignments = ", ".join(f"{column} = ?" for column in values)
        cursor.execute(f"UPDATE {table} SET {assignments} WHERE task_id = ?", (*values.values(), task_id))


def _row(record: Record) -> tuple[Any, ...]:
    state = record.state
    return (
        str(record.originator_id),
        state["partner"],
        state["subject"],
        state["title"],
        state["owner"],
        "open",
        state["due_on"],
        0,
        None,
        state["rule"],
        state["basis"],
        state["source"],
        state["source_type"],
        state["thread"],
        _moment(record),
        None,
        None,
    )


def _moment(record: Record) -> str:
    """When the event was recorded, to the second: 2021-05-20T09:30:00+00:00."""
    return datetime.fromisoformat(record["timestamp"]).isoformat(timespec="seconds")
