"""Read models kept in the same database as the events.

A view's rows and its tracking position (the library's tracking table) are
written in one transaction, so a crash never double-counts or skips. Views
catch up from their position, reading only the event types they need.
`rebuild` fills a fresh table (a new generation) from the start of the log
and swaps it in, so readers never see a half-built view.
"""

from __future__ import annotations

import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError
from eventsourcing.utils import get_topic

from workflows.base.batches import Progress, collector_paused
from workflows.projections import CATALOG, failures, load_views, tracked
from workflows.store.chain import LogMoved
from workflows.store.database import Cursor, Database, Record

log = logging.getLogger(__name__)

REGISTRY_TABLE = "accord_views"

# Views apply the log in transactions of up to this many positions: few
# commits, and each row a view folds many events into (a partnership's
# overview) is read and written once per batch, not once per page.
BATCH = 10_000
# Times a reader of the log reads it again on finding the store changed
# server under it (chain.LogMoved): once for each failover while it reads.
MOVES = 20


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

    def beside(self, table: str, postgres: bool) -> list[str]:
        """Statements that create what the view keeps on one store only,
        beside its tables (a full-text index: FTS5 on SQLite, a tsvector on
        PostgreSQL), which `apply` writes with its rows: dropped with the
        tables, and never compared with a replay (which keeps its own)."""
        return []

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        """Delete what the view holds of one aggregate's facts (its `history`,
        every event of it so far), to apply them again as amended: a view
        that reads amendments (domain.amendments) says how."""
        raise NotImplementedError(f"the {self.name} view reads amendments but does not say how to forget facts")


class Queries:
    """What callers ask of one view, answered from its tables as they stand
    (callers bring the views up to date first). A view's SQL, for reading
    as for writing, stays in its own package."""

    view: ClassVar[str]

    def __init__(self, views: Views) -> None:
        self.views = views
        self.db = views.db

    @property
    def table(self) -> str:
        """The view's current table (asked each time: another process may
        have rebuilt it since)."""
        return self.views.table(self.view)


