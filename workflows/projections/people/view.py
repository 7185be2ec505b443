"""One row per person a fact names and the fact's position: each visit's
visitors and whom they met, each initiative's lead. A correction applies
its facts again as they stand; a retracted fact's names go with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.amendments import amendments_of
from domain.initiative import Initiative
from domain.partnership import Partnership
from workflows.projections.base import View
from workflows.store.database import IN_CHUNK, Cursor, Record

P = Partnership
# The fields of the facts that name people, by the fact's type.
NAMING_PEOPLE: dict[type[Any], tuple[str, ...]] = {
    P.VisitPlanned: ("visitors",),
    P.VisitHeld: ("visitors", "met"),
    Initiative.InitiativeAnnounced: ("lead",),
}


class People(View):
    name = "people"
    reads = (
        *NAMING_PEOPLE,
        *(amendment for kind in (Partnership, Initiative) for amendment in amendments_of(kind)),
    )

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                position INTEGER NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (position, name)
            )"""
        ]

    def indexes(self, table: str) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {table}_name ON {table} (name)"]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        positions = [record.position for record in history]
        for start in range(0, len(positions), IN_CHUNK):
            chunk = positions[start : start + IN_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE position IN ({', '.join('?' * len(chunk))})", chunk)

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        rows = {
            (record.position, name.strip())
            for record in records
            for field in NAMING_PEOPLE.get(record.type, ())
            for name in _names(record.state.get(field))
            if name.strip()
        }
        # A leftover table of a rebuild killed half way may hold a row already.
        cursor.insert(table, ("position", "name"), sorted(rows), "ON CONFLICT (position, name) DO NOTHING")


def _names(value: Any) -> list[str]:
    """A field's names: a list of them, or one (an initiative's lead)."""
    if isinstance(value, str):
        return [value]
    return [str(name) for name in value or ()]
