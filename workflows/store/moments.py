"""The log's moments never go back: each transaction's records are stamped
no earlier than the latest moment stored before them, which the recorders
make sure of in their insert transaction, where writers are serialised.

A writer takes its moment when it decides, and stores what it decided when
its turn comes; meanwhile another may have stored a later moment. Deciding
again would not help (a large batch, decided in a minute, would lose to
small ones for ever on a busy store), so its records are stamped again, with
the latest moment the log holds, and encoded again, under the lock: they
were known no earlier than that. `audit verify` holds the log to it from the
position the check began at (`since`, kept beside the latest moment); a
store recorded before, whose writers stored a little out of order, is held
to it from there on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from eventsourcing.persistence import StoredEvent

TABLE = "accord_moments"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Records stamped again by more than this say so in the log: the writer's
# clock is likely behind the others'.
WARN_AFTER = timedelta(minutes=5)

log = logging.getLogger("accord")


def create_statement(postgres: bool, schema: str | None = None) -> str:
    table = f"{schema}.{TABLE}" if schema else TABLE
    kind = "BIGINT" if postgres else "INTEGER"
    return f"CREATE TABLE IF NOT EXISTS {table} (log TEXT PRIMARY KEY, latest {kind} NOT NULL, since {kind} NOT NULL)"


def micros(moment: datetime) -> int:
    """A moment as whole microseconds since 1970 (UTC): exact to compare."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


@dataclass
class Stamped:
    """The moments of the records a transaction stores (in order), and how
    to encode them again stamped no earlier than a moment. `moved_to` is
    that moment, once the recorder has stamped them again."""

    earliest: datetime
    latest: datetime
    restamp: Callable[[datetime], Sequence[StoredEvent]]
    moved_to: datetime | None = None

    @classmethod
    def of(cls, events: Sequence[Any], encode: Callable[[Any], StoredEvent]) -> Stamped | None:
        """The moments of events about to be stored, which must be in order
        themselves (None for none); `encode` maps one to its stored form."""
        moments = [event.timestamp for event in events]
        if not moments:
            return None
        if any(later < earlier for earlier, later in pairwise(moments)):
            raise ValueError("events decided together are stamped out of order")

        def restamp(at: datetime) -> list[StoredEvent]:
            return [
                encode(event if event.timestamp >= at else event.model_copy(update={"timestamp": at}))
                for event in events
            ]

        return cls(moments[0], moments[-1], restamp)


class Moments:
    """The latest moment a log holds, kept in a recorder's insert
    transaction (after it took the writers' lock). `events` and `position`
    name the events table and its column of positions."""

    def __init__(self, events: str, position: str, table: str = TABLE, placeholder: str = "?") -> None:
        mark = placeholder
        self.log = "events"
        self.select = f"SELECT latest FROM {table} WHERE log = {mark}"
        # Where the check begins: the position after the log's last.
        self.insert = (
            f"INSERT INTO {table} (log, latest, since) "
            f"SELECT {mark}, {mark}, COALESCE(MAX({position}), 0) + 1 FROM {events}"
        )
        self.update = f"UPDATE {table} SET latest = {mark} WHERE log = {mark}"

    def keep(self, cursor: Any, records: Sequence[StoredEvent], stamped: Stamped | None) -> Sequence[StoredEvent]:
        """The records to store: as given, or stamped again if the log holds
        a moment later than their earliest; the log's latest moment moved on.
        None stamped (a write made around the event store): as given."""
        if stamped is None:
            return records
        cursor.execute(self.select, (self.log,))
        row = cursor.fetchone()
        if row is None:
            cursor.execute(self.insert, (self.log, micros(stamped.latest)))
            return records
        held = int(row["latest"] if isinstance(row, dict) else row[0])
        if micros(stamped.earliest) < held:
            at = moment(held)
            if at - stamped.earliest > WARN_AFTER:
                log.warning(
                    "records decided at %s are stamped %s, the latest moment the record holds: "
                    "is this host's clock behind the others'?",
                    stamped.earliest.isoformat(),
                    at.isoformat(),
                )
            records, stamped.moved_to = stamped.restamp(at), at
        if micros(stamped.latest) > held:
            cursor.execute(self.update, (micros(stamped.latest), self.log))
        return records


def held_since(db: Any) -> int | None:
    """The position from which the log's moments were kept in order by its
    writers (None: never, a store not written since the check was kept)."""
    if not db.has_table(TABLE):
        return None
    rows = db.query(f"SELECT MIN(since) AS since FROM {TABLE}")
    return int(rows[0]["since"]) if rows and rows[0]["since"] is not None else None
