"""What a meeting briefing needs: one row per meeting as scheduled (and held),
and beside it each partner's latest few facts, so that a briefing reads two
small tables instead of replaying every partnership."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from domain.meeting import Meeting
from domain.partnership import Partnership, PartnershipFact
from domain.values import event_date
from workflows.projections.base import View
from workflows.projections.meetings.queries import latest_table
from workflows.projections.summary import summary
from workflows.store.database import Cursor, Record

M = Meeting

# How many facts a briefing shows per partner; older ones are dropped.
LATEST = 5

PARTNERSHIP_FACTS: tuple[type[PartnershipFact], ...] = tuple(
    cls for cls in Partnership.event_classes() if issubclass(cls, PartnershipFact)
)


class Briefings(View):
    name = "meetings"
    reads = (M.MeetingScheduled, M.MeetingHeld, *PARTNERSHIP_FACTS)

    def create(self, table: str) -> list[str]:
        latest = latest_table(table)
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                meeting TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                title TEXT NOT NULL,
                held_on TEXT NOT NULL,
                held_on_first TEXT NOT NULL,
                partners TEXT NOT NULL,
                held INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                scheduled_on TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {table}_when ON {table} (held_on_first)",
            f"""CREATE TABLE IF NOT EXISTS {latest} (
                position INTEGER PRIMARY KEY,
                partner TEXT NOT NULL,
                occurred_on TEXT NOT NULL,
                occurred_first TEXT NOT NULL,
                type TEXT NOT NULL,
                summary TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {latest}_partner ON {latest} (partner, occurred_first, position)",
        ]

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        latest = latest_table(table)
        facts: dict[str, list[tuple[str, int, Record]]] = {}
        for record in records:
            state = record.state
            match record.type:
                case M.MeetingScheduled:
                    held_on = state["held_on"]
                    cursor.execute(
                        f"INSERT INTO {table} (meeting, body, title, held_on, held_on_first, partners, held, outcome, "
                        "scheduled_on) VALUES (?, ?, ?, ?, ?, ?, 0, '', ?)",
                        (
                            state["meeting"],
                            state["body"],
                            state["title"],
                            held_on,
                            event_date(held_on).earliest.isoformat(),
                            ",".join(state["partners"]),
                            state["occurred_on"],
                        ),
                    )
                case M.MeetingHeld:
                    cursor.execute(
                        f"UPDATE {table} SET held = 1, outcome = ? WHERE meeting = ?",
                        (state["outcome"], state["meeting"]),
                    )
                case _:
                    first = event_date(state["occurred_on"]).earliest.isoformat()
                    facts.setdefault(state["partner"], []).append((first, record.position, record))
        # Only a partner's latest few of this batch can be among its latest few
        # overall: store those (summarised from the validated event), then drop
        # what they displaced.
        kept = [fact for partner_facts in facts.values() for fact in heapq.nlargest(LATEST, partner_facts)]
        # A leftover table of a rebuild killed half way may hold a row already.
        cursor.insert(
            latest,
            ("position", "partner", "occurred_on", "occurred_first", "type", "summary"),
            [
                (
                    position,
                    record["partner"],
                    record["occurred_on"],
                    first,
                    record.type.__name__,
                    summary(record.event()),
                )
                for first, position, record in kept
            ],
            "ON CONFLICT (position) DO NOTHING",
        )
        if facts:
            _keep_latest(cursor, latest)


def _keep_latest(cursor: Cursor, latest: str) -> None:
    """Drop each partner's facts beyond the latest few, in one statement.
    Facts arrive in any order of occurrence, but the latest few of a growing
    set never come back, so the table ends the same however the log is batched."""
    cursor.execute(
        f"DELETE FROM {latest} WHERE position IN (SELECT position FROM (SELECT position, ROW_NUMBER() OVER "
        f"(PARTITION BY partner ORDER BY occurred_first DESC, position DESC) AS rank FROM {latest}) AS ranked "
        "WHERE rank > ?)",
        (LATEST,),
    )
