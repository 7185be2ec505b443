"""The funding ledger: one row per funding line (partner, funding ref) with
what was committed and disbursed, and beside it the instruments' envelopes.

Amounts are exact decimals kept as TEXT and added up with Decimal, so that
neither database turns them into floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.initiative import Instrument
from domain.partnership import Partnership
from domain.values import event_date
from workflows.projections.base import Cursor, Record, View

P = Partnership


def envelopes_table(table: str) -> str:
    """The table of the instruments' envelopes that goes with a ledger table."""
    return f"{table}_envelopes"


class FundingLedger(View):
    name = "funding"
    reads = (P.FundingCommitted, P.FundingDisbursed, Instrument.FundingEnvelopeSet)

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                partner TEXT NOT NULL,
                funding TEXT NOT NULL,
                instrument TEXT NOT NULL,
                title TEXT NOT NULL,
                currency TEXT NOT NULL,
                committed TEXT NOT NULL,
                disbursed TEXT NOT NULL,
                committed_on TEXT NOT NULL,
                committed_year INTEGER NOT NULL,
                pillars TEXT NOT NULL,
                PRIMARY KEY (partner, funding)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {envelopes_table(table)} (
                instrument TEXT PRIMARY KEY,
                currency TEXT NOT NULL,
                amount TEXT NOT NULL,
                share TEXT,
                first_year INTEGER NOT NULL,
                last_year INTEGER NOT NULL
            )""",
        ]

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        for record in records:
            state = record.state
            match record.type:
                case P.FundingCommitted:
                    cursor.execute(
                        f"INSERT INTO {table} (partner, funding, instrument, title, currency, committed, disbursed, "
                        "committed_on, committed_year, pillars) VALUES (?, ?, ?, ?, ?, ?, '0', ?, ?, ?)",
                        (
                            state["partner"],
                            state["funding"],
                            state["instrument"],
                            state["title"],
                            state["amount"]["currency"],
                            state["amount"]["amount"],
                            state["occurred_on"],
                            event_date(state["occurred_on"]).year,
                            ",".join(state["pillars"]),
                        ),
                    )
                case P.FundingDisbursed:
                    self._disburse(
                        cursor, table, state["partner"], state["funding"], Decimal(state["amount"]["amount"])
                    )
                case Instrument.FundingEnvelopeSet:
                    cursor.execute(
                        f"INSERT INTO {envelopes_table(table)} (instrument, currency, amount, share, first_year, "
                        "last_year) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instrument) DO UPDATE SET "
                        "currency = excluded.currency, amount = excluded.amount, share = excluded.share, "
                        "first_year = excluded.first_year, last_year = excluded.last_year",
                        (
                            state["instrument"],
                            state["amount"]["currency"],
                            state["amount"]["amount"],
                            state["share"],
                            state["first_year"],
                            state["last_year"],
                        ),
                    )

    @staticmethod
    def _disburse(cursor: Cursor, table: str, partner: str, funding: str, amount: Decimal) -> None:
        # Read, add, write: this runs in the view's transaction, and adding in
        # SQL would go through the database's own (inexact) numeric types.
        row = cursor.execute(
            f"SELECT disbursed FROM {table} WHERE partner = ? AND funding = ?", (partner, funding)
        ).fetchone()
        if row is None:
            return  # The domain refuses a disbursement on a line never committed.
        total = Decimal(row["disbursed"]) + amount
        cursor.execute(
            f"UPDATE {table} SET disbursed = ? WHERE partner = ? AND funding = ?", (str(total), partner, funding)
        )
