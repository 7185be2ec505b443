"""What is asked of the meetings: one meeting, the meetings (held or not,
naming a partner), and those coming within a window."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflows.projections.base import Queries


class MeetingQueries(Queries):
    view = "meetings"

    def meeting(self, ref: str) -> dict[str, Any] | None:
        """A meeting's row; a ref names one meeting whatever its case, as in the domain."""
        rows = self.db.query(f"SELECT * FROM {self.table} WHERE lower(meeting) = ?", (ref.strip().lower(),))
        return rows[0] if rows else None

    def meetings(self, *, held: bool | None = None, partner: str | None = None) -> list[dict[str, Any]]:
        """Meetings by date (held or not, if said; naming a partner on the agenda, if given)."""
        where = "" if held is None else f"WHERE held = {int(held)}"
        rows = self.db.query(f"SELECT * FROM {self.table} {where} ORDER BY held_on_first, meeting")
        if partner:
            rows = [row for row in rows if partner in row["partners"].split(",")]
        return rows

    def coming(self, today: date, until: date) -> list[dict[str, Any]]:
        """Meetings not yet held whose date falls from `today` to `until`."""
        return self.db.query(
            f"SELECT * FROM {self.table} WHERE held = 0 AND held_on_first >= ? AND held_on_first <= ? "
            "ORDER BY held_on_first, meeting",
            (today.isoformat(), until.isoformat()),
        )
