"""Forgeries, as someone who holds the database's credentials could make
them (the writer role `accord init --writer` makes, or the SQLite file's
owner): a record appended with the database's own driver, never through
Accord, its chain row recomputed by the algorithm of workflows.store.chain
and its key-index row by workflows.store.keys, so that the chain and the
key index agree with it, and signed, where the test gives the forger a
key. On SQLite or PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.base import Aggregate, Founding, Recorded, Submitted, _envelope
from domain.values import Stamp
from tests.helpers import raw
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.signing.keys import Signer
from workflows.store import chain, keys
from workflows.store.signatures import SIGNATURES, message


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


def forge_append(db: str, *, topic_part: str = "FundingCommitted", signer: Signer | None = None) -> int:
    """Append a copy of the last stored record whose topic holds
    `topic_part`, as the next version of its aggregate, with its chain row
    (and, given a signer, a signature of it, as a forger holding that key
    would make): its position."""
    postgres = db.startswith("postgresql")
    events, column, mark = ("accord_events", "notification_id", "%s") if postgres else ("stored_events", "rowid", "?")
    with raw(db) as connection:
        originator, topic, state = connection.execute(
            f"SELECT originator_id, topic, state FROM {events} WHERE topic LIKE {mark} ORDER BY {column} DESC LIMIT 1",
            (f"%{topic_part}%",),
        ).fetchone()
        [last] = connection.execute(
            f"SELECT MAX(originator_version) FROM {events} WHERE originator_id = {mark}", (originator,)
        ).fetchone()
    aggregate = originator if isinstance(originator, UUID) else UUID(str(originator))
    position = append_stored(db, StoredEvent(aggregate, int(last) + 1, topic, bytes(state)))
    if signer is not None:
        with raw(db) as connection:
            [digest] = connection.execute(
                f"SELECT digest FROM {chain.TABLE} WHERE position = {mark}", (position,)
            ).fetchone()
            connection.execute(
                f"INSERT INTO {SIGNATURES} (position, first, key_id, signature) "
                f"VALUES ({mark}, {mark}, {mark}, {mark})",
                (position, position, signer.key_id, signer.sign(message(position, position, digest)).hex()),
            )
    return position


def located(db: str) -> tuple[str, str, str]:
    postgres = db.startswith("postgresql")
    table, column = ("accord_events", "notification_id") if postgres else ("stored_events", "rowid")
    return table, column, "%s" if postgres else "?"


def rewrite(db: str, position: int, old: bytes, new: bytes) -> None:
    """Change a stored record's bytes and compute every digest of the chain
    from it on again, as an insider who knows the algorithm could: the
    chain alone then verifies."""
    table, column, mark = located(db)
    with raw(db) as connection:
        _set_aside_triggers(connection, db)
        [state] = connection.execute(f"SELECT state FROM {table} WHERE {column} = {mark}", (position,)).fetchone()
        assert old in bytes(state)
        connection.execute(
            f"UPDATE {table} SET state = {mark} WHERE {column} = {mark}", (bytes(state).replace(old, new), position)
        )
        [previous] = connection.execute(
            f"SELECT digest FROM {chain.TABLE} WHERE position < {mark} ORDER BY position DESC LIMIT 1", (position,)
        ).fetchone() or [chain.GENESIS]
        rows = connection.execute(
            f"SELECT {column}, originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {column} >= {mark} ORDER BY {column}",
            (position,),
        ).fetchall()
        for at, originator, version, topic, stored in rows:
            previous = chain.link(previous, chain.canonical(at, originator, version, topic, bytes(stored)))
            connection.execute(f"UPDATE {chain.TABLE} SET digest = {mark} WHERE position = {mark}", (previous, at))


def remove(db: str, position: int) -> None:
    table, column, mark = located(db)
    with raw(db) as connection:
        _set_aside_triggers(connection, db)
        connection.execute(f"DELETE FROM {table} WHERE {column} = {mark}", (position,))


def _set_aside_triggers(connection: Any, db: str) -> None:
    """On PostgreSQL, what only a superuser may do: write with the triggers
    that keep the log append-only set aside (`accord init --writer`'s)."""
    if db.startswith("postgresql"):
        connection.execute("SET session_replication_role = replica")
