"""One row per delivery as its events left it: to whom, over which
channel, pending (and when due), delivered or dead, after how many attempts,
and the last reply or reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.delivery import Delivery
from workflows.projections.base import View
from workflows.projections.deliveries.queries import moment
from workflows.store.database import Cursor, Record

D = Delivery


class Deliveries(View):
    name = "deliveries"
    reads = (D.DeliveryRequested, D.Delivered, D.DeliveryFailed, D.DeliveryRetried)

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                delivery_id TEXT PRIMARY KEY,
                about TEXT NOT NULL,
                source TEXT NOT NULL,
                source_version INTEGER NOT NULL,
                owner TEXT NOT NULL,
                channel TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                due_at TEXT,
                requested_at TEXT NOT NULL,
                last_at TEXT,
                last TEXT NOT NULL
            )"""
        ]

    def indexes(self, table: str) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {table}_due ON {table} (state, due_at)",
            # A task's page lists the messages about it.
            f"CREATE INDEX IF NOT EXISTS {table}_source ON {table} (source)",
        ]

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        for record in records:
            state = record.state
            delivery = str(UUID(str(record.originator_id)))
            at = moment(state["timestamp"])
            if record.type is D.DeliveryRequested:
                cursor.execute(
                    f"INSERT INTO {table} (delivery_id, about, source, source_version, owner, channel, state, "
                    "attempts, due_at, requested_at, last_at, last) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, "
                    "NULL, '')",
                    (
                        delivery,
                        state["about"],
                        str(state["source"]),
                        state["source_version"],
                        state["owner"],
                        state["channel"],
                        at,
                        at,
                    ),
                )
            else:
                changes, values = _update(record, at)
                cursor.execute(f"UPDATE {table} SET {changes} WHERE delivery_id = ?", (*values, delivery))


def _update(record: Record, at: str) -> tuple[str, tuple[Any, ...]]:
    """What an outcome or a retry changes of a delivery's row, and the values."""
    state = record.state
    if record.type is D.DeliveryRetried:
        return "state = 'pending', due_at = ?, last = ?", (at, f"retried by {state['actor']}: {state['reason']}")
    outcome = "state = ?, attempts = ?, due_at = ?, last_at = ?, last = ?"
    if record.type is D.Delivered:
        return outcome, ("delivered", state["attempt"], None, at, state["reply"])
    retry_at = state["retry_at"]
    left = D.left_by_failure(retry_at)
    return outcome, (left, state["attempt"], retry_at and moment(retry_at), at, state["reason"])