@dataclass(frozen=True)
class Status:
    name: str
    table: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


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
        and has applied the log up to `head`, and not past it (a view past
        the log's head read records the log has since lost)."""
        positions = self._read()
        return positions is not None and all(position == head for position in positions)

    def read_to(self) -> int | None:
        """How far into the log every view has read (the lowest position of
        them); None while a view is not set up, or is built by another
        version of its code than runs."""
        positions = self._read()
        return min(positions) if positions is not None else None

    def _read(self) -> list[int] | None:
        """Every view's position; None while a view is not set up, or is
        built by another version of its code than runs. Asked of the
        registry and the library's tracking alone, without importing any
        view's code."""
        registered = self._registry()
        if any(name not in registered or registered[name][1] != version for name, (version, _) in CATALOG.items()):
            return None
        return list(self.db.positions([_table_name(name, registered[name][0]) for name in CATALOG]).values())

    def astray(self, names: Sequence[str] | None = None) -> dict[str, str]:
        """Views whose tracked position the log contradicts, each with a
        sentence (workflows.projections.tracked): read past records the log
        has lost, or holding rows with their position lost. They are not
        caught up until rebuilt."""
        registered = self._registry()
        tables = {name: _table_name(name, registered[name][0]) for name in names or self.names if name in registered}
        positions = self.db.positions(list(tables.values()))
        said = tracked.contradicted(self.db, {f"view {name}": positions[table] for name, table in tables.items()})
        found = {name: said[f"view {name}"] for name in tables if f"view {name}" in said}
        for name, table in tables.items():
            if positions[table] == 0 and self.db.query(f"SELECT EXISTS (SELECT 1 FROM {table}) AS held")[0]["held"]:
                found[name] = tracked.lost(f"view {name}", f"holds rows in {table}")
        return found

    def setup(self) -> None:
        """Create the registry and the first tables of views not yet registered;
        `accord init` does this once, so processes starting together need not race."""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {REGISTRY_TABLE} (name TEXT PRIMARY KEY, "
                "generation INTEGER NOT NULL, version INTEGER NOT NULL, last_generation INTEGER NOT NULL)"
            )
            registered = {row["name"] for row in cursor.execute(f"SELECT name FROM {REGISTRY_TABLE}").fetchall()}
            cursor.execute(failures.create_statement())
            for view in self.views.values():
                if view.name in registered:
                    continue
                table = _table_name(view.name, 1)
                for statement in [*view.create(table), *view.beside(table, self.db.postgres), *view.indexes(table)]:
                    cursor.execute(statement)
                cursor.execute(
                    f"INSERT INTO {REGISTRY_TABLE} (name, generation, version, last_generation) "
                    "VALUES (?, 1, ?, 1) ON CONFLICT (name) DO NOTHING",
                    (view.name, view.version),
                )

    def catch_up(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Bring views up to the end of the log; how many events were applied."""
        names = list(names or self.names)
        # Caught up, they would skip what the log holds now or count twice what they hold.
        astray = self.astray(names)
        names = [name for name in names if name not in astray]
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
            table = _table_name(view.name, fresh)
            for statement in [*view.create(table), *view.beside(table, self.db.postgres)]:
                cursor.execute(statement)
        return current, fresh

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
        applied = moves = 0
        while targets and (start := min(positions.values())) < head:
            group = [(view, table) for view, table in targets if positions[table] == start]
            topics = sorted({get_topic(cls) for view, _ in group for cls in view.reads})
            with collector_paused():
                try:
                    page = self.db.page(start + 1, head, topics, BATCH)
                    with self.db.transaction() as cursor:
                        self._lock_for_writing(cursor, [table for _, table in group])
                        if any(self.db.position_in(cursor, table) != start for _, table in group):
                            # Another process applied some of these records
                            # meanwhile (up to its own head, so not always
                            # this batch): go on from where it got.
                            raise _Moved
                        self.db.confirm(cursor, page.end)
                        for view, table in group:
                            # Views read exact classes (no subclasses): a set lookup is cheap.
                            reads = frozenset(view.reads)
                            self._apply(cursor, view, table, [r for r in page.records if r.type in reads])
                            self.db.record_position(cursor, table, page.last)
                except (IntegrityError, _Moved):
                    # Another process applied this batch first: go on from where it got.
                    stored = {table: self.db.position(table) for _, table in group}
                    if all(stored[table] == start for _, table in group):
                        raise  # Not a race: the same batch would fail forever.
                    positions.update(stored)
                    continue
                except LogMoved as moved:
                    # Read on a primary since lost: read again on the one promoted.
                    moves += 1
                    if moves > MOVES:
                        raise
                    log.warning("%s; the views read the log again", moved)
                    head = self.db.head()
                    positions = {table: self.db.position(table) for _, table in targets}
                    continue
            applied += len(page.records)
            if progress:
                progress(page.last - start)
            positions.update({table: page.last for _, table in group})
        return applied

    def _apply(self, cursor: Cursor, view: View, table: str, records: Sequence[Record]) -> None:
        """Apply records in order. At an amendment the view forgets the facts
        of its aggregate and applies them again as they then stand: what a
        correction changes (a total, a date, the partners named) is undone
        and redone by the view's own code, as a rebuild would, and the
        failures of those facts are forgotten, to be kept again only if
        they fail again (a correction heals a fact the view could not carry)."""
        from domain.amendments import Amendment

        amendments = frozenset(kind for kind in view.reads if issubclass(kind, Amendment))
        if not amendments:
            _guarded(cursor, view, table, records)
            return
        reads = frozenset(view.reads)
        start = 0
        for index, record in enumerate(records):
            if record.type in amendments:
                _guarded(cursor, view, table, records[start:index])
                self._amend(cursor, view, table, record, reads)
                start = index + 1
        _guarded(cursor, view, table, records[start:])

    def _amend(self, cursor: Cursor, view: View, table: str, amendment: Record, reads: frozenset[Any]) -> None:
        """Apply the facts of an amended aggregate again, as they now stand."""
        try:
            with failures.savepoint(cursor, "accord_amendment"):
                history = self.db.history(cursor, amendment.originator_id, amendment.position)
                view.forget(cursor, table, history)
                failures.heal(cursor, table, str(amendment.originator_id), through=amendment.position)
                _guarded(cursor, view, table, [fact for fact in effective_records(history) if fact.type in reads])
        except Exception as error:
            if failures.of_the_store(error):
                raise
            failures.record(cursor, [failures.Failure.of(table, amendment, error)])

    def _lock_for_writing(self, cursor: Cursor, tables: Sequence[str]) -> None:
        """Take, for the rest of the transaction, the lock that makes two
        writers of these views take turns: SQLite's write lock (a transaction
        that reads and then writes cannot wait for another writer, it fails
        at once with "database is locked"); on PostgreSQL a lock per view."""
        if self.db.postgres:
            for table in sorted(tables):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (table,))
        else:
            cursor.execute(f"UPDATE {REGISTRY_TABLE} SET version = version WHERE 0 = 1")

    def _registered(self, name: str) -> tuple[int, int]:
        """The view's current generation and the version it was built by;
        the view is set up first if it is not yet."""
        registered = self._registry()
        if name not in registered:
            self._setup_once()
            registered = self._registry()
        return registered[name]

    def registered(self) -> dict[str, tuple[int, int]]:
        """Every registered view's current generation and the version of its
        code it was built by, read as they stand (nothing is set up)."""
        return self._registry()

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


def effective_records(history: Sequence[Record]) -> list[Record]:
    """An aggregate's facts as they stand after the amendments among them:
    corrected fields replaced, retracted facts left out, amendments too
    (domain.amendments.effective, on records as views read them)."""
    from domain.amendments import Amendment, merged

    fixes: dict[str, dict[str, Any] | None] = {}
    for record in history:
        if issubclass(record.type, Amendment):
            fixes[record["target"]] = merged(fixes.get(record["target"], {}), record.state.get("changes"))
    facts = []
    for record in history:
        if issubclass(record.type, Amendment):
            continue
        if record["key"] not in fixes:
            facts.append(record)
        elif (changes := fixes[record["key"]]) is not None:
            facts.append(replace(record, state={**record.state, **changes}))
    return facts


def _guarded(cursor: Cursor, view: View, table: str, records: Sequence[Record]) -> None:
    """Apply records; if the view cannot carry one of them, apply them one
    by one, keep the failure of each it cannot carry, and go on with the
    others (workflows.projections.failures). An error of the store or the
    code stops the view, as it would stop any other."""
    if not records:
        return
    try:
        with failures.savepoint(cursor):
            view.apply(cursor, table, records)
        return
    except Exception as error:
        if failures.of_the_store(error):
            raise
    failed = []
    for record in records:
        try:
            with failures.savepoint(cursor):
                view.apply(cursor, table, [record])
        except Exception as error:
            if failures.of_the_store(error):
                raise
            log.warning("the %s view cannot carry the event at position %s: %s", view.name, record.position, error)
            failed.append(failures.Failure.of(table, record, error))
    failures.record(cursor, failed)


class _Moved(Exception):
    """A view's position moved while its batch was read."""


def _table_name(name: str, generation: int) -> str:
    return f"view_{name}_{generation}"


# A view's main table of a generation, and every table of it.
def table_name(name: str, generation: int) -> str:
    return _table_name(name, generation)


def generation_tables(view: View, generation: int) -> list[str]:
    return _tables(view, generation)


def _tables(view: View, generation: int) -> list[str]:
    """Every table a generation of a view has (its main table and any
    companions such as `{table}_envelopes`)."""
    return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(view.create(_table_name(view.name, generation))))


def _drop(cursor: Cursor, view: View, generation: int) -> None:
    beside = " ".join(view.beside(_table_name(view.name, generation), cursor.postgres))
    for table in [*_tables(view, generation), *re.findall(r"CREATE (?:VIRTUAL )?TABLE IF NOT EXISTS (\w+)", beside)]:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    failures.forget(cursor, [_table_name(view.name, generation)])
