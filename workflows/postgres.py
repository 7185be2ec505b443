"""PostgreSQL storage: the library's process recorder, made to keep its
promise of atomic tracking on the fast database-function insert path.

With POSTGRES_ENABLE_DB_FUNCTIONS (which Accord uses: large batches hang on
the default path), eventsourcing 9.5.6's `insert_events` calls the insert
function and silently drops the `tracking` argument, so a follower's position
would never be recorded. Here tracking and events go in one transaction.
Imported only when the store is PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder


class TrackingPostgresProcessRecorder(PostgresProcessRecorder):
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if tracking is None or not self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            self._insert_tracking(cursor, tracking)
            if not events:
                return []
            cursor.execute(self.sql_invoke_pg_function_insert_events, (events,), prepare=True)
            return [row[self.pg_function_name_insert_events] for row in cursor.fetchall()]
