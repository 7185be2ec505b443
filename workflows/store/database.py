"""The store's database as Accord's own code uses it, beside the library's
recorders: transactions and queries that take `?` placeholders on SQLite
and PostgreSQL alike, the log read in pages as views read it, and the
library's tracking positions written in the caller's transaction.

Views, the key index, the audit and the scheduler's bookkeeping all reach
the database through a `Database`; which database it is, the recorder says
(`postgres`, set by the recorder classes the store's settings name).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError, Tracking

from domain.recorded import RECORDED
from workflows.store import chain

if TYPE_CHECKING:
    from workflows.store.persistence import PydanticMapper

# Values bound to one `IN (...)` at most.
IN_CHUNK = 500


class Cursor:
    """A database cursor that takes `?` placeholders on SQLite and PostgreSQL."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self.raw.execute(self._sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(self._sql(sql), [tuple(row) for row in rows])

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], conflict: str = "") -> None:
        """Insert rows; `conflict` is an ON CONFLICT clause. On PostgreSQL
        the rows go in as one JSON document, typed by the table's own row
        type: a statement a row costs a plan and a turn of the server each,
        most of a rebuild. So the rows of one call must not repeat a key that
        `conflict` updates (PostgreSQL refuses to update a row twice in one
        statement). SQLite runs a prepared statement a row in-process, which
        costs next to nothing."""
        if not rows:
            return
        names = ", ".join(columns)
        if not self.postgres:
            self.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) {conflict}", rows)
            return
        document = orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str)
        if b"\\u0000" in document:
            # PostgreSQL's text holds no NUL: a fact recorded before entry
            # checks refused it shows U+FFFD in its place (a rare search,
            # done only when the bytes of the document hold one).
            document = orjson.dumps([dict(zip(columns, map(_no_nul, row), strict=True)) for row in rows], default=str)
        self.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, ?::json) "
            f"{conflict}",
            (document.decode(),),
        )

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.raw.fetchall()]

    def fetchmany(self, size: int) -> list[dict[str, Any]]:
        # The library wraps SQLite's cursor without fetchmany; psycopg's is plain.
        raw = getattr(self.raw, "sqlite_cursor", self.raw)
        return [dict(row) for row in raw.fetchmany(size)]

    def fetchone(self) -> dict[str, Any] | None:
        row = self.raw.fetchone()
        return dict(row) if row is not None else None


