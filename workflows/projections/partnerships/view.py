"""The partnership overview: one row per partnership with the figures its
reports show (visits, dialogues, commitments by party, funding per currency,
pillars), kept from the partnership's own events.

Everything lives in the one row, bookkeeping included (JSON text columns),
so that a page of events costs one read and one write per partnership.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.amendments import amendments_of
from domain.codes import country_name
from domain.partnership import Partnership
from domain.values import EventDate, Party, event_date
from workflows.projections.base import View
from workflows.projections.partnerships.queries import money_text, money_totals
from workflows.store.database import Cursor, Record

P = Partnership

COLUMNS = (
    "partner",
    "name",
    "opened_on",
    "status",
    "last_visit",
    "visits",
    "planned_visits",
    "dialogues",
    "dialogue_titles",
    "rounds",
    *(f"open_{party}" for party in Party),
    "fulfilled",
    "lapsed",
    "committed",
    "disbursed",
    "pillars",
    "last_activity",
    "events",
    "open_commitments",
)


@dataclass
class Overview:
    """One partnership's row while events are folded into it."""

    partner: str
    opened_on: EventDate
    last_activity: EventDate
    last_visit: EventDate | None = None
    visits: int = 0
    planned_visits: int = 0
    dialogues: int = 0
    dialogue_titles: str = ""
    rounds: int = 0
    fulfilled: int = 0
    lapsed: int = 0
    # Per currency, as Decimal: one partnership may be funded in several.
    committed: dict[str, Decimal] = field(default_factory=dict)
    disbursed: dict[str, Decimal] = field(default_factory=dict)
    pillars: set[str] = field(default_factory=set)
    events: int = 0
    # Each open commitment's party, so that closing one lowers the right count.
    open_commitments: dict[str, str] = field(default_factory=dict)

    def fold(self, record: Record) -> None:
        state = record.state
        occurred_on = event_date(state["occurred_on"])
        self.events += 1
        self.pillars.update(state["pillars"])
        self.last_activity = max(self.last_activity, occurred_on)
        match record.type:
            case P.VisitPlanned:
                self.planned_visits += 1
            case P.VisitHeld:
                self.visits += 1
                if self.last_visit is None or occurred_on >= self.last_visit:
                    self.last_visit = occurred_on
            case P.DialogueLaunched:
                self.dialogues += 1
                self.dialogue_titles = ", ".join(filter(None, (self.dialogue_titles, state["title"])))
            case P.DialogueRoundHeld:
                self.rounds += 1
            case P.FundingCommitted | P.FundingIncreased:
                _add(self.committed, state["amount"])
            case P.FundingDisbursed:
                _add(self.disbursed, state["amount"])
            case P.FundingDecommitted:  # what is committed, net of decommitments
                _add(self.committed, state["amount"], -1)
            case P.CommitmentRecorded:
                self.open_commitments[state["commitment"]] = state["party"]
            case P.CommitmentFulfilled:
                self.open_commitments.pop(state["commitment"])
                self.fulfilled += 1
            case P.CommitmentLapsed:
                self.open_commitments.pop(state["commitment"])
                self.lapsed += 1

    def row(self) -> tuple[Any, ...]:
        """The values of COLUMNS, in order."""
        open_by_party = Counter(self.open_commitments.values())
        return (
            self.partner,
            country_name(self.partner),
            str(self.opened_on),
            "open",
            str(self.last_visit) if self.last_visit else None,
            self.visits,
            self.planned_visits,
            self.dialogues,
            self.dialogue_titles,
            self.rounds,
            *(open_by_party[party.value] for party in Party),
            self.fulfilled,
            self.lapsed,
            money_text(self.committed),
            money_text(self.disbursed),
            ", ".join(sorted(self.pillars)),
            str(self.last_activity),
            self.events,
            json.dumps(self.open_commitments, sort_keys=True),
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Overview:
        return cls(
            partner=row["partner"],
            opened_on=event_date(row["opened_on"]),
            last_activity=event_date(row["last_activity"]),
            last_visit=event_date(row["last_visit"]) if row["last_visit"] else None,
            visits=row["visits"],
            planned_visits=row["planned_visits"],
            dialogues=row["dialogues"],
            dialogue_titles=row["dialogue_titles"],
            rounds=row["rounds"],
            fulfilled=row["fulfilled"],
            lapsed=row["lapsed"],
            committed=money_totals(row["committed"]),
            disbursed=money_totals(row["disbursed"]),
            pillars=set(filter(None, row["pillars"].split(", "))),
            events=row["events"],
            open_commitments=json.loads(row["open_commitments"]),
        )


def _add(totals: dict[str, Decimal], money: dict[str, str], sign: int = 1) -> None:
    """Add (or take off) stored money ({"amount": "1250000.10", "currency": "EUR"})."""
    totals[money["currency"]] = totals.get(money["currency"], Decimal(0)) + sign * Decimal(money["amount"])


class PartnershipOverview(View):
    name = "partnerships"
    reads = (*Partnership.fact_classes(), *amendments_of(Partnership))

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                partner TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                opened_on TEXT NOT NULL,
                status TEXT NOT NULL,
                last_visit TEXT,
                visits INTEGER NOT NULL,
                planned_visits INTEGER NOT NULL,
                dialogues INTEGER NOT NULL,
                dialogue_titles TEXT NOT NULL,
                rounds INTEGER NOT NULL,
                open_eu INTEGER NOT NULL,
                open_member_state INTEGER NOT NULL,
                open_partner INTEGER NOT NULL,
                fulfilled INTEGER NOT NULL,
                lapsed INTEGER NOT NULL,
                committed TEXT NOT NULL,
                disbursed TEXT NOT NULL,
                pillars TEXT NOT NULL,
                last_activity TEXT NOT NULL,
                events INTEGER NOT NULL,
                open_commitments TEXT NOT NULL
            )"""
        ]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        cursor.execute(f"DELETE FROM {table} WHERE partner = ?", (history[0]["partner"],))

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        # A batch holds many events of few partnerships: read each row once,
        # fold its events in memory, write it once.
        codes = sorted({record["partner"] for record in records})
        if not codes:
            return
        marks = ", ".join("?" * len(codes))
        stored = cursor.execute(f"SELECT * FROM {table} WHERE partner IN ({marks})", codes).fetchall()
        rows = {row["partner"]: Overview.from_row(row) for row in stored}
        for record in records:
            if record.type is P.PartnershipOpened:
                opened_on = event_date(record["occurred_on"])
                rows[record["partner"]] = Overview(record["partner"], opened_on, opened_on)
            # The domain records nothing on a partnership before it is opened.
            rows[record["partner"]].fold(record)
        # One row a partner: no key repeats.
        cursor.insert(
            table,
            COLUMNS,
            [row.row() for row in rows.values()],
            f"ON CONFLICT (partner) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in COLUMNS[1:])}",
        )
