"""SQLite storage: the library's process recorder, with the tamper-evident
chain (workflows.store.chain) and the index of submission keys (workflows.store.keys)
written in each insert's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteProcessRecorder

from workflows.store import chain, keys


class ChainedSQLiteProcessRecorder(SQLiteProcessRecorder):
    # Which database this is, for workflows.store.database.
    postgres = False

    def __init__(self, datastore: SQLiteDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.chainer = chain.Chainer(chain.TABLE, self.events_table_name, "rowid")
        self.key_writer = keys.KeyWriter(keys.TABLE, postgres=False)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            chain.create_statement(postgres=False),
            keys.create_statement(postgres=False),
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            self.chainer.extend(c, chain.records_of(ids, stored_events))
            if "keys" in kwargs:
                self.key_writer.write(c, kwargs["keys"], ids)
        return ids
