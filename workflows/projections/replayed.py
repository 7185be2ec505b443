"""Every view of a store compared with a fresh replay of its log made
elsewhere: views in a scratch SQLite file, which their own code fills from
the store's log, read as it stands; nothing is written to the store
(`audit verify` writes nothing), and the log is not copied.

Each view is compared at its own tracked position: a view behind the log's
head is replayed as far as it has read, and is told as behind, not as
wrong. The replay reads the log in stages, the views read furthest behind
first, so each record is applied by each view once. A view's
position, the log's head and the view's rows are read in one snapshot of
the store; a view another process moves on meanwhile is compared again
where it then stands.

Rows are compared as values, whatever database holds them: PostgreSQL's
and SQLite's types are brought to one form first (`plain`), and each table
is compared by a tally that holds no row in memory, keyed afresh for every
run so that no one can make rows to match it; only a table whose tallies
differ is read again, to name a few of its rows.
"""

from __future__ import annotations

import hashlib
import heapq
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from workflows.base.batches import Progress
from workflows.projections import CATALOG
from workflows.projections.base import MOVES, REGISTRY_TABLE, View, Views, generation_tables, table_name
from workflows.store import chain
from workflows.store.database import Cursor, Database, Page, Record
from workflows.store.persistence import APPLICATION, library_settings

# Rows of each kind named when a table differs from its replay.
SHOWN = 3


@dataclass
class Compared:
    """Each view's differences from a fresh replay (empty where it agrees),
    how far behind the log's head each view has read, and the views not
    compared, each with why."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    behind: dict[str, int] = field(default_factory=dict)
    not_compared: dict[str, str] = field(default_factory=dict)


def compare(views: Views, progress: Progress | None = None, names: Sequence[str] | None = None) -> Compared:
    """Compare every view of `views` (those named) with a fresh replay of
    the log up to that view's own position (`progress` told of each batch
    replayed). A view another process moves on meanwhile is compared again
    further on."""
    db, compared, names = views.db, Compared(), list(names or views.names)
    generations = _comparable(views, names, compared)
    head = db.head()
    positions = db.positions([table_name(name, generation) for name, generation in generations.items()])
    waiting = [(min(positions[table_name(name, gen)], head), name) for name, gen in generations.items()]
    heapq.heapify(waiting)
    moved: Counter[str] = Counter()
    key = secrets.token_bytes(32)
    with scratch(db) as replay:
        while waiting:
            stop, due = waiting[0][0], []
            while waiting and waiting[0][0] == stop:
                due.append(heapq.heappop(waiting)[1])
            replay.read_to(stop)
            replay.views.catch_up(due, progress)
            for name in due:
                position, held, problems = _compared(views.views[name], db, replay.db, stop, key)
                if problems is not None:
                    compared.problems[name] = problems
                    if position < held:
                        compared.behind[name] = held - position
                elif position < stop or moved[name] >= MOVES:
                    compared.not_compared[name] = (
                        f"moved from position {stop} to {position} while compared: verify again"
                    )
                else:
                    moved[name] += 1
                    heapq.heappush(waiting, (position, name))
    # In the catalog's order, as compared.
    compared.problems = {name: compared.problems[name] for name in names if name in compared.problems}
    return compared


def _comparable(views: Views, names: Sequence[str], compared: Compared) -> dict[str, int]:
    """The current generation of each of these views that can be compared;
    the others in `compared.not_compared`, with why."""
    registered = views.registered()
    generations = {}
    for name in names:
        version = CATALOG[name][0]
        if name not in registered and views.db.has_table(table_name(name, 1)):
            # Its first tables, unregistered: setting the view up would take them as they stand.
            registered[name] = (1, version)
        if name not in registered:
            compared.not_compared[name] = "not built in this store yet: nothing to compare"
        elif registered[name][1] != version:
            compared.not_compared[name] = (
                f"built by version {registered[name][1]} of its code, which is now version {version}: "
                "not compared; the next command that reads it rebuilds it"
            )
        else:
            generations[name] = registered[name][0]
    return generations


def _compared(view: View, db: Database, replay: Database, stop: int, key: bytes) -> tuple[int, int, list[str] | None]:
    """Where a view stands and the log's head, read together with its
    tables, and how the view differs from its replay to position `stop`;
    None for how, where it stands elsewhere now (another process moved it)."""
    fresh = generation_tables(view, 1)
    theirs = [_tally(replay.stream(f"SELECT * FROM {table}"), key) for table in fresh]
    with db.snapshot() as cursor:
        generation = _generation(cursor, view.name)
        position = db.position_in(cursor, table_name(view.name, generation))
        [row] = cursor.execute(f"SELECT MAX({db.position_column}) AS head FROM {db.events_table}").fetchall()
        held = int(row["head"] or 0)
        # A view past the log's head (the log lost records) is compared with the whole log.
        position = min(position, held)
        if position != stop:
            return position, held, None
        kept = generation_tables(view, generation)
        problems = []
        for ours, table, tally in zip(kept, fresh, theirs, strict=True):
            problems += _differences(db, cursor, ours, replay, table, tally, key)
        return position, held, problems


def _generation(cursor: Cursor, name: str) -> int:
    """A view's current generation, as the caller's transaction sees the registry."""
    row = cursor.execute(f"SELECT generation FROM {REGISTRY_TABLE} WHERE name = ?", (name,)).fetchone()
    return int(row["generation"]) if row else 1


class Replay:
    """Views in a scratch SQLite file, filled by their own code from the
    source's log as far as `read_to` lets them read."""

    def __init__(self, source: Database, path: Path) -> None:
        self.factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
            Environment(APPLICATION, library_settings(str(path), create_tables=True))
        )
        self.db = _Beside(self.factory.process_recorder(), source)
        self.views = Views(self.db)
        self.views.setup()

    def read_to(self, stop: int) -> None:
        """Let the views read the source's log up to position `stop`."""
        self.db.stop = stop


