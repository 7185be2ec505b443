"""SQLite storage: the library's process recorder, with the tamper-evident
chain (workflows.chain) written in each insert's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteProcessRecorder

from workflows import chain

PAGE = 10_000


class ChainedSQLiteProcessRecorder(SQLiteProcessRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.chainer = chain.Chainer(chain.TABLE, self._unchained)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), chain.create_statement(postgres=False)]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            self.chainer.extend(c, chain.records_of(ids, stored_events))
        return ids

    def _unchained(self, c: Any, after: int, before: int) -> Iterator[chain.Record]:
        while True:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
                "WHERE rowid > ? AND rowid < ? ORDER BY rowid LIMIT ?",
                (after, before, PAGE),
            )
            rows = c.fetchall()
            for row in rows:
                yield (row[0], row[1], row[2], row[3], row[4])
            if len(rows) < PAGE:
                return
            after = rows[-1][0]
