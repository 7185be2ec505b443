"""What is asked of the funding ledger: every funding line, every envelope,
and funding by partner, instrument, pillar, year or currency. Amounts come
as exact Decimals, read from the text they are kept as, and are never added
across currencies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workflows.projections.base import Queries

# What funding can be totalled by: a line's partner, instrument, pillars
# (a line serving several counts under each), year committed, or currency.
BY = ("partner", "instrument", "pillar", "year", "currency")


def envelopes_table(table: str) -> str:
    """The table of the instruments' envelopes that goes with a ledger table."""
    return f"{table}_envelopes"


def moves_table(table: str) -> str:
    """The table of each commitment, increase, disbursement and decommitment that goes with a ledger table."""
    return f"{table}_moves"


class FundingQueries(Queries):
    view = "funding"

    def lines(self) -> list[dict[str, Any]]:
        """Every funding line, by partner and funding reference: partner,
        funding, instrument, title, currency, committed (the commitment and
        its increases, net of decommitments), decommitted and disbursed
        (Decimals), committed_on, year (committed) and pillars (a list)."""
        return [_line(row) for row in self.db.query(f"SELECT * FROM {self.table} ORDER BY partner, funding")]

    def moves(self) -> list[dict[str, Any]]:
        """Every commitment, increase, disbursement and decommitment in the
        order recorded: partner, funding, kind ("committed", an increase
        too; "disbursed", "decommitted"), occurred_on (as recorded: a day, a
        month or a year), currency and amount (a Decimal)."""
        rows = self.db.query(f"SELECT * FROM {moves_table(self.table)} ORDER BY position")
        return [{**row, "amount": Decimal(row["amount"])} for row in rows]

    def envelopes(self) -> list[dict[str, Any]]:
        """Every instrument's envelope, by instrument: instrument, currency,
        amount and share (Decimals; share None if not recorded), first_year
        and last_year."""
        rows = self.db.query(f"SELECT * FROM {envelopes_table(self.table)} ORDER BY instrument")
        return [
            {
                "instrument": row["instrument"],
                "currency": row["currency"],
                "amount": Decimal(row["amount"]),
                "share": Decimal(row["share"]) if row["share"] else None,
                "first_year": int(row["first_year"]),
                "last_year": int(row["last_year"]),
            }
            for row in rows
        ]

    def totals(self, by: str, lines: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Funding by one of BY: a row per value and currency, in their order,
        with how many lines, committed, decommitted and disbursed (a line serving no
        pillar counts under pillar ""). From `lines` if given, so that a
        report's tables all come from one read of the ledger."""
        if by not in BY:
            raise ValueError(f"funding is totalled by one of {', '.join(BY)}, not {by!r}")
        groups: dict[tuple[Any, str], dict[str, Any]] = {}
        for line in self.lines() if lines is None else lines:
            for key in (line["pillars"] or [""]) if by == "pillar" else [line[by]]:
                row = groups.setdefault(
                    (key, line["currency"]),
                    {
                        by: key,
                        "currency": line["currency"],
                        "lines": 0,
                        "committed": Decimal(0),
                        "decommitted": Decimal(0),
                        "disbursed": Decimal(0),
                    },
                )
                row["lines"] += 1
                for amount in ("committed", "decommitted", "disbursed"):
                    row[amount] += line[amount]
        return [groups[key] for key in sorted(groups)]


def _line(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{column: row[column] for column in ("partner", "funding", "instrument", "title", "currency")},
        "committed": Decimal(row["committed"]),
        "decommitted": Decimal(row["decommitted"]),
        "disbursed": Decimal(row["disbursed"]),
        "committed_on": row["committed_on"],
        "year": int(row["committed_year"]),
        "pillars": row["pillars"].split(",") if row["pillars"] else [],
    }
