"""What is asked of the partnership overview: every partnership's row (or
one partner's), with its funding totals as exact Decimals per currency, and
the short list `accord partners` shows."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from workflows.projections.base import Queries


def money_text(totals: dict[str, Decimal]) -> str:
    """Totals as JSON text, e.g. {"EUR": "1250000.10"}: exact, never a float."""
    return json.dumps({currency: format(amount, "f") for currency, amount in totals.items()}, sort_keys=True)


def money_totals(text: str) -> dict[str, Decimal]:
    return {currency: Decimal(amount) for currency, amount in json.loads(text).items()}


class PartnershipQueries(Queries):
    view = "partnerships"

    def rows(self, partner: str | None = None) -> list[dict[str, Any]]:
        """Each partnership's row by code (one partner's, if given), its
        committed and disbursed totals as {currency: Decimal}."""
        where, params = ("WHERE partner = ?", (partner,)) if partner else ("", ())
        rows = self.db.query(f"SELECT * FROM {self.table} {where} ORDER BY partner", params)
        for row in rows:
            row["committed"], row["disbursed"] = money_totals(row["committed"]), money_totals(row["disbursed"])
        return rows

    def partners(self) -> list[dict[str, Any]]:
        """Every partnership with its counts."""
        return [
            {
                "code": row["partner"],
                "name": row["name"],
                "opened_on": row["opened_on"],
                "last_activity": row["last_activity"],
                "events": row["events"],
                "visits": row["visits"],
                "dialogues": row["dialogues"],
                "open_commitments": row["open_eu"] + row["open_member_state"] + row["open_partner"],
            }
            for row in self.db.query(f"SELECT * FROM {self.table} ORDER BY partner")
        ]
