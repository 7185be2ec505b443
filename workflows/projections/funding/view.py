"""The funding ledger: one row per funding line (partner, funding ref) with
what is committed (its commitment and increases, net of decommitments),
decommitted and disbursed, beside it the instruments' envelopes, and each
commitment, increase, disbursement and decommitment on its own day (what
converting to another currency needs; an increase is a move "committed").

Amounts are exact decimals kept as TEXT and added up with Decimal, so that
neither database turns them into floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from domain.amendments import amendments_of
from domain.initiative import Instrument
from domain.partnership import Partnership
from domain.values import event_date
from workflows.projections.base import View
from workflows.projections.funding.queries import envelopes_table, moves_table
from workflows.store.database import Cursor, Record

P = Partnership


# A ledger row's columns, and where it keeps what was disbursed.
LINE_COLUMNS = (
    "partner",
    "funding",
    "instrument",
    "title",
    "currency",
    "committed",
    "disbursed",
    "decommitted",
    "committed_on",
    "committed_year",
    "pillars",
)
COMMITTED, DISBURSED, DECOMMITTED = (LINE_COLUMNS.index(name) for name in ("committed", "disbursed", "decommitted"))
MOVE_COLUMNS = ("position", "partner", "funding", "kind", "occurred_on", "currency", "amount")
KINDS: dict[Any, str] = {
    P.FundingCommitted: "committed",
    P.FundingIncreased: "committed",
    P.FundingDisbursed: "disbursed",
    P.FundingDecommitted: "decommitted",
}


def _added(kind: Any, amount: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """What a move on a line adds to its committed, disbursed and
    decommitted (a decommitment takes off what is committed)."""
    none = Decimal(0)
    if kind is P.FundingIncreased:
        return amount, none, none
    if kind is P.FundingDisbursed:
        return none, amount, none
    return -amount, none, amount


class FundingLedger(View):
    name = "funding"
    reads = (
        P.FundingCommitted,
        P.FundingIncreased,
        P.FundingDisbursed,
        P.FundingDecommitted,
        Instrument.FundingEnvelopeSet,
        *amendments_of(Partnership),
        *amendments_of(Instrument),
    )

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
                decommitted TEXT NOT NULL,
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
            f"""CREATE TABLE IF NOT EXISTS {moves_table(table)} (
                position INTEGER PRIMARY KEY,
                partner TEXT NOT NULL,
                funding TEXT NOT NULL,
                kind TEXT NOT NULL,
                occurred_on TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount TEXT NOT NULL
            )""",
        ]

    def indexes(self, table: str) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {moves_table(table)}_partner ON {moves_table(table)} (partner)"]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        first = history[0]
        if first.type is Instrument.FundingEnvelopeSet:
            cursor.execute(f"DELETE FROM {envelopes_table(table)} WHERE instrument = ?", (first["instrument"],))
        else:
            cursor.execute(f"DELETE FROM {table} WHERE partner = ?", (first["partner"],))
            cursor.execute(f"DELETE FROM {moves_table(table)} WHERE partner = ?", (first["partner"],))

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        # A batch's new lines are written once, with what was added, paid or
        # decommitted on them in the same batch; on older lines, those change
        # their stored totals.
        lines: dict[tuple[str, str], list[Any]] = {}
        changes: dict[tuple[str, str], list[Decimal]] = {}  # committed, disbursed, decommitted: what they add
        moves: list[tuple[Any, ...]] = []
        for record in records:
            state = record.state
            if record.type in KINDS:
                line, amount = (state["partner"], state["funding"]), state["amount"]
                kind, day = KINDS[record.type], state["occurred_on"]
                moves.append((record.position, *line, kind, day, amount["currency"], amount["amount"]))
            match record.type:
                case P.FundingCommitted:
                    amount = state["amount"]
                    lines[(state["partner"], state["funding"])] = [
                        state["partner"],
                        state["funding"],
                        state["instrument"],
                        state["title"],
                        amount["currency"],
                        Decimal(amount["amount"]),
                        Decimal(0),
                        Decimal(0),
                        state["occurred_on"],
                        event_date(state["occurred_on"]).year,
                        ",".join(state["pillars"]),
                    ]
                case P.FundingIncreased | P.FundingDisbursed | P.FundingDecommitted:
                    line, amount = (state["partner"], state["funding"]), Decimal(state["amount"]["amount"])
                    if line in lines:
                        row, columns = lines[line], (COMMITTED, DISBURSED, DECOMMITTED)
                    else:
                        row, columns = changes.setdefault(line, [Decimal(0)] * 3), (0, 1, 2)
                    for column, added in zip(columns, _added(record.type, amount), strict=True):
                        row[column] += added
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
        for row in lines.values():
            for column in (COMMITTED, DISBURSED, DECOMMITTED):
                row[column] = str(row[column])
        cursor.insert(table, LINE_COLUMNS, list(lines.values()))
        cursor.insert(moves_table(table), MOVE_COLUMNS, moves)
        self._change(cursor, table, changes)

    @staticmethod
    def _change(cursor: Cursor, table: str, changes: dict[tuple[str, str], list[Decimal]]) -> None:
        # Read, add, write, in the view's transaction: adding in SQL would go
        # through the database's own (inexact) numeric types.
        lines = sorted(changes)
        totals = []
        for start in range(0, len(lines), 400):
            chunk = lines[start : start + 400]
            pairs = ", ".join(["(?, ?)"] * len(chunk))
            # A join, not `(partner, funding) IN (VALUES ...)`: SQLite scans the
            # whole ledger for that, once a chunk (a second a batch at 1M events).
            stored = cursor.execute(
                f"SELECT t.partner, t.funding, t.committed, t.disbursed, t.decommitted FROM (VALUES {pairs}) AS wanted "
                f"JOIN {table} AS t ON t.partner = wanted.column1 AND t.funding = wanted.column2",
                [value for line in chunk for value in line],
            ).fetchall()
            # A line never committed has no row: the domain refuses such a payment.
            for row in stored:
                added = changes[(row["partner"], row["funding"])]
                columns = ("committed", "disbursed", "decommitted")
                figures = [str(Decimal(row[name]) + more) for name, more in zip(columns, added, strict=True)]
                totals.append((*figures, row["partner"], row["funding"]))
        cursor.executemany(
            f"UPDATE {table} SET committed = ?, disbursed = ?, decommitted = ? WHERE partner = ? AND funding = ?",
            totals,
        )
