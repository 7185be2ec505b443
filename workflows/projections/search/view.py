"""One row a fact or task event that people can read, with its words; and
beside the rows, the full-text index of the store that holds them.

A row keeps what a result shows (its sentence, its text as written, the
partners it concerns, where it links) and `words`, the folded words both
stores index (search.words): the type in words, the sentence, the names of
the partners and every field of text (domain.text.text_fields). Only the
record as it stands is indexed: at a correction or a retraction the view
forgets the aggregate's facts and applies them again as amended
(workflows.projections.base), so a retracted fact is not found and a
corrected one is found by its corrected text.

The index is kept on one store only, beside the rows (`beside`), written
with them in one transaction: an FTS5 table over `words` on SQLite
(external content: the words are stored once), a table of each row's
tsvector under a GIN index on PostgreSQL ('simple': the words are folded
already, and a record in several languages is stemmed by none).

The index holds each row's partners and type too (FTS5 columns of their
own; on PostgreSQL lexemes no word can be, `partner=tn`, `type=visitheld`),
so that a search narrowed to a partner or a type finds its rows in the
index itself, as it finds the words, however few of the matches they are;
on PostgreSQL each row's span of positions too (search.tables), by which a
search finds the rows recorded last.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from domain.amendments import amendments_of
from domain.base import Aggregate
from domain.codes import country_name
from domain.errors import UnknownPartner
from domain.initiative import Initiative, Instrument
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.task import FollowUpTask
from domain.text import text_fields
from domain.values import event_date
from workflows.projections.base import View
from workflows.projections.search.tables import index_table, order_index, span_lexeme
from workflows.projections.search.words import words
from workflows.sentences import sentence, words_of
from workflows.store.database import IN_CHUNK, Cursor, Record

T = FollowUpTask
FACT_KINDS: dict[type[Aggregate], str] = {
    Partnership: "partnership",
    Meeting: "meeting",
    Initiative: "initiative",
    Instrument: "instrument",
}
FACTS = {fact: kind for aggregate, kind in FACT_KINDS.items() for fact in aggregate.fact_classes()}
PARTNERSHIP_FACTS = frozenset(Partnership.fact_classes())
# What happened to a task that people wrote or can read: its title, the reasons and the outcome.
TASK_EVENTS = (T.TaskOpened, T.TaskRevised, T.TaskDeferred, T.TaskCompleted, T.TaskCancelled)
COLUMNS = (
    "position",
    "kind",
    "type",
    "subject",
    "partners",
    "aggregate",
    "occurred_on",
    "occurred_first",
    "summary",
    "text",
    "words",
)
# Between the fields of a fact's text, as a result shows it.
BETWEEN = " · "


# On PostgreSQL, each row's partners, type and span of positions
# (search.tables) as lexemes of its document, beside its words: `=` is in no
# word (search.words), so no word is one of them.
FILTER_LEXEMES = (
    "array_to_tsvector(ARRAY(SELECT 'partner=' || lower(code) "
    "FROM unnest(string_to_array(partners, ',')) code WHERE code <> '') || ('type=' || lower(type)) "
    f"|| ({span_lexeme('position')}))"
)


class Search(View):
    name = "search"
    reads = (
        *sorted(FACTS, key=str),
        *TASK_EVENTS,
        *(amendment for aggregate in FACT_KINDS for amendment in amendments_of(aggregate)),
    )

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                position BIGINT PRIMARY KEY,
                kind TEXT NOT NULL,
                type TEXT NOT NULL,
                subject TEXT NOT NULL,
                partners TEXT NOT NULL,
                aggregate TEXT NOT NULL,
                occurred_on TEXT NOT NULL,
                occurred_first TEXT NOT NULL,
                summary TEXT NOT NULL,
                text TEXT NOT NULL,
                words TEXT NOT NULL
            )""",
            # Later events of a meeting, an initiative or a task find the
            # partners their first named, while a rebuild fills the table too.
            f"CREATE INDEX IF NOT EXISTS {table}_aggregate ON {table} (aggregate)",
        ]

    def beside(self, table: str, postgres: bool) -> list[str]:
        index = index_table(table)
        # A search ranks the rows found by their day too (the most recent
        # first among those that match alike): kept beside each row's
        # document on PostgreSQL, in an index that covers it on SQLite, so
        # that the wide rows are read only for the results shown.
        if postgres:
            return [
                f"CREATE TABLE IF NOT EXISTS {index} (position BIGINT PRIMARY KEY, occurred_first TEXT NOT NULL, "
                "document TSVECTOR NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {index}_words ON {index} USING GIN (document)",
            ]
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5(words, partners, type, content='{table}', "
            "content_rowid='position', tokenize='unicode61 remove_diacritics 0')",
            f"CREATE INDEX IF NOT EXISTS {order_index(table)} ON {table} (position, occurred_first)",
        ]

    def indexes(self, table: str) -> list[str]:
        # A search's plan on PostgreSQL follows how often its words are found
        # (the index's statistics): known as soon as a rebuild is done.
        return [f"ANALYZE {index_table(table)}"]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        positions = [record.position for record in history]
        for start in range(0, len(positions), IN_CHUNK):
            chunk = positions[start : start + IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            if cursor.postgres:
                cursor.execute(f"DELETE FROM {index_table(table)} WHERE position IN ({marks})", chunk)
            else:
                # An external-content index forgets a row by its words, before the row goes.
                cursor.execute(
                    f"INSERT INTO {index_table(table)} ({index_table(table)}, rowid, words, partners, type) "
                    f"SELECT 'delete', position, words, partners, type FROM {table} WHERE position IN ({marks})",
                    chunk,
                )
            cursor.execute(f"DELETE FROM {table} WHERE position IN ({marks})", chunk)

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        if not records:
            return
        founders, held = _founders(cursor, table, records), _held(cursor, table, records)
        rows = [_row(record, founders) for record in records if record.position not in held]
        cursor.insert(table, COLUMNS, rows)
        index = index_table(table)
        if not rows:
            return
        if cursor.postgres:
            # The store makes each row's document from its words, in one statement.
            cursor.execute(
                f"INSERT INTO {index} (position, occurred_first, document) "
                f"SELECT position, occurred_first, to_tsvector('simple', words) || {FILTER_LEXEMES} "
                f"FROM {table} WHERE position = ANY(?)",
                ([row[0] for row in rows],),
            )
        else:
            cursor.executemany(
                f"INSERT INTO {index} (rowid, words, partners, type) VALUES (?, ?, ?, ?)",
                [(row[0], row[-1], row[4], row[2]) for row in rows],
            )


def _held(cursor: Cursor, table: str, records: Sequence[Record]) -> set[int]:
    """Which of these records the table holds already: a leftover table of
    a rebuild killed half way may (with their index). Asked of the span of
    a batch, which is the log's order; of the facts of one aggregate (its
    facts applied again after an amendment, spread over the log) by position."""
    first, last = records[0].position, records[-1].position
    if last - first < 2 * len(records):
        found = cursor.execute(f"SELECT position FROM {table} WHERE position BETWEEN ? AND ?", (first, last))
        return {row["position"] for row in found.fetchall()}
    positions = [record.position for record in records]
    held: set[int] = set()
    for start in range(0, len(positions), IN_CHUNK):
        chunk = positions[start : start + IN_CHUNK]
        found = cursor.execute(f"SELECT position FROM {table} WHERE position IN ({', '.join('?' * len(chunk))})", chunk)
        held |= {row["position"] for row in found.fetchall()}
    return held


def _founders(cursor: Cursor, table: str, records: Sequence[Record]) -> dict[str, str]:
    """The partners each meeting's, initiative's and task's first event
    named, by aggregate, for the later events that name none: from this
    batch, else from the rows before it (a partnership's facts each name
    their partner, and are never looked for: there are many)."""
    founders = {str(r.originator_id): _partners_named(r) for r in records if r.originator_version == 1}
    unnamed = {str(r.originator_id) for r in records if r.type not in PARTNERSHIP_FACTS and not _partners_named(r)}
    later = sorted(unnamed - founders.keys())
    for start in range(0, len(later), IN_CHUNK):
        chunk = later[start : start + IN_CHUNK]
        found = cursor.execute(
            f"SELECT aggregate, partners FROM {table} WHERE aggregate IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY position",
            chunk,
        ).fetchall()
        for row in found:
            founders.setdefault(row["aggregate"], row["partners"])
    return founders


def _partners_named(record: Record) -> str:
    """The partners a record names, as the view keeps them: ,TN,MA, (so
    that one is found by LIKE '%,TN,%')."""
    state = record.state
    named = [state["partner"]] if state.get("partner") else list(state.get("partners", ()))
    return "," + ",".join(dict.fromkeys(code.upper() for code in named)) + "," if named else ""


def _row(record: Record, founders: dict[str, str]) -> tuple[Any, ...]:
    cls, state = record.type, record.state
    aggregate = str(record.originator_id)
    partners = _partners_named(record) or founders.get(aggregate, "")
    if cls in FACTS:
        kind, subject = FACTS[cls], str(state[cls.SUBJECT])
        occurred_on = state["occurred_on"]
    else:
        kind, subject = "task", aggregate
        occurred_on = record.recorded_at()[:10]
    summary = sentence(cls.__name__, state)
    text = BETWEEN.join(_texts(cls, state))
    names = [_country(code) for code in partners.strip(",").split(",") if code]
    found = words(" ".join((words_of(cls.__name__), summary, *names, text)))
    return (
        record.position,
        kind,
        cls.__name__,
        subject,
        partners,
        aggregate,
        occurred_on,
        event_date(occurred_on).earliest.isoformat(),
        summary,
        text,
        " ".join(found),
    )


def _texts(cls: type[Any], state: dict[str, Any]) -> list[str]:
    """The fact's fields of text as written, its notes last."""
    said = []
    for name in _fields(cls):
        value = state.get(name)
        if isinstance(value, str) and value.strip():
            said.append(value.strip())
        elif isinstance(value, list | tuple) and value:
            said.append(", ".join(str(item) for item in value))
    return said


def _fields(cls: type[Any]) -> tuple[str, ...]:
    """A class's fields of text, its notes last (found once a class)."""
    if cls not in FIELDS:
        FIELDS[cls] = tuple(sorted(text_fields(cls), key=lambda field: field == "notes"))
    return FIELDS[cls]


FIELDS: dict[type[Any], tuple[str, ...]] = {}


@lru_cache(maxsize=512)
def _country(code: str) -> str:
    try:
        return country_name(code)
    except UnknownPartner:
        return code
