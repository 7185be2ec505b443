"""Read models kept in the same database as the events.

A view's rows and its tracking position (the library's tracking table) are
written in one transaction, so a crash never double-counts or skips. Views
catch up from their position, reading only the event types they need.
`rebuild` fills a fresh table (a new generation) from the start of the log
and swaps it in, so readers never see a half-built view.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError, Tracking
from eventsourcing.utils import get_topic

from workflows.batches import collector_paused
from workflows.projections import CATALOG, load_views

if TYPE_CHECKING:
    from workflows.persistence import PydanticMapper

REGISTRY_TABLE = "accord_views"

# Views apply the log in transactions of up to this many positions: few
# commits, and each row a view folds many events into (a partnership's
# overview) is read and written once per batch, not once per page.
BATCH = 10_000
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
    """The store's database, for views: transactions and queries, through
    the library's recorder (its connections, and its tracking), and the
    store's mapper to read events."""

    def __init__(self, recorder: Any, mapper: PydanticMapper) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.postgres = type(self.recorder).__module__.endswith("postgres")
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

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows of a query, a thousand at a time: a long answer (every task of
        a big portfolio) need not be held in memory all at once."""
        with self.transaction(commit=False) as cursor:
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

    def create_table(self, statement: str | Callable[[], None]) -> None:
        """CREATE TABLE IF NOT EXISTS (a statement, or a library recorder's
        `create_table`), safe when processes starting together race to do it
        (PostgreSQL then refuses one of them: the table exists)."""

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

    def lock_for_writing(self, cursor: Cursor, tables: Sequence[str]) -> None:
        """Take, for the rest of the transaction, the lock that makes two
        writers of these views take turns: SQLite's write lock (a transaction
        that reads and then writes cannot wait for another writer, it fails
        at once with "database is locked"); on PostgreSQL a lock per view."""
        if self.postgres:
            for table in sorted(tables):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (table,))
        else:
            cursor.execute(f"UPDATE {REGISTRY_TABLE} SET version = version WHERE 0 = 1")

    def position_in(self, cursor: Cursor, name: str) -> int:
        """A tracked position as the caller's transaction sees it."""
        return int(self.recorder._max_tracking_id(name, cursor.raw) or 0)

    def record_position(self, cursor: Cursor, name: str, position: int) -> None:
        """The library's tracking, in the caller's transaction: a position
        recorded twice raises IntegrityError."""
        self.recorder._insert_tracking(cursor.raw, Tracking(name, position))

    def position(self, name: str) -> int:
        return int(self.recorder.max_tracking_id(name) or 0)

    def rows(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[tuple[int, Any, int, str, bytes]]:
        """Up to `limit` stored records from position `start` (to `stop`, of
        these topics, if given), as their columns hold them: (position,
        originator_id, version, topic, state), the id a UUID on PostgreSQL
        and its 32 hex digits on SQLite. One query: the library's own read
        makes a Notification and a UUID of each row first."""
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
        with self.transaction(commit=False) as cursor:
            rows = cursor.execute(sql, (*params, limit)).raw.fetchall()
        return [tuple(row.values()) for row in rows] if self.postgres else rows

    def records(self, start: int, stop: int, topics: Sequence[str], limit: int) -> list[Record]:
        """Up to `limit` events of these topics from position `start` to
        `stop`, as views read them, decoded as they come (a third of the time
        a rebuild takes on SQLite went to the library's Notifications)."""
        decode = self.mapper.decode
        records = []
        for position, originator, version, topic, state in self.rows(start, limit, stop, topics):
            # On SQLite the library keeps an id as its 32 hex digits.
            aggregate = originator if self.postgres else _hyphenated(originator)
            cls, values = decode(topic, state, aggregate, version)
            records.append(Record(position, cls, aggregate, version, values))
        return records

    def head(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


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

    def event(self) -> Any:
        return self.type.model_validate(
            {**self.state, "originator_id": self.originator_id, "originator_version": self.originator_version}
        )


class View(ABC):
    """A read model: its tables, the events it reads, and how it applies them."""

    name: ClassVar[str]
    reads: ClassVar[tuple[type[Any], ...]]

    @property
    def version(self) -> int:
        """The version the catalog gives the view (workflows.projections)."""
        return CATALOG[self.name][0]

    @abstractmethod
    def create(self, table: str) -> list[str]:
        """The statements that create the view's tables (and the indexes
        that applying events needs)."""

    @abstractmethod
    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        """Write what these events change, in their order."""

    def indexes(self, table: str) -> list[str]:
        """Statements that index the view's tables: a rebuild runs them after
        filling the tables, which is faster than keeping indexes up to date."""
        return []


@dataclass(frozen=True)
class Status:
    name: str
    table: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


Progress = Callable[[int], None]


class Views:
    """Every view of one application: catching up, rebuilding, status."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Every view's name, from the catalog: their code is imported only
        # when a view is set up, caught up or rebuilt.
        self.names = tuple(CATALOG)
        self._has_registry = False

    @cached_property
    def views(self) -> dict[str, View]:
        return {view.name: view for view in load_views()}

    def table(self, name: str) -> str:
        """The current table of a view."""
        # Asked each time, not remembered: another process may have rebuilt the
        # view and dropped the table a long-running process last used.
        return _table_name(name, self._registered(name)[0])

    def current(self, head: int) -> bool:
        """Whether every view is built by the version of its code that runs
        and has applied the log up to `head`: asked of the registry and the
        library's tracking alone, without importing any view's code."""
        registered = self._registry()
        for name, (version, _) in CATALOG.items():
            if name not in registered or registered[name][1] != version:
                return False
            if self.db.position(_table_name(name, registered[name][0])) < head:
                return False
        return True

    def setup(self) -> None:
        """Create the registry and the first tables of views not yet registered;
        `accord init` does this once, so processes starting together need not race."""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {REGISTRY_TABLE} (name TEXT PRIMARY KEY, "
                "generation INTEGER NOT NULL, version INTEGER NOT NULL, last_generation INTEGER NOT NULL)"
            )
            registered = {row["name"] for row in cursor.execute(f"SELECT name FROM {REGISTRY_TABLE}").fetchall()}
            for view in self.views.values():
                if view.name in registered:
                    continue
                table = _table_name(view.name, 1)
                for statement in [*view.create(table), *view.indexes(table)]:
                    cursor.execute(statement)
                cursor.execute(
                    f"INSERT INTO {REGISTRY_TABLE} (name, generation, version, last_generation) "
                    "VALUES (?, 1, ?, 1) ON CONFLICT (name) DO NOTHING",
                    (view.name, view.version),
                )

    def catch_up(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Bring views up to the end of the log; how many events were applied."""
        names = list(names or self.names)
        stale = [name for name in names if self._registered(name)[1] != CATALOG[name][0]]
        if stale:
            self.rebuild(stale, progress)
        current = [name for name in names if name not in stale]
        return self._fill([(self.views[name], self.table(name)) for name in current], progress)

    def rebuild(self, names: Sequence[str], progress: Progress | None = None) -> list[Status]:
        """Fill a fresh generation of each view from the start of the log, in
        one pass, and swap each in. Readers keep the old tables until the swap;
        a rebuild killed half way leaves them in use, and its leftovers are
        dropped next time."""
        fresh = {name: self._start_generation(self.views[name]) for name in names}
        self._fill([(self.views[name], _table_name(name, fresh[name][1])) for name in names], progress)
        for name, (current, generation) in fresh.items():
            self._index(self.views[name], generation)
            self._swap(self.views[name], current, generation)
        # Events recorded while the rebuild ran.
        self._fill([(self.views[name], self.table(name)) for name in names], None)
        return [self.status(name) for name in names]

    def _start_generation(self, view: View) -> tuple[int, int]:
        """A generation number never used before, with its empty tables."""
        self._registered(view.name)
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {REGISTRY_TABLE} SET last_generation = last_generation + 1 WHERE name = ?", (view.name,)
            )
            row = cursor.execute(
                f"SELECT generation, last_generation FROM {REGISTRY_TABLE} WHERE name = ?", (view.name,)
            ).fetchone()
            assert row is not None
            current, fresh = int(row["generation"]), int(row["last_generation"])
            for abandoned in range(current + 1, fresh + 1):
                _drop(cursor, view, abandoned)
            for statement in view.create(_table_name(view.name, fresh)):
                cursor.execute(statement)
        return current, fresh

    def differences(self, names: Sequence[str]) -> dict[str, list[str]]:
        """How each view differs from a fresh replay of the log: fresh
        generations are filled beside them, in one pass over the log,
        compared table by table, and dropped. Empty where they agree."""
        self.catch_up(names)
        fresh = {name: self._start_generation(self.views[name]) for name in names}
        try:
            self._fill([(self.views[name], _table_name(name, new)) for name, (_, new) in fresh.items()], None)
            self.catch_up(names)
            problems: dict[str, list[str]] = {}
            for name, (current, new) in fresh.items():
                tables = zip(_tables(self.views[name], current), _tables(self.views[name], new), strict=True)
                problems[name] = [problem for kept, replayed in tables for problem in self._compare(kept, replayed)]
            return problems
        finally:
            with self.db.transaction() as cursor:
                for name, (_, new) in fresh.items():
                    _drop(cursor, self.views[name], new)

    def _compare(self, kept: str, replayed: str) -> list[str]:
        """Rows in one table and not the other (a few of each), and the counts."""
        problems = []
        [counts] = self.db.query(
            f"SELECT (SELECT COUNT(*) FROM {kept}) AS kept, (SELECT COUNT(*) FROM {replayed}) AS replayed"
        )
        if counts["kept"] != counts["replayed"]:
            problems.append(f"{kept} has {counts['kept']} rows, a fresh replay {counts['replayed']}")
        for one, other, says in ((kept, replayed, "not in a fresh replay"), (replayed, kept, "missing")):
            for row in self.db.query(f"SELECT * FROM {one} EXCEPT SELECT * FROM {other} LIMIT 3"):
                problems.append(f"{kept}: {says}: {row}")
        return problems

    def _index(self, view: View, generation: int) -> None:
        with self.db.transaction() as cursor:
            for statement in view.indexes(_table_name(view.name, generation)):
                cursor.execute(statement)

    def _swap(self, view: View, current: int, fresh: int) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {REGISTRY_TABLE} SET generation = ?, version = ? WHERE name = ? AND generation = ?",
                (fresh, view.version, view.name, current),
            )
            now = cursor.execute(f"SELECT generation FROM {REGISTRY_TABLE} WHERE name = ?", (view.name,)).fetchone()
            swapped = now is not None and int(now["generation"]) == fresh
            # Another rebuild swapped first: ours is the leftover.
            _drop(cursor, view, current if swapped else fresh)

    def status(self, name: str) -> Status:
        table = self.table(name)
        return Status(name, table, self.db.position(table), self.db.head())

    def _fill(self, targets: Sequence[tuple[View, str]], progress: Progress | None) -> int:
        """Apply the log to views, in one pass for views at the same position:
        each batch is read and decoded once, and every view's rows and tracking
        are written in one transaction."""
        head = self.db.head()
        positions = {table: self.db.position(table) for _, table in targets}
        applied = 0
        while targets and (start := min(positions.values())) < head:
            group = [(view, table) for view, table in targets if positions[table] == start]
            topics = sorted({get_topic(cls) for view, _ in group for cls in view.reads})
            with collector_paused():
                records = self.db.records(start + 1, head, topics, BATCH)
                last = records[-1].position if len(records) == BATCH else head
                try:
                    with self.db.transaction() as cursor:
                        self.db.lock_for_writing(cursor, [table for _, table in group])
                        if any(self.db.position_in(cursor, table) != start for _, table in group):
                            # Another process applied some of these records
                            # meanwhile (up to its own head, so not always
                            # this batch): go on from where it got.
                            raise _Moved
                        for view, table in group:
                            # Views read exact classes (no subclasses): a set lookup is cheap.
                            reads = frozenset(view.reads)
                            view.apply(cursor, table, [record for record in records if record.type in reads])
                            self.db.record_position(cursor, table, last)
                except (IntegrityError, _Moved):
                    # Another process applied this batch first: go on from where it got.
                    stored = {table: self.db.position(table) for _, table in group}
                    if all(stored[table] <= start for _, table in group):
                        raise  # Not a race: the same batch would fail forever.
                    positions.update(stored)
                    continue
            applied += len(records)
            if progress:
                progress(last - start)
            positions.update({table: last for _, table in group})
        return applied

    def _registered(self, name: str) -> tuple[int, int]:
        """The view's current generation and the version it was built by;
        the view is set up first if it is not yet."""
        registered = self._registry()
        if name not in registered:
            self._setup_once()
            registered = self._registry()
        return registered[name]

    def _registry(self) -> dict[str, tuple[int, int]]:
        """Every registered view's current generation and the version it was
        built by (none before the first setup)."""
        # Asked until it exists: the registry is never dropped.
        if not self._has_registry and not self.db.has_table(REGISTRY_TABLE):
            return {}
        self._has_registry = True
        rows = self.db.query(f"SELECT name, generation, version FROM {REGISTRY_TABLE}")
        return {row["name"]: (int(row["generation"]), int(row["version"])) for row in rows}

    def _setup_once(self) -> None:
        try:
            self.setup()
        except (IntegrityError, ProgrammingError, OperationalError):
            # Another process was creating the same tables: they exist now.
            time.sleep(0.2)
            self.setup()


class _Moved(Exception):
    """A view's position moved while its batch was read."""


def _hyphenated(hex_digits: str) -> str:
    """A UUID's 32 hex digits as str(UUID) writes them, without making a UUID."""
    h = hex_digits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _table_name(name: str, generation: int) -> str:
    return f"view_{name}_{generation}"


def _tables(view: View, generation: int) -> list[str]:
    """Every table a generation of a view has (its main table and any
    companions such as `{table}_envelopes`)."""
    return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(view.create(_table_name(view.name, generation))))


def _drop(cursor: Cursor, view: View, generation: int) -> None:
    for table in _tables(view, generation):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
