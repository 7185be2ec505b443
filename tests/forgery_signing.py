"""Forging, as an insider with the database but not Accord would: a record
appended by raw SQL, its chain link recomputed with the algorithm in
workflows.store.chain, with no signature or with one made by a key the
forger holds. For the tests of signed records."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.helpers import raw
from workflows.signing.keys import Signer
from workflows.store import chain
from workflows.store.signatures import SIGNATURES, message


def forge_append(db: str, *, topic_part: str = "FundingCommitted", signer: Signer | None = None) -> int:
    """Append a copy of the last stored record whose topic holds
    `topic_part`, as the next version of its aggregate, with its chain link
    recomputed (and, given a signer, a signature of it): its position."""
    postgres = db.startswith("postgresql")
    events, column = ("accord_events", "notification_id") if postgres else ("stored_events", "rowid")
    mark = "%s" if postgres else "?"
    with raw(db) as connection:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT originator_id, topic, state FROM {events} WHERE topic LIKE {mark} ORDER BY {column} DESC LIMIT 1",
            (f"%{topic_part}%",),
        )
        originator, topic, state = cursor.fetchone()
        cursor.execute(f"SELECT MAX(originator_version) FROM {events} WHERE originator_id = {mark}", (originator,))
        version = int(cursor.fetchone()[0]) + 1
        cursor.execute(f"SELECT position, digest FROM {chain.TABLE} ORDER BY position DESC LIMIT 1")
        _, previous = cursor.fetchone()
        if postgres:
            cursor.execute(
                f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s) RETURNING notification_id",
                (originator, version, topic, bytes(state)),
            )
            position = int(cursor.fetchone()[0])
        else:
            cursor.execute(f"SELECT MAX(rowid) FROM {events}")
            position = int(cursor.fetchone()[0]) + 1
            cursor.execute(
                f"INSERT INTO {events} (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                (position, originator, version, topic, bytes(state)),
            )
        digest = chain.link(previous, chain.canonical(position, _id(originator), version, topic, bytes(state)))
        cursor.execute(f"INSERT INTO {chain.TABLE} (position, digest) VALUES ({mark}, {mark})", (position, digest))
        if signer is not None:
            signature = signer.sign(message(position, position, digest)).hex()
            columns = "(position, first, key_id, signature)"
            cursor.execute(
                f"INSERT INTO {SIGNATURES} {columns} VALUES ({mark}, {mark}, {mark}, {mark})",
                (position, position, signer.key_id, signature),
            )
    return position


def _id(originator: Any) -> UUID | str:
    return originator if isinstance(originator, UUID) else str(originator)
