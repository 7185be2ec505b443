"""Forgeries, as someone who holds the database's credentials could make
them (the writer role `accord init --writer` makes, or the SQLite file's
owner): a record appended with the database's own driver, never through
Accord, its chain row recomputed by the algorithm of workflows.store.chain
and its key-index row by workflows.store.keys, so that the chain and the
key index agree with it. On SQLite or PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.base import Aggregate, Founding, Recorded, Submitted, _envelope
from domain.values import Stamp
from tests.helpers import raw
from workflows.compose import build
from workflows.settings import Settings
from workflows.store import chain, keys


def forged(
    kind: type[Aggregate],
    event_class: type[Recorded],
    subject: str,
    facts: dict[str, Any],
    *,
    version: int,
    actor: str = "finance-director",
    at: datetime | None = None,
    key: str = "forged",
) -> Any:
    """An event as Accord would have built it, at `version` of the
    aggregate `subject` names, recorded by `actor` at `at` (now if not
    given): no rule of the domain asked."""
    stamp = Stamp(actor, at or datetime.now(UTC), key)
    topic = get_topic(kind) if issubclass(event_class, Founding) else None
    return event_class(**_envelope(kind.id_for(subject), version, stamp, topic=topic), **facts)


def version_of(db: str, aggregate_id: UUID) -> int:
    """The last version of an aggregate the store holds (0: none)."""
    postgres = db.startswith("postgresql")
    table, mark = ("accord_events", "%s") if postgres else ("stored_events", "?")
    with raw(db) as connection:
        row = connection.execute(
            f"SELECT MAX(originator_version) FROM {table} WHERE originator_id = {mark}",
            (aggregate_id if postgres else aggregate_id.hex,),
        ).fetchone()
    return int(row[0] or 0)


def append(db: str, event: Any, *, as_url: str | None = None) -> int:
    """Append `event` at the end of the log of `db` with its chain row and
    its key-index row (a fact's), through a raw connection to `as_url` (the
    writer's, say; `db` itself if not given), encoded as the store encodes
    (its mapper, so an encrypted store too). Returns its position."""
    app = build(Settings(db=db))
    try:
        stored = app.mapper.to_stored_event(event)
        digest = app.keys.digest(event.key) if isinstance(event, Submitted) else None
    finally:
        app.close()
    return append_stored(as_url or db, stored, digest)


def append_stored(url: str, stored: StoredEvent, key: bytes | None = None) -> int:
    """Append a stored record as it is (any bytes) at the end of the log
    through a raw connection to `url`, with its chain row, and with a
    key-index row if `key` (a key's digest, workflows.store.keys) is given.
    Returns its position."""
    postgres = url.startswith("postgresql")
    mark = "%s" if postgres else "?"
    originator: Any = stored.originator_id if postgres else stored.originator_id.hex
    with raw(url) as connection:
        head = chain.head(connection.cursor())
        if postgres:
            [position] = connection.execute(
                "INSERT INTO accord_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s) RETURNING notification_id",
                (originator, stored.originator_version, stored.topic, stored.state),
            ).fetchone()
        else:
            position = head.position + 1
            connection.execute(
                "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                (position, originator, stored.originator_version, stored.topic, stored.state),
            )
        record = chain.canonical(position, originator, stored.originator_version, stored.topic, stored.state)
        connection.execute(
            f"INSERT INTO {chain.TABLE} (position, digest) VALUES ({mark}, {mark})",
            (position, chain.link(head.digest, record)),
        )
        if key is not None:
            aggregate = stored.originator_id if postgres else stored.originator_id.bytes
            connection.execute(
                f"INSERT INTO {keys.TABLE} (originator_id, position, keys) VALUES ({mark}, {mark}, {mark})",
                (aggregate, position, key),
            )
    return int(position)
