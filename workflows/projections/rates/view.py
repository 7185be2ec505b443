"""One row per currency, day and source: the rate as published, exact (its
text), and the base it is a price of."""

from __future__ import annotations

from collections.abc import Sequence

from domain.rates import ExchangeRates
from workflows.projections.base import View
from workflows.store.database import Cursor, Record


class Rates(View):
    name = "rates"
    reads = (ExchangeRates.ExchangeRatesPublished,)

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                currency TEXT NOT NULL,
                day TEXT NOT NULL,
                source TEXT NOT NULL,
                base TEXT NOT NULL,
                rate TEXT NOT NULL,
                PRIMARY KEY (currency, day, source)
            )"""
        ]

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        for record in records:
            state = record.state
            cursor.executemany(
                f"INSERT INTO {table} (currency, day, source, base, rate) VALUES (?, ?, ?, ?, ?)",
                [
                    (currency, str(state["published_on"]), state["source"], state["base"], str(rate))
                    for currency, rate in state["rates"].items()
                ],
            )
