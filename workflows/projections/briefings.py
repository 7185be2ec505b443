"""What a meeting briefing needs: one row per meeting as scheduled (and held),
and beside it each partner's latest few facts, so that a briefing reads two
small tables instead of replaying every partnership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.meeting import Meeting
from domain.partnership import Partnership, PartnershipFact
from workflows.projections.base import Cursor, View

M = Meeting

# How many facts a briefing shows per partner; older ones are dropped.
LATEST = 5

PARTNERSHIP_FACTS: tuple[type[PartnershipFact], ...] = tuple(
    cls for cls in vars(Partnership).values() if isinstance(cls, type) and issubclass(cls, PartnershipFact)
)


def latest_table(table: str) -> str:
    """The table of partners' latest facts that goes with a meetings table."""
    return f"{table}_latest"


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

    def apply(self, cursor: Cursor, table: str, events: Sequence[tuple[int, Any]]) -> None:
        # workflows.reads imports the application, which imports the views.
        from workflows.reads import summary

        latest = latest_table(table)
        touched: set[str] = set()
        for position, event in events:
            match event:
                case M.MeetingScheduled():
                    cursor.execute(
                        f"INSERT INTO {table} (meeting, body, title, held_on, held_on_first, partners, held, outcome, "
                        "scheduled_on) VALUES (?, ?, ?, ?, ?, ?, 0, '', ?)",
                        (
                            event.meeting,
                            event.body,
                            event.title,
                            str(event.held_on),
                            event.held_on.earliest.isoformat(),
                            ",".join(event.partners),
                            str(event.occurred_on),
                        ),
                    )
                case M.MeetingHeld():
                    cursor.execute(
                        f"UPDATE {table} SET held = 1, outcome = ? WHERE meeting = ?", (event.outcome, event.meeting)
                    )
                case PartnershipFact():
                    # A leftover table of a rebuild killed half way may hold the row already.
                    cursor.execute(
                        f"INSERT INTO {latest} (position, partner, occurred_on, occurred_first, type, summary) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING",
                        (
                            position,
                            event.partner,
                            str(event.occurred_on),
                            event.occurred_on.earliest.isoformat(),
                            type(event).__name__,
                            summary(event),
                        ),
                    )
                    touched.add(event.partner)
        for partner in sorted(touched):
            _keep_latest(cursor, latest, partner)


def _keep_latest(cursor: Cursor, latest: str, partner: str) -> None:
    """Drop a partner's facts beyond the latest few. Facts arrive in any order
    of occurrence, but the latest few of a growing set never come back, so
    the table ends the same however the log is paged."""
    cursor.execute(
        f"DELETE FROM {latest} WHERE partner = ? AND position NOT IN ("
        f"SELECT position FROM {latest} WHERE partner = ? ORDER BY occurred_first DESC, position DESC LIMIT ?)",
        (partner, partner, LATEST),
    )