class _Beside(Database):
    """The scratch database, whose log is the source's: the views' rows and
    positions are written here, the records read there (as far as `stop`),
    never copied."""

    def __init__(self, recorder: Any, source: Database) -> None:
        super().__init__(recorder, source.mapper)
        self.source = source
        self.stop = 0

    def head(self) -> int:
        return self.stop

    def page(self, start: int, stop: int, topics: Sequence[str], limit: int) -> Page:
        records = self.source.records(start, stop, topics, limit)
        end = records[-1].position if len(records) == limit else stop
        return Page(records, chain.Read(start - 1, end, None))

    def confirm(self, cursor: Cursor, end: chain.Read) -> None:
        """Nothing to confirm: the log is the source's, read as it stands."""

    def history(self, cursor: Cursor, originator_id: UUID | str, through: int, after: int = 0) -> list[Record]:
        with self.source.transaction(commit=False) as theirs:
            return self.source.history(theirs, originator_id, through, after)

    def held(self, positions: Sequence[int]) -> set[int]:
        return self.source.held(positions)


@contextmanager
def scratch(source: Database) -> Iterator[Replay]:
    """A replay of `source` in a scratch folder of its own, removed on leaving."""
    with tempfile.TemporaryDirectory(prefix="accord-replay-") as folder:
        replay = Replay(source, Path(folder) / "replay.db")
        try:
            yield replay
        finally:
            replay.factory.close()


def _differences(
    kept_db: Database, cursor: Cursor, kept: str, fresh_db: Database, fresh: str, theirs: Tally, key: bytes
) -> list[str]:
    """Rows of the view's table `kept` (read in the caller's transaction)
    and not of its replay `fresh`, whose tally is `theirs`, and the other
    way round (a few of each), and the counts if they differ."""
    with closing(kept_db.stream_in(cursor, f"SELECT * FROM {kept}")) as rows:
        ours = _tally(rows, key)
    if ours == theirs:
        return []
    problems = []
    if ours[0] != theirs[0]:
        problems.append(f"{kept} has {ours[0]} rows, a fresh replay {theirs[0]}")
    with closing(kept_db.stream_in(cursor, f"SELECT * FROM {kept}")) as rows:
        counts = Counter(digest for _, digest in _digests(rows, key))
    counts.subtract(digest for _, digest in _digests(fresh_db.stream(f"SELECT * FROM {fresh}"), key))
    extra = {digest: n for digest, n in counts.items() if n > 0}
    with closing(kept_db.stream_in(cursor, f"SELECT * FROM {kept}")) as rows:
        problems += [f"{kept}: not in a fresh replay: {row}" for row in _taken(rows, extra, key)]
    missing = {digest: -n for digest, n in counts.items() if n < 0}
    with closing(fresh_db.stream(f"SELECT * FROM {fresh}")) as rows:
        problems += [f"{kept}: missing: {row}" for row in _taken(rows, missing, key)]
    return problems


def _taken(rows: Iterator[dict[str, Any]], left: dict[bytes, int], key: bytes) -> list[dict[str, Any]]:
    """Up to SHOWN of `rows` whose digests `left` counts, each as often as it counts it."""
    taken: list[dict[str, Any]] = []
    for row, digest in _digests(rows, key):
        if len(taken) >= SHOWN or not left:
            break
        if left.get(digest, 0) > 0:
            left[digest] -= 1
            taken.append(row)
    return taken


# How many rows a table holds, and the sum of their keyed digests.
Tally = tuple[int, int]


def _tally(rows: Iterator[dict[str, Any]], key: bytes) -> Tally:
    """How many rows there are and the sum of their keyed digests (modulo
    2**256): equal for two tables holding the same rows, in any order,
    and read a thousand rows at a time."""
    count = total = 0
    for _, digest in _digests(rows, key):
        count += 1
        total += int.from_bytes(digest)
    return count, total % 2**256


# Values whose repr is the same from either database (most of every view's).
_AS_IS = frozenset({str, int, type(None)})


def _digests(rows: Iterator[dict[str, Any]], key: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Each row with its digest keyed by `key`: of its column names and its
    values, in the order of the names (each row of one query has the same)."""
    values_of: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None
    heading = b""
    for row in rows:
        if values_of is None:
            names = sorted(row)
            values_of, heading = _values_of(names), repr(names).encode()
        values = values_of(row)
        text = repr(values)
        # Checked in C: most rows hold only text and whole numbers, and no NUL.
        if not _AS_IS.issuperset(map(type, values)) or "\\x00" in text:
            text = repr(tuple(map(plain, values)))
        yield row, hashlib.blake2b(heading + text.encode(), key=key, digest_size=32).digest()


def _values_of(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values in the order of `names`, as a tuple (itemgetter gives
    a bare value for one name)."""
    if len(names) == 1:
        return lambda row: (row[names[0]],)
    return itemgetter(*names)


def plain(value: Any) -> Any:
    """A value read from either database in one form: a number as an int
    where it is whole (PostgreSQL's NUMERIC gives a Decimal, a boolean is
    SQLite's 0 or 1), a date or time as ISO 8601 text (how Accord's views
    keep them in SQLite), bytes as bytes, and text with a NUL as PostgreSQL
    holds it (U+FFFD: its text holds no NUL, workflows.store.database)."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else str(value)
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, UUID):
        return str(value)
    return str(value)
