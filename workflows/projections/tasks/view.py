"""The task list: one row per follow-up task, as its events left it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.task import FollowUpTask
from workflows.projections.base import View
from workflows.store.database import Cursor, Record

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
PLACE = {column: place for place, column in enumerate(COLUMNS)}


class TaskList(View):
    name = "tasks"
    reads = (
        T.TaskOpened,
        T.TaskAssigned,
        T.TaskDeferred,
        T.TaskRevised,
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
            f"CREATE INDEX IF NOT EXISTS {table}_partner ON {table} (partner, status, due_on)",
        ]

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        # A task opened in this batch takes its changes in memory and is
        # inserted once. Changes to older tasks are gathered, each column's
        # last value winning (a change sets values, it does not add to them),
        # and written a statement per set of columns: the same rows as
        # applying every event in turn, in a few statements.
        opened: dict[str, list[Any]] = {}
        changed: dict[str, dict[str, Any]] = {}
        for record in records:
            task_id = str(record.originator_id)
            if record.type is T.TaskOpened:
                opened[task_id] = _row(record)
                continue
            values = _change(record)
            if task_id in opened:
                row = opened[task_id]
                for column, value in values.items():
                    row[PLACE[column]] = value
            else:
                changed.setdefault(task_id, {}).update(values)
        cursor.insert(table, COLUMNS, list(opened.values()))
        updates: dict[tuple[str, ...], list[list[Any]]] = {}
        for task_id, values in changed.items():
            columns = tuple(sorted(values))
            updates.setdefault(columns, []).append([*(values[column] for column in columns), task_id])
        for columns, rows in updates.items():
            assignments = ", ".join(f"{column} = ?" for column in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE task_id = ?", rows)


def _change(record: Record) -> dict[str, Any]:
    """The columns a task's change sets, and their values."""
    match record.type:
        case T.TaskAssigned:
            return {"owner": record["owner"]}
        case T.TaskRevised:
            return {
                "due_on": record["due_on"],
                "title": record["title"],
                "basis": record["basis"],
                "reminded_on": None,
                "level": 0,
            }
        case T.TaskDeferred:
            return {"due_on": record["due_on"], "reminded_on": None, "level": 0}
        case T.TaskCompleted:
            return {"status": "done", "closed_at": record.recorded_at(), "outcome": record["outcome"]}
        case T.TaskCancelled:
            return {"status": "cancelled", "closed_at": record.recorded_at(), "outcome": record["reason"]}
        case T.ReminderSent:
            return {"reminded_on": record["on"]}
        case T.TaskEscalated:
            return {"level": record["level"]}
    raise TypeError(f"the task list does not read {record.type.__name__}")


def _row(record: Record) -> list[Any]:
    state = record.state
    return [
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
        record.recorded_at(),
        None,
        None,
    ]
