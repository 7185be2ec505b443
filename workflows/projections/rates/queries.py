"""What is asked of the exchange rates: a currency's rate on a day (the
latest published on or before it), and what is recorded of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from workflows.projections.base import Queries


@dataclass(frozen=True)
class Quote:
    """A rate as published: units of `currency` one unit of `base` bought on `day`, per `source`."""

    currency: str
    base: str
    rate: Decimal
    day: date
    source: str


class RateQueries(Queries):
    view = "rates"

    def quote(self, currency: str, base: str, on: date) -> Quote | None:
        """The rate of `currency` against `base` published last on or before
        `on`; None if none was (a rate is never guessed from a later one)."""
        rows = self.db.query(
            f"SELECT * FROM {self.table} WHERE currency = ? AND base = ? AND day <= ? "
            "ORDER BY day DESC, source LIMIT 1",
            (currency, base, on.isoformat()),
        )
        return _quote(rows[0]) if rows else None

    def recorded(self) -> list[dict[str, Any]]:
        """Each source and base: how many days of rates, from which day to which, and how many currencies."""
        return self.db.query(
            f"SELECT source, base, COUNT(DISTINCT day) AS days, MIN(day) AS first, MAX(day) AS last, "
            f"COUNT(DISTINCT currency) AS currencies FROM {self.table} GROUP BY source, base ORDER BY source, base"
        )


def _quote(row: dict[str, Any]) -> Quote:
    return Quote(row["currency"], row["base"], Decimal(row["rate"]), date.fromisoformat(row["day"]), row["source"])
