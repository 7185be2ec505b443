"""PostgreSQL storage: the library's process recorder, made to keep its
promise of atomic tracking on the fast database-function insert path.

With POSTGRES_ENABLE_DB_FUNCTIONS (which Accord uses: large batches hang on
the default path), eventsourcing 9.5.6's `insert_events` calls the insert
function and silently drops the `tracking` argument, so a follower's position
would never be recorded, and takes no table lock, so concurrent writers could
commit positions out of order. Here the lock, tracking, the events and the
tamper-evident chain (workflows.chain) go in one transaction. Imported only
when the store is PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from psycopg.sql import SQL

from workflows import chain

PAGE = 10_000


class TrackingPostgresProcessRecorder(PostgresProcessRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = self.datastore.schema
        self.chain_table = f"{schema}.{chain.TABLE}"
        self.chainer = chain.Chainer(self.chain_table, self._unchained, placeholder="%s")
        self.sql_create_statements.append(SQL(chain.create_statement(postgres=True, schema=schema)).format())

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not self.datastore.enable_db_functions:
            raise RuntimeError("Accord's PostgreSQL recorder needs POSTGRES_ENABLE_DB_FUNCTIONS")
        tracking: Tracking | None = kwargs.get("tracking")
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if events:
                # The library's function path skips the table lock its other
                # path takes: without it, concurrent writers could commit
                # positions out of order and a reader following the log skip
                # one for ever. The lock also keeps the chain in order.
                for statement in self.lock_table_statements:
                    cursor.execute(statement, prepare=False)
            if tracking is not None:
                self._insert_tracking(cursor, tracking)
            if not events:
                return []
            cursor.execute(self.sql_invoke_pg_function_insert_events, (events,), prepare=True)
            ids = [row[self.pg_function_name_insert_events] for row in cursor.fetchall()]
            self.chainer.extend(cursor, chain.records_of(ids, stored_events))
            return ids

    def _unchained(self, cursor: Any, after: int, before: int) -> Iterator[chain.Record]:
        table = f"{self.datastore.schema}.{self.events_table_name}"
        while True:
            cursor.execute(
                f"SELECT notification_id, originator_id, originator_version, topic, state FROM {table} "
                "WHERE notification_id > %s AND notification_id < %s ORDER BY notification_id LIMIT %s",
                (after, before, PAGE),
            )
            rows = cursor.fetchall()
            for row in rows:
                yield (
                    row["notification_id"],
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                )
            if len(rows) < PAGE:
                return
            after = rows[-1]["notification_id"]
