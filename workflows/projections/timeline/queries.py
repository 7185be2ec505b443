"""What is asked of the timeline: a partner's, the facts of some types
naming some partners, and each partner's latest facts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from domain.codes import partner_code
from domain.errors import PartnershipNotOpened
from workflows.projections.base import Queries

COLUMNS = (
    "partner",
    "position",
    "shared",
    "occurred_on",
    "occurred_first",
    "type",
    "subject",
    "summary",
    "recorded_at",
    "actor",
    "key",
    "aggregate",
    "version",
)
# What a timeline shows of each fact, as the audit log does.
FACT_COLUMNS = ("recorded_at", "actor", "type", "occurred_on", "subject", "summary", "key")


def naming_table(table: str) -> str:
    """The table of the partners each meeting and initiative names, beside a timeline table."""
    return f"{table}_naming"


class TimelineQueries(Queries):
    view = "timeline"

    def of(self, partner: str) -> list[dict[str, Any]]:
        """Every fact on the partnership, and every shared fact naming it,
        by the date it happened (then as recorded); UnknownPartner or
        PartnershipNotOpened if there is none."""
        code = partner_code(partner)
        rows = self.db.query(
            f"SELECT shared, {', '.join(FACT_COLUMNS)} FROM {self.table} WHERE partner = ? "
            "ORDER BY occurred_first, position",
            (code,),
        )
        # A partnership's own facts begin with its opening.
        if not any(row["shared"] == 0 for row in rows):
            raise PartnershipNotOpened.of(code)
        for row in rows:
            del row["shared"]
        return rows

    def facts(self, partners: Iterable[str], types: Iterable[str]) -> list[dict[str, Any]]:
        """The facts of these types naming these partners (their own or
        shared), by date: partner, occurred_on, type, summary."""
        partners, types = list(partners), list(types)
        if not partners or not types:
            return []
        return self.db.query(
            f"SELECT partner, occurred_on, type, summary FROM {self.table} "
            f"WHERE partner IN ({_marks(partners)}) AND type IN ({_marks(types)}) "
            "ORDER BY occurred_first, partner, position",
            [*partners, *types],
        )

    def latest(
        self, partners: Iterable[str], count: int, *, until: date | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Each partner's latest `count` facts on its own partnership (that
        may have happened by `until`, if given), newest first: occurred_on,
        type, summary."""
        last = (until or date.max).isoformat()
        return {
            code: self.db.query(
                f"SELECT occurred_on, type, summary FROM {self.table} WHERE partner = ? AND shared = 0 "
                "AND occurred_first <= ? ORDER BY occurred_first DESC, position DESC LIMIT ?",
                (code, last, count),
            )
            for code in partners
        }

    def fact(self, fact: str) -> dict[str, Any] | None:
        """A fact's sentence (summary) and date (occurred_on), the fact named
        as a task names its source (aggregate id/version); None if the
        timeline does not hold it."""
        aggregate, _, version = fact.partition("/")
        if not version.isdigit():
            return None
        rows = self.db.query(
            f"SELECT summary, occurred_on FROM {self.table} WHERE aggregate = ? AND version = ? LIMIT 1",
            (aggregate, int(version)),
        )
        return rows[0] if rows else None

    def named(self, kind: str) -> list[dict[str, Any]]:
        """Every meeting, initiative or dialogue (`kind`) recorded: its
        reference (ref), the partners it names (a dialogue its own) and its
        name, by name."""
        return self.db.query(
            f"SELECT ref, partners, name FROM {naming_table(self.table)} WHERE kind = ? ORDER BY name, ref", (kind,)
        )


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))
