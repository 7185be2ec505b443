"""One row per fact and partner: a fact on a partnership gives its partner
one row; a fact on a meeting or an initiative gives one to each partner its
founding fact names (kept beside the rows, so that a later fact finds them
whatever batch it comes in)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from domain.amendments import amendments_of
from domain.base import Founding
from domain.initiative import Initiative
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.values import event_date
from workflows.projections.base import View
from workflows.projections.timeline.queries import COLUMNS, naming_table
from workflows.sentences import Names, record_name, sentence
from workflows.store.database import IN_CHUNK, Cursor, Record

P = Partnership
PARTNERSHIP_FACTS = frozenset(Partnership.fact_classes())
SHARED_FACTS = frozenset((*Meeting.fact_classes(), *Initiative.fact_classes()))
# The shared facts that name the partners: the first of their aggregate.
NAMING = frozenset(cls for cls in SHARED_FACTS if issubclass(cls, Founding))


class Timeline(View):
    name = "timeline"
    reads = (
        *sorted(PARTNERSHIP_FACTS, key=str),
        *sorted(SHARED_FACTS, key=str),
        *(amendment for kind in (Partnership, Meeting, Initiative) for amendment in amendments_of(kind)),
    )

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                partner TEXT NOT NULL,
                position INTEGER NOT NULL,
                shared INTEGER NOT NULL,
                occurred_on TEXT NOT NULL,
                occurred_first TEXT NOT NULL,
                type TEXT NOT NULL,
                subject TEXT NOT NULL,
                summary TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                actor TEXT,
                key TEXT,
                aggregate TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (position, partner)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {naming_table(table)} (
                aggregate TEXT PRIMARY KEY,
                partners TEXT NOT NULL,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                ref TEXT NOT NULL
            )""",
        ]

    def indexes(self, table: str) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {table}_when ON {table} (partner, occurred_first, position)",
            # A task's page names the fact it follows up: by its aggregate and version.
            f"CREATE INDEX IF NOT EXISTS {table}_fact ON {table} (aggregate, version)",
        ]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        positions = [record.position for record in history]
        for start in range(0, len(positions), IN_CHUNK):
            chunk = positions[start : start + IN_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE position IN ({', '.join('?' * len(chunk))})", chunk)
        aggregate = str(history[0].originator_id)
        # A partnership's dialogues are named under it (`_dialogue`).
        cursor.execute(
            f"DELETE FROM {naming_table(table)} WHERE aggregate = ? OR aggregate LIKE ?", (aggregate, aggregate + "/%")
        )

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        naming = naming_table(table)
        # Each meeting's and initiative's partners, name and reference, and
        # each dialogue's partner, title and reference.
        founded = [
            (
                str(record.originator_id),
                ",".join(record["partners"]),
                record_name(record.type.__name__, record.state) or "",
                record.type.SUBJECT,
                str(record[record.type.SUBJECT]),
            )
            for record in records
            if record.type in NAMING
        ]
        founded += [
            (_dialogue(record), record["partner"], record["title"], "dialogue", record["dialogue"])
            for record in records
            if record.type is P.DialogueLaunched
        ]
        # A leftover table of a rebuild killed half way may hold a row already.
        cursor.insert(
            naming, ("aggregate", "partners", "name", "kind", "ref"), founded, "ON CONFLICT (aggregate) DO NOTHING"
        )
        named = {
            aggregate: (partners.split(",") if partners else [], name) for aggregate, partners, name, *_ in founded
        }
        earlier = {str(r.originator_id) for r in records if r.type in SHARED_FACTS}
        earlier |= {_dialogue(record) for record in records if record.type is P.DialogueRoundHeld}
        named.update(_named_before(cursor, naming, earlier - named.keys()))
        rows = []
        for record in records:
            state, cls = record.state, record.type
            partners: Sequence[str]
            if cls in PARTNERSHIP_FACTS:
                partner = state["partner"]
                partners, shared, subject = (partner,), 0, partner
                name = named.get(_dialogue(record), ([], ""))[1] if cls is P.DialogueRoundHeld else ""
            else:
                partners, name = named[str(record.originator_id)]
                shared, subject = 1, _shared_subject(cls, state)
                if not partners:
                    continue  # A meeting or initiative of the EU as a whole.
            occurred_on = state["occurred_on"]
            fact = (
                shared,
                occurred_on,
                _first_day(occurred_on),
                cls.__name__,
                subject,
                sentence(cls.__name__, state, _known_as(name)),
                record.recorded_at(),
                state.get("actor"),
                state.get("key"),
                str(record.originator_id),
                record.originator_version,
            )
            # A founding fact may name a partner twice (TN, tn): the partner gets one row.
            rows += [(partner, record.position, *fact) for partner in dict.fromkeys(partners)]
        cursor.insert(table, COLUMNS, rows, "ON CONFLICT (position, partner) DO NOTHING")


def _named_before(cursor: Cursor, naming: str, aggregates: set[str]) -> dict[str, tuple[list[str], str]]:
    """The partners and the name the founding facts of these aggregates
    (or dialogues) gave, recorded in earlier batches."""
    if not aggregates:
        return {}
    found = cursor.execute(
        f"SELECT aggregate, partners, name FROM {naming} WHERE aggregate IN ({', '.join('?' * len(aggregates))})",
        sorted(aggregates),
    ).fetchall()
    return {row["aggregate"]: (row["partners"].split(",") if row["partners"] else [], row["name"]) for row in found}


def _known_as(name: str) -> Names:
    """The name of what a fact refers to by reference: one at most (its
    meeting or initiative, or its dialogue)."""
    return lambda field: name or None


def _dialogue(record: Record) -> str:
    """Where the naming table keeps a dialogue's title: under its partnership."""
    return f"{record.originator_id}/{record['dialogue']}"


def _shared_subject(cls: type[Any], state: dict[str, Any]) -> str:
    """What a shared fact is about, as the audit log says it: the partners
    its founding fact names, or its meeting or initiative."""
    return ",".join(state.get("partners", ())) or str(state[cls.SUBJECT])


@lru_cache(maxsize=4096)
def _first_day(occurred_on: str) -> str:
    return event_date(occurred_on).earliest.isoformat()
