"""One row per meeting as scheduled (and held), for briefings, the
scheduler's briefing jobs and the calendar export."""

from __future__ import annotations

from collections.abc import Sequence

from domain.amendments import amendments_of
from domain.meeting import Meeting
from domain.values import event_date
from workflows.projections.base import View
from workflows.store.database import Cursor, Record

M = Meeting


class Meetings(View):
    name = "meetings"
    reads = (M.MeetingScheduled, M.MeetingHeld, *amendments_of(Meeting))

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                meeting TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                title TEXT NOT NULL,
                held_on TEXT NOT NULL,
                held_on_first TEXT NOT NULL,
                held_on_last TEXT NOT NULL,
                partners TEXT NOT NULL,
                held INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                scheduled_on TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {table}_when ON {table} (held_on_first)",
        ]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        cursor.execute(f"DELETE FROM {table} WHERE meeting = ?", (history[0]["meeting"],))

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        for record in records:
            state = record.state
            if record.type is M.MeetingScheduled:
                held_on = state["held_on"]
                when = event_date(held_on)
                cursor.execute(
                    f"INSERT INTO {table} (meeting, body, title, held_on, held_on_first, held_on_last, partners, held, "
                    "outcome, scheduled_on) VALUES (?, ?, ?, ?, ?, ?, ?, 0, '', ?)",
                    (
                        state["meeting"],
                        state["body"],
                        state["title"],
                        held_on,
                        when.earliest.isoformat(),
                        when.latest.isoformat(),
                        ",".join(state["partners"]),
                        state["occurred_on"],
                    ),
                )
            else:
                cursor.execute(
                    f"UPDATE {table} SET held = 1, outcome = ? WHERE meeting = ?",
                    (state["outcome"], state["meeting"]),
                )
