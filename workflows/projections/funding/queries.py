"""What is asked of the funding ledger: every funding line, every envelope.
Amounts come as they are kept, exact decimal text."""

from __future__ import annotations

from typing import Any

from workflows.projections.base import Queries


def envelopes_table(table: str) -> str:
    """The table of the instruments' envelopes that goes with a ledger table."""
    return f"{table}_envelopes"


class FundingQueries(Queries):
    view = "funding"

    def lines(self) -> list[dict[str, Any]]:
        """Every funding line, by partner and funding reference."""
        return self.db.query(f"SELECT * FROM {self.table} ORDER BY partner, funding")

    def envelopes(self) -> list[dict[str, Any]]:
        """Every instrument's envelope, by instrument."""
        return self.db.query(f"SELECT * FROM {envelopes_table(self.table)} ORDER BY instrument")
