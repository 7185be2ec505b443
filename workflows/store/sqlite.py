"""SQLite storage: the library's process recorder, with the tamper-evident
chain (workflows.store.chain) and the index of submission keys (workflows.store.keys)
written in each insert's transaction, over connections made as Accord wants
them (SQLiteFactory)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing import sqlite
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteProcessRecorder,
)

from workflows.store import chain, keys, moments, positions, signatures, trial


class ChainedSQLiteProcessRecorder(SQLiteProcessRecorder):
    # Which database this is, for workflows.store.database.
    postgres = False

    def __init__(self, datastore: SQLiteDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.chainer = chain.Chainer(chain.TABLE, self.events_table_name, "rowid")
        self.key_writer = keys.KeyWriter(keys.TABLE, postgres=False)
        self.positions = positions.Positions(self.events_table_name, chain.TABLE)
        self.moments = moments.Moments(self.events_table_name, "rowid")
        # Its signer is set by the composition root (workflows.application.compose).
        self.signing = signatures.Signing(signatures.SIGNATURES, signatures.SIGNERS)
        self.insert_at = (
            f"INSERT INTO {self.events_table_name} (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            chain.create_statement(postgres=False),
            keys.create_statement(postgres=False),
            positions.create_statement(),
            moments.create_statement(postgres=False),
            *signatures.create_statements(postgres=False),
        ]

    # A follower's `read` (chain.Read) is not confirmed here, as PostgreSQL's
    # recorder does: one file cannot change server under a reader, and a
    # read before the insert would make it fail, not wait, where another
    # writer commits first (SQLite's deferred transaction).
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert, at positions given here rather than by
        SQLite, which could give a position twice (workflows.store.positions),
        with the moments' order (workflows.store.moments), the chain, the key
        index, the signature and the tracking in its transaction; a `trial`
        all of that, rolled back (workflows.store.trial)."""
        ids: list[int] = []
        if stored_events:
            start = self.positions.next(c)
            stored_events = self.moments.keep(c, stored_events, kwargs.get("moments"))
            changes = kwargs.get("signing")
            signed = self.signing.admit(c, changes, {event.topic for event in stored_events})
            ids = list(range(start, start + len(stored_events)))
            c.executemany(
                self.insert_at, [_row(position, event) for position, event in zip(ids, stored_events, strict=True)]
            )
            self.positions.given(c, ids[-1])
            head = self.chainer.extend(c, chain.records_of(ids, stored_events))
            self.signing.sign(c, ids, changes, head.digest, signed)
            if "keys" in kwargs:
                self.key_writer.write(c, kwargs["keys"], ids)
        tracking = kwargs.get("tracking")
        if tracking is not None:
            self._insert_tracking(c, tracking)
        trial.end_of(kwargs.get("trial"))
        return ids


def _row(position: int, event: StoredEvent) -> tuple[int, str, int, str, bytes]:
    """A stored event as the library's SQLite table holds it, at its position."""
    originator = event.originator_id.hex if isinstance(event.originator_id, UUID) else str(event.originator_id)
    return position, originator, event.originator_version, event.topic, event.state


class SQLiteFactory(sqlite.SQLiteFactory):
    """The library's SQLite persistence, its connections made by _Pool."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        # The library's datastore makes its pool itself, and lazily: no
        # connection was made by the one replaced.
        pool = self.datastore.pool
        self.datastore.pool = _Pool(db_name=pool.db_name, lock_timeout=pool.lock_timeout)


class _Pool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        # Debian's SQLite is built to overwrite every freed page with zeros,
        # which makes dropping a view's old table as costly as writing it
        # again (a tenth of a rebuild). Nothing freed here needs it: the
        # tables Accord drops or deletes from (views, snapshots) are derived
        # from the log, which is never deleted from. FAST still zeroes what
        # costs no extra write.
        connection.cursor().execute("PRAGMA secure_delete = FAST")
        return connection
