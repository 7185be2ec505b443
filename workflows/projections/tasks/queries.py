"""What is asked of the task list: tasks by status, partner, subject, owner
or due date; one task by its id or a prefix of it; open tasks of threads a
fact may close; what is due for a reminder, an escalation or a digest."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.codes import partner_code
from domain.errors import DomainError
from workflows.projections.base import Queries


class UnknownTask(DomainError):
    """A task reference that names no task, or several."""


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks to list: `overdue` means open and due before `today`."""

    today: date
    status: str = "open"
    partner: str | None = None
    subject: str | None = None
    owner: str | None = None
    due_before: date | None = None
    task_id: UUID | None = None

    @property
    def partner_code(self) -> str | None:
        """The partner asked for, as its code (given as "tn" or "Tunisia")."""
        return partner_code(self.partner) if self.partner else None

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE clause over the task list, and its parameters."""
        conditions, params = [], []
        if self.status == "overdue":
            conditions.append("status = 'open' AND due_on < ?")
            params.append(self.today.isoformat())
        elif self.status != "all":
            conditions.append("status = ?")
            params.append(self.status)
        if self.partner:
            conditions.append("partner = ?")
            params.append(partner_code(self.partner))
        if self.subject:
            conditions.append("subject = ?")
            params.append(self.subject)
        if self.owner:
            conditions.append("owner = ?")
            params.append(self.owner)
        if self.due_before:
            conditions.append("due_on < ?")
            params.append(self.due_before.isoformat())
        if self.task_id:
            conditions.append("task_id = ?")
            params.append(str(self.task_id))
        return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


class TaskQueries(Queries):
    view = "tasks"

    def tasks(self, which: TaskFilter, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The tasks the filter selects, earliest due first, read as they are used."""
        where, params = which.sql()
        bound = f"LIMIT {int(limit)}" if limit is not None else ""
        today = which.today.isoformat()
        for row in self.db.stream(f"SELECT * FROM {self.table} {where} ORDER BY due_on, task_id {bound}", params):
            row["overdue"] = row["status"] == "open" and row["due_on"] < today
            yield row

    def count(self, which: TaskFilter) -> int:
        """How many tasks the filter selects."""
        where, params = which.sql()
        [row] = self.db.query(f"SELECT COUNT(*) AS n FROM {self.table} {where}", params)
        return int(row["n"])

    def task(self, ref: str, today: date) -> dict[str, Any]:
        """One task's row, from its id or a unique prefix of it."""
        [row] = self.tasks(TaskFilter(today, status="all", task_id=self.task_id(ref)))
        return row

    def task_id(self, ref: str) -> UUID:
        """A task's id from its id or a unique prefix of it, as people type it."""
        ref = ref.strip().lower()
        if not re.fullmatch(r"[0-9a-f-]{4,36}", ref):
            raise UnknownTask(f"a task id is hexadecimal; give at least its first 4 characters, not {ref!r}")
        rows = self.db.query(f"SELECT task_id FROM {self.table} WHERE task_id LIKE ? ORDER BY task_id", (ref + "%",))
        if not rows:
            raise UnknownTask(f"no task has an id starting {ref!r}")
        if len(rows) > 1:
            raise UnknownTask(f"{len(rows)} tasks have ids starting {ref!r}; give more characters")
        return UUID(rows[0]["task_id"])

    def ids_of(self, partner: str) -> set[str]:
        """The ids of every task of a partnership, open or closed."""
        rows = self.db.query(f"SELECT task_id FROM {self.table} WHERE partner = ?", (partner_code(partner),))
        return {row["task_id"] for row in rows}

    def open_by_partner(self, today: date) -> dict[str | None, tuple[int, int]]:
        """Each partner's open and overdue tasks."""
        rows = self.db.query(
            f"SELECT partner, COUNT(*) AS open, SUM(CASE WHEN due_on < ? THEN 1 ELSE 0 END) AS overdue "
            f"FROM {self.table} WHERE status = 'open' GROUP BY partner",
            (today.isoformat(),),
        )
        return {row["partner"]: (int(row["open"]), int(row["overdue"])) for row in rows}

    def open_in_threads(self, threads: Sequence[str]) -> dict[str, set[UUID]]:
        """The open tasks of each thread, in a few queries for them all."""
        found: dict[str, set[UUID]] = {thread: set() for thread in threads}
        sql = f"SELECT thread, task_id FROM {self.table} WHERE status = 'open' AND thread IN ({{marks}})"
        for row in self.db.query_in(sql, threads):
            found[row["thread"]].add(UUID(row["task_id"]))
        return found

    def due_for_reminder(self, today: date, until: date) -> list[dict[str, Any]]:
        """Open tasks due from `today` to `until` and not reminded for their due date."""
        return self.db.query(
            f"SELECT task_id, title, owner, due_on FROM {self.table} WHERE status = 'open' AND reminded_on IS NULL "
            "AND due_on >= ? AND due_on <= ? ORDER BY due_on, task_id",
            (today.isoformat(), until.isoformat()),
        )

    def due_for_escalation(self, today: date, long_ago: date) -> list[dict[str, Any]]:
        """Open tasks overdue and not yet escalated, or due by `long_ago` and
        below level 2."""
        return self.db.query(
            f"SELECT task_id, title, owner, due_on, level FROM {self.table} WHERE status = 'open' AND "
            "((due_on < ? AND level < 1) OR (due_on <= ? AND level < 2)) ORDER BY due_on, task_id",
            (today.isoformat(), long_ago.isoformat()),
        )

    def open_by_due_date(self, today: date, partner: str | None = None) -> list[dict[str, Any]]:
        """Open tasks (of a partnership, if given) counted by due date, with
        how many of them are overdue on `today`: what a chart of tasks draws."""
        where, params = ("AND partner = ?", [partner_code(partner)]) if partner else ("", [])
        return self.db.query(
            f"SELECT due_on, COUNT(*) AS open, SUM(CASE WHEN due_on < ? THEN 1 ELSE 0 END) AS overdue "
            f"FROM {self.table} WHERE status = 'open' {where} GROUP BY due_on ORDER BY due_on",
            [today.isoformat(), *params],
        )

    def owners(self) -> list[str]:
        """Every owner of a task, in order."""
        return [row["owner"] for row in self.db.query(f"SELECT DISTINCT owner FROM {self.table} ORDER BY owner")]

    def owners_due_by(self, horizon: date) -> list[str]:
        """The owners of open tasks due by `horizon` (overdue ones included)."""
        rows = self.db.query(
            f"SELECT DISTINCT owner FROM {self.table} WHERE status = 'open' AND due_on <= ? ORDER BY owner",
            (horizon.isoformat(),),
        )
        return [row["owner"] for row in rows]

    def due_by(self, horizon: date) -> Iterator[dict[str, Any]]:
        """Open tasks due by `horizon`, by owner and then due date, read as they are used."""
        return self.db.stream(
            f"SELECT owner, task_id, partner, subject, title, due_on, level FROM {self.table} "
            "WHERE status = 'open' AND due_on <= ? ORDER BY owner, due_on, task_id",
            (horizon.isoformat(),),
        )
