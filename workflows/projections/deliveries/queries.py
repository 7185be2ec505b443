"""What is asked of the deliveries: those due to be sent at a moment, and
the list people read (dead letters first among them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.projections.base import Queries

STATES = ("pending", "delivered", "dead")


def moment(value: datetime | str) -> str:
    """A moment as the view stores it, so that text compares as time does:
    UTC, to the microsecond (2021-08-02T07:00:00.000000+00:00)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(UTC).isoformat(timespec="microseconds")


class DeliveryQueries(Queries):
    view = "deliveries"

    def due(self, at: datetime, limit: int) -> list[dict[str, Any]]:
        """Pending deliveries due by `at`, the longest waiting first."""
        return self.db.query(
            f"SELECT * FROM {self.table} WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, delivery_id LIMIT ?",
            (moment(at), limit),
        )

    def listed(self, state: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Deliveries in one state (or all), the latest requested first."""
        where, values = ("WHERE state = ?", [state]) if state else ("", [])
        bound = f"LIMIT {int(limit)}" if limit else ""
        return self.db.query(
            f"SELECT * FROM {self.table} {where} ORDER BY requested_at DESC, delivery_id {bound}", values
        )

    def about(self, source: str) -> list[dict[str, Any]]:
        """The deliveries about one task or dispatch (its id), in the order requested."""
        return self.db.query(
            f"SELECT * FROM {self.table} WHERE source = ? ORDER BY requested_at, delivery_id", (source,)
        )

    def ids_starting(self, prefix: str) -> list[str]:
        """The ids of deliveries that begin with `prefix` (as `deliveries` shows them, shortened)."""
        return [
            row["delivery_id"]
            for row in self.db.query(
                f"SELECT delivery_id FROM {self.table} WHERE delivery_id LIKE ? ORDER BY delivery_id LIMIT 2",
                (prefix.strip().lower() + "%",),
            )
        ]

    def counts(self) -> dict[str, int]:
        """How many deliveries are in each state."""
        rows = self.db.query(f"SELECT state, COUNT(*) AS n FROM {self.table} GROUP BY state")
        found = {row["state"]: int(row["n"]) for row in rows}
        return {state: found.get(state, 0) for state in STATES}