class Database:
    """The store's database: transactions and queries through the library's
    recorder (its connections, and its tracking), and the store's mapper to
    read events."""

    def __init__(self, recorder: Any, mapper: PydanticMapper) -> None:
        self.recorder = recorder
        self.mapper = mapper
        # Set by Accord's recorder classes (workflows.store.sqlite, .postgres).
        self.postgres: bool = recorder.postgres
        if self.postgres:
            self.events_table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
            self.position_column = "notification_id"
        else:
            self.events_table, self.position_column = recorder.events_table_name, "rowid"

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Cursor]:
        with self.recorder.datastore.transaction(commit=commit) as raw:
            yield Cursor(raw, self.postgres)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.transaction(commit=False) as cursor:
            return cursor.execute(sql, params).fetchall()

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Generator[dict[str, Any], None, None]:
        """The rows of a query, a thousand at a time: a long answer (every task of
        a big portfolio) need not be held in memory all at once."""
        with self.transaction(commit=False) as cursor:
            yield from self.stream_in(cursor, sql, params)

    def stream_in(self, cursor: Cursor, sql: str, params: Sequence[Any] = ()) -> Generator[dict[str, Any], None, None]:
        """`stream`, in the caller's transaction."""
        if self.postgres:
            # A cursor on the server: psycopg's own would fetch every row
            # of the answer before handing over the first.
            with cursor.raw.connection.cursor(name="accord_stream") as server:
                server.execute(sql.replace("?", "%s"), tuple(params))
                while rows := server.fetchmany(1000):
                    yield from (dict(row) for row in rows)
            return
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(1000):
            yield from rows

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """A transaction that only reads, every query in it seeing the store
        as it stood at its first (SQLite's read transaction does; PostgreSQL's
        takes REPEATABLE READ): a view's position and its rows read together."""
        with self.transaction(commit=False) as cursor:
            if self.postgres:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield cursor

    def planned_rows(self, sql: str, each: Sequence[Sequence[Any]]) -> list[float]:
        """How many rows PostgreSQL's planner expects a query to give, for
        each set of values in turn (planned for them, by its statistics of
        the tables), in one transaction: the query is not run. Never
        prepared: a prepared statement's plan may be made for any values."""
        planned = []
        with self.transaction(commit=False) as cursor:
            for params in each:
                cursor.raw.execute(f"EXPLAIN (FORMAT JSON) {sql.replace('?', '%s')}", tuple(params), prepare=False)
                [plan] = next(iter(dict(cursor.raw.fetchone()).values()))
                planned.append(float(plan["Plan"]["Plan Rows"]))
        return planned

    def query_in(self, sql: str, values: Sequence[Any], params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of `sql` whose `{marks}` is filled with placeholders for
        `values`, asked in chunks (databases bound the placeholders of one
        statement); `params` come before the values."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = list(values[start : start + IN_CHUNK])
            rows += self.query(sql.format(marks=", ".join("?" * len(chunk))), [*params, *chunk])
        return rows

    def has_table(self, name: str) -> bool:
        """Whether the table exists (on PostgreSQL, as the search path finds
        it, or as `schema.name` gives it)."""
        if self.postgres:
            sql = "SELECT to_regclass(?) IS NOT NULL AS present"
        else:
            sql = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?) AS present"
        [row] = self.query(sql, (name,))
        return bool(row["present"])

    def originator(self, originator_id: UUID) -> Any:
        """An aggregate's id as the library stores it: hex on SQLite, a uuid on PostgreSQL."""
        return originator_id if self.postgres else originator_id.hex

    def create_table(self, table: str, statement: str | Callable[[], None]) -> None:
        """CREATE TABLE IF NOT EXISTS (a statement, or a library recorder's
        `create_table`) unless the table exists: nothing is written then (a
        hot standby takes no writes). Safe when processes starting together
        race to do it (PostgreSQL then refuses one of them: the table exists)."""
        if self.has_table(table):
            return

        def create() -> None:
            if callable(statement):
                statement()
                return
            with self.transaction() as cursor:
                cursor.execute(statement)

        try:
            create()
        except (IntegrityError, ProgrammingError, OperationalError):
            time.sleep(0.2)
            create()

    # The library's tracking is read and written in a caller's transaction
    # only here: its recorders keep those two methods private.

    def position_in(self, cursor: Cursor, name: str) -> int:
        """A tracked position as the caller's transaction sees it."""
        return int(self.recorder._max_tracking_id(name, cursor.raw) or 0)

    def record_position(self, cursor: Cursor, name: str, position: int) -> None:
        """The library's tracking, in the caller's transaction: a position
        recorded twice raises IntegrityError."""
        self.recorder._insert_tracking(cursor.raw, Tracking(name, position))

    def move_position(self, cursor: Cursor, name: str, position: int) -> None:
        """Set a tracked position, back as well as on (the library's tracking
        only moves on), in the caller's transaction: a reader found again
        after its position was lost or ran past the log. An UPDATE, which
        the writers of a store set up append-only may make (not a DELETE)."""
        if self.recorder._max_tracking_id(name, cursor.raw) is None:
            self.record_position(cursor, name, position)
            return
        cursor.execute(f"UPDATE {self._tracking} SET notification_id = ? WHERE application_name = ?", (position, name))

    def position(self, name: str) -> int:
        return int(self.recorder.max_tracking_id(name) or 0)

    def positions(self, names: Sequence[str]) -> dict[str, int]:
        """Several tracked positions in one query (0 for a name not tracked
        yet): the library's tracking table, as its own query reads it."""
        rows = self.query_in(
            f"SELECT application_name AS name, MAX(notification_id) AS position FROM {self._tracking} "
            "WHERE application_name IN ({marks}) GROUP BY application_name",
            names,
        )
        return {name: 0 for name in names} | {row["name"]: int(row["position"]) for row in rows}

    @property
    def _tracking(self) -> str:
        """The library's tracking table."""
        if self.postgres:
            return f"{self.recorder.datastore.schema}.{self.recorder.tracking_table_name}"
        return "tracking"

    def held(self, positions: Sequence[int]) -> set[int]:
        """Which of these positions hold a record."""
        rows = self.query_in(
            f"SELECT {self.position_column} AS position FROM {self.events_table} "
            f"WHERE {self.position_column} IN ({{marks}})",
            positions,
        )
        return {int(row["position"]) for row in rows}

    def latest(self, topics: Sequence[str], page: int = 1000) -> Iterator[Record]:
        """The records of these topics, the newest first, read in pages."""
        before = self.head() + 1
        marks = ", ".join("?" * len(topics))
        sql = (
            f"SELECT {self.position_column}, originator_id, originator_version, topic, state FROM {self.events_table} "
            f"WHERE {self.position_column} < ? AND topic IN ({marks}) ORDER BY {self.position_column} DESC LIMIT ?"
        )
        while True:
            with self.transaction(commit=False) as cursor:
                rows = self._rows(cursor, sql, (before, *topics, page))
            yield from self._decoded(rows)
            if len(rows) < page:
                return
            before = rows[-1][0]

    def rows(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[tuple[int, Any, int, str, bytes]]:
        """Up to `limit` stored records from position `start` (to `stop`, of
        these topics, if given), as their columns hold them: (position,
        originator_id, version, topic, state), the id a UUID on PostgreSQL
        and its 32 hex digits on SQLite. One query: the library's own read
        makes a Notification and a UUID of each row first."""
        with self.transaction(commit=False) as cursor:
            return self._rows(cursor, *self._select(start, limit, stop, topics))

    def _select(self, start: int, limit: int, stop: int | None, topics: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        conditions = [f"{self.position_column} >= ?"]
        params: list[Any] = [start]
        if stop is not None:
            conditions.append(f"{self.position_column} <= ?")
            params.append(stop)
        if topics:
            conditions.append(f"topic IN ({', '.join('?' * len(topics))})")
            params += topics
        sql = (
            f"SELECT {self.position_column}, originator_id, originator_version, topic, state FROM {self.events_table} "
            f"WHERE {' AND '.join(conditions)} ORDER BY {self.position_column} LIMIT ?"
        )
        return sql, (*params, limit)

    def _rows(self, cursor: Cursor, sql: str, params: Sequence[Any]) -> list[tuple[int, Any, int, str, bytes]]:
        rows = cursor.execute(sql, params).raw.fetchall()
        return [tuple(row.values()) for row in rows] if self.postgres else rows

    def records(self, start: int, stop: int, topics: Sequence[str], limit: int) -> list[Record]:
        """Up to `limit` events of these topics from position `start` to
        `stop`, as views read them, decoded as they come (a third of the time
        a rebuild takes on SQLite went to the library's Notifications)."""
        return self._decoded(self.rows(start, limit, stop, topics))

    def page(self, start: int, stop: int, topics: Sequence[str], limit: int) -> Page:
        """`records`, with where the page ends (`stop`, or its last record's
        position if it holds `limit`) and the chain's digest there, read in
        one transaction: the write that follows the page confirms it against
        the log it writes beside (`confirm`). Raises chain.LogMoved if this
        server does not hold the log up to `stop` (read on another)."""
        chainer = self.recorder.chainer
        with self.transaction(commit=False) as cursor:
            # First: all up to `stop` is then committed, and read below.
            end, digest = stop, chainer.held_at(cursor.raw, stop)
            records = self._decoded(self._rows(cursor, *self._select(start, limit, stop, topics)))
            if len(records) == limit:
                end = records[-1].position
                digest = chainer.held_at(cursor.raw, end)
        return Page(records, chain.Read(start - 1, end, digest))

    def confirm(self, cursor: Cursor, end: chain.Read) -> None:
        """Raise chain.LogMoved, in a write's transaction, unless the log
        here is the log a page was read of, up to its end."""
        self.recorder.chainer.confirm(cursor.raw, end)

    def _decoded(self, rows: Sequence[tuple[int, Any, int, str, bytes]]) -> list[Record]:
        decode = self.mapper.decode
        records = []
        for position, originator, version, topic, state in rows:
            # On SQLite the library keeps an id as its 32 hex digits.
            aggregate = originator if self.postgres else _hyphenated(originator)
            cls, values = decode(topic, state, aggregate, version)
            records.append(Record(position, cls, aggregate, version, values))
        return records

    def history(self, cursor: Cursor, originator_id: UUID | str, through: int, after: int = 0) -> list[Record]:
        """Every event of one aggregate up to position `through` (from the
        one after position `after`), in order, as the caller's transaction
        sees the log."""
        aggregate = UUID(str(originator_id))
        rows = cursor.execute(
            f"SELECT {self.position_column} AS position, originator_version, topic, state FROM {self.events_table} "
            f"WHERE originator_id = ? AND {self.position_column} <= ? AND {self.position_column} > ? "
            "ORDER BY originator_version",
            (self.originator(aggregate), through, after),
        ).fetchall()
        records = []
        for row in rows:
            version = row["originator_version"]
            cls, values = self.mapper.decode(row["topic"], bytes(row["state"]), originator_id, version)
            records.append(Record(row["position"], cls, originator_id, version, values))
        return records

    def position_of(self, originator_id: UUID | str, version: int) -> int | None:
        """The position of one aggregate's event of this version, if the log holds it."""
        rows = self.query(
            f"SELECT {self.position_column} AS position FROM {self.events_table} "
            "WHERE originator_id = ? AND originator_version = ?",
            (self.originator(UUID(str(originator_id))), version),
        )
        return int(rows[0]["position"]) if rows else None

    def topic_counts(self, start: int, stop: int) -> dict[str, int]:
        """How many records of each topic the log holds from position `start` to `stop`."""
        rows = self.query(
            f"SELECT topic, COUNT(*) AS n FROM {self.events_table} "
            f"WHERE {self.position_column} >= ? AND {self.position_column} <= ? GROUP BY topic",
            (start, stop),
        )
        return {row["topic"]: int(row["n"]) for row in rows}

    def head(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


@dataclass(frozen=True)
class Page:
    """A page of the log as one read saw it: the records, and where it ends."""

    records: list[Record]
    end: chain.Read

    @property
    def last(self) -> int:
        """The position the page was read up to: where a reader goes on from."""
        return self.end.position


@dataclass(slots=True)
class Record:
    """One event as a view reads it: its place in the log, its class, and
    its state as stored. Views trust the log (every event in it was checked
    when recorded), so they read the stored values instead of paying for
    validation again; `event()` gives the validated event where needed."""

    position: int
    type: type[Any]
    originator_id: UUID | str
    originator_version: int
    state: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.state[name]

    def recorded_at(self) -> str:
        """When the event was recorded, to the second: 2021-05-20T09:30:00+00:00."""
        return _to_the_second(self.state["timestamp"])

    def event(self) -> Any:
        return self.type.model_validate(
            {**self.state, "originator_id": self.originator_id, "originator_version": self.originator_version},
            context=RECORDED,
        )


@lru_cache(maxsize=1024)
def _to_the_second(timestamp: str) -> str:
    # Remembered: the events of one submission share their moment.
    return datetime.fromisoformat(timestamp).isoformat(timespec="seconds")


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _hyphenated(hex_digits: str) -> str:
    """A UUID's 32 hex digits as str(UUID) writes them, without making a UUID."""
    h = hex_digits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
