"""The views as a reader sees them: the task list and the partnership
overview, read through the library's recorder, without the domain or the
rules.

A command that only reads opens a `Reader` first (`open_reader`). When the
views are current (at their code's version, and caught up with the log and
with the task follower) it reads them as they stand, which spares it the
domain's models: most of a start-up. Otherwise the application brings them
up to date and reads them through its own `Reader`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Cipher, InfrastructureFactory
from eventsourcing.utils import Environment

from domain.codes import partner_code
from domain.errors import DomainError
from workflows.projections.base import Views
from workflows.store.database import Database
from workflows.store.persistence import (
    APPLICATION,
    PydanticMapper,
    is_postgres,
    library_settings,
    mapper_for,
    require_postgres_support,
)

if TYPE_CHECKING:
    from workflows.settings import Settings

# The task follower's name in the library's tracking table.
FOLLOWER = "follower"

# The table where a store keeps which key it was written with: a probe
# encrypted with it, or "" for a store written without one.
KEYCHECK = "accord_keycheck"
PROBE = b"accord"


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


class Reader:
    """Queries over the views as they stand (callers bring them up to date)."""

    def __init__(
        self, recorder: Any, mapper: PydanticMapper, factory: InfrastructureFactory[Any] | None = None
    ) -> None:
        self.views = Views(Database(recorder, mapper))
        self.db = self.views.db
        # The library's factory, when the reader opened the store itself.
        self._factory = factory

    def close(self) -> None:
        if self._factory is not None:
            self._factory.close()

    def current(self) -> bool:
        """Whether the follower and every view have read the whole log (and
        every view is built by the version of its code that runs)."""
        head = self.db.head()
        return self.db.position(FOLLOWER) >= head and self.views.current(head)

    def key_fits(self) -> bool:
        """Whether the store was written with the cipher key given (or without
        one, as given): asked of the probe the store keeps."""
        if not self.db.has_table(KEYCHECK):
            return False
        rows = self.db.query(f"SELECT probe FROM {KEYCHECK} WHERE name = 'key'")
        return bool(rows) and probe_fits(str(rows[0]["probe"]), self.db.mapper.cipher)

    def tasks(self, which: TaskFilter, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The task list, earliest due first, read as it is used."""
        where, params = which.sql()
        table = self.views.table("tasks")
        bound = f"LIMIT {int(limit)}" if limit is not None else ""
        today = which.today.isoformat()
        for row in self.db.stream(f"SELECT * FROM {table} {where} ORDER BY due_on, task_id {bound}", params):
            row["overdue"] = row["status"] == "open" and row["due_on"] < today
            yield row

    def task_count(self, which: TaskFilter) -> int:
        """How many tasks the filter selects."""
        where, params = which.sql()
        [row] = self.db.query(f"SELECT COUNT(*) AS n FROM {self.views.table('tasks')} {where}", params)
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
        table = self.views.table("tasks")
        rows = self.db.query(f"SELECT task_id FROM {table} WHERE task_id LIKE ? ORDER BY task_id", (ref + "%",))
        if not rows:
            raise UnknownTask(f"no task has an id starting {ref!r}")
        if len(rows) > 1:
            raise UnknownTask(f"{len(rows)} tasks have ids starting {ref!r}; give more characters")
        return UUID(rows[0]["task_id"])

    def open_tasks_by_partner(self, today: date) -> dict[str | None, tuple[int, int]]:
        """Each partner's open and overdue tasks."""
        rows = self.db.query(
            f"SELECT partner, COUNT(*) AS open, SUM(CASE WHEN due_on < ? THEN 1 ELSE 0 END) AS overdue "
            f"FROM {self.views.table('tasks')} WHERE status = 'open' GROUP BY partner",
            (today.isoformat(),),
        )
        return {row["partner"]: (int(row["open"]), int(row["overdue"])) for row in rows}

    def partners(self) -> list[dict[str, Any]]:
        """Every partnership with its counts, from the partnership overview."""
        rows = self.db.query(f"SELECT * FROM {self.views.table('partnerships')} ORDER BY partner")
        return [
            {
                "code": row["partner"],
                "name": row["name"],
                "opened_on": row["opened_on"],
                "last_activity": row["last_activity"],
                "events": row["events"],
                "visits": row["visits"],
                "dialogues": row["dialogues"],
                "open_commitments": row["open_eu"] + row["open_member_state"] + row["open_partner"],
            }
            for row in rows
        ]


def probe_fits(stored: str, cipher: Cipher | None) -> bool:
    """Whether a store's probe ("" for a store written without a key) is
    read by the cipher given (None: no key)."""
    if not stored or cipher is None:
        return not stored and cipher is None
    try:
        return cipher.decrypt(base64.b64decode(stored)) == PROBE
    except ValueError:
        return False


def open_reader(settings: Settings) -> Reader | None:
    """A reader over the store when its views are current and the key given
    reads it; None when the application is needed first: to create the
    store, to refuse the key in a sentence, to bring the views up to date,
    or to check a rules or policy file named (every command refuses a bad
    one, and checking it takes the domain)."""
    if settings.rules or settings.policy:
        return None
    if is_postgres(settings.db):
        require_postgres_support()
    elif not Path(settings.db).expanduser().is_file():
        return None
    env = library_settings(settings.db, create_tables=False, cipher_key=settings.cipher_key)
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(Environment(APPLICATION, env))
    reader = Reader(factory.process_recorder(), mapper_for(factory), factory)
    try:
        if reader.key_fits() and reader.current():
            return reader
    except BaseException:
        reader.close()
        raise
    reader.close()
    return None
