"""The partnership with one partner country, and the facts recorded on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Self
from uuid import UUID

from pydantic import Field, model_validator

from domain.amendments import amendable
from domain.base import Aggregate, Fact, Founding, Ref
from domain.codes import country_name
from domain.errors import (
    CommitmentAlreadyClosed,
    CommitmentAlreadyRecorded,
    CommitmentNotRecorded,
    CurrencyMismatch,
    DecommitmentExceedsRemaining,
    DialogueAlreadyLaunched,
    DialogueNotLaunched,
    DisbursementExceedsCommitment,
    FundingAlreadyCommitted,
    FundingNotCommitted,
    PartnershipNotOpened,
    PrecedesCommitment,
    RoundPrecedesLaunch,
)
from domain.text import Line, Lines, SomeLines, Text
from domain.values import Approximation, Count, Days, EventDate, Money, PartnerCode, Party, Pillar


@dataclass
class Dialogue:
    title: str
    launched_on: EventDate
    cadence_days: int | None
    rounds: int = 0
    last_round_on: EventDate | None = None


@dataclass
class FundingLine:
    """What the partnership keeps of a commitment, in plain values: the
    partnership's snapshot holds every line, and Money's checks cost four
    times a plain amount's to read back (they held when it was committed)."""

    instrument: str
    currency: str
    # The commitment and every increase on it (tranches, top-ups).
    committed: Decimal
    committed_on: EventDate
    disbursed: Decimal = Decimal(0)
    # What decommitments took off `committed`: kept apart, as the line owes less
    # but was committed as much.
    decommitted: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        """What may still be paid out, or decommitted."""
        return self.committed - self.decommitted - self.disbursed

    def standing(self) -> str:
        """The line's figures as they stand, as a refusal names them: its
        commitment (net of decommitments), and what was decommitted,
        disbursed and remains."""
        currency = self.currency
        said = [f"{currency} {self.decommitted:,} decommitted"] if self.decommitted else []
        said.append(f"{currency} {self.disbursed:,} disbursed" if self.disbursed else "nothing disbursed")
        said.append(f"{currency} {self.remaining:,} remain")
        return f"its commitment of {currency} {self.committed - self.decommitted:,} ({', '.join(said)})"


@dataclass
class Commitment:
    party: Party
    description: str
    due_on: EventDate | None
    status: str = "open"  # open, fulfilled, lapsed


@dataclass
class Counts:
    visits: int = 0
    rounds: int = 0
    operations: int = 0
    reports: int = 0
    notes: int = 0
    statements: list[str] = field(default_factory=list)
    talent_partnerships: list[str] = field(default_factory=list)


class PartnershipFact(Fact):
    """A fact recorded on one partnership."""

    SUBJECT: ClassVar[str] = "partner"

    partner: PartnerCode

    def mutate(self, aggregate: Any) -> Any:
        aggregate = super().mutate(aggregate)
        aggregate.pillars.update(self.pillars)
        aggregate.last_activity = max(aggregate.last_activity, self.occurred_on)
        return aggregate


class Partnership(Aggregate):
    """The EU's partnership with one partner country: one per ISO code."""

    # The base of its events. The library defines every nested event class a
    # second time unless it extends the aggregate's `Event`: twice the pydantic
    # models to build at every start.
    Event = PartnershipFact  # type: ignore[assignment]

    NOUN = "partnership"
    STARTED = "opened"

    # The shape of its snapshot. 2: a funding line keeps its currency and
    # amount as plain values, not as Money.
    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        for line in state["funding"].values():
            money = line.pop("committed")
            line["currency"], line["committed"] = money["currency"], money["amount"]

    class PartnershipOpened(PartnershipFact, Founding):
        """The partnership is opened; nothing is recorded on it before."""

    class VisitPlanned(PartnershipFact):
        """A visit to the partner is announced."""

        planned_for: EventDate | None = Field(default=None, description="When the visit is planned, if known")
        visitors: Lines = Field(default=(), description="Who will visit")
        purpose: Text = Field(default="", description="What the visit is for")

        def apply(self, aggregate: Partnership) -> None:
            aggregate.planned_visits.append(self.planned_for)

    class VisitHeld(PartnershipFact):
        """A visit to the partner took place."""

        visitors: SomeLines = Field(description="Who visited")
        met: Lines = Field(default=(), description="Whom they met")
        place: Line = Field(default="", description="Where")
        topics: Lines = Field(default=(), description="What was discussed")

        def apply(self, aggregate: Partnership) -> None:
            aggregate.counts.visits += 1
            if aggregate.last_visit is None or self.occurred_on >= aggregate.last_visit:
                aggregate.last_visit = self.occurred_on

    class DialogueLaunched(PartnershipFact):
        """A standing dialogue with the partner is launched."""

        dialogue: Ref
        title: Line = Field(min_length=1, description="Name of the dialogue")
        cadence_days: Days | None = Field(default=None, description="Days expected between rounds")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            if self.dialogue in aggregate.dialogues:
                raise DialogueAlreadyLaunched(f"dialogue {self.dialogue!r} with {self.partner} is already launched")

        def apply(self, aggregate: Partnership) -> None:
            aggregate.dialogues[self.dialogue] = Dialogue(self.title, self.occurred_on, self.cadence_days)

    class DialogueRoundHeld(PartnershipFact):
        """A round of a launched dialogue took place."""

        dialogue: Ref
        outcome: Text = Field(default="", description="What the round agreed")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            dialogue = aggregate.dialogues.get(self.dialogue)
            if dialogue is None:
                raise DialogueNotLaunched(
                    f"dialogue {self.dialogue!r} with {self.partner} is not launched: record DialogueLaunched first"
                )
            if self.occurred_on.latest < dialogue.launched_on.earliest:
                raise RoundPrecedesLaunch(
                    f"a round of dialogue {self.dialogue!r} dated {self.occurred_on} would precede its launch on "
                    f"{dialogue.launched_on}"
                )

        def apply(self, aggregate: Partnership) -> None:
            dialogue = aggregate.dialogues[self.dialogue]
            dialogue.rounds += 1
            dialogue.last_round_on = self.occurred_on
            aggregate.counts.rounds += 1

    class FundingCommitted(PartnershipFact):
        """Funding is committed to an action with the partner."""

        funding: Ref
        instrument: Line = Field(min_length=1, description="Financing instrument, e.g. NDICI-Global Europe")
        amount: Money = Field(description="Amount committed, e.g. 'EUR 1000000'")
        title: Line = Field(default="", description="The action funded")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            if self.funding in aggregate.funding:
                raise FundingAlreadyCommitted(f"funding {self.funding!r} with {self.partner} is already committed")

        def apply(self, aggregate: Partnership) -> None:
            amount = self.amount
            aggregate.funding[self.funding] = FundingLine(
                self.instrument, amount.currency, amount.amount, self.occurred_on
            )

    class FundingIncreased(PartnershipFact):
        """More funding is committed to an action already funded (a further
        tranche, a top-up): it adds to the line's commitment."""

        funding: Ref
        amount: Money = Field(description="Amount added to the commitment, in its currency, e.g. 'EUR 2000000'")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            aggregate.funding_line(self.funding, self.amount, self.occurred_on, "an increase")

        def apply(self, aggregate: Partnership) -> None:
            aggregate.funding[self.funding].committed += self.amount.amount

    class FundingDisbursed(PartnershipFact):
        """Part of a funding commitment is paid out."""

        funding: Ref
        amount: Money = Field(description="Amount disbursed, e.g. 'EUR 250000'")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            line = aggregate.funding_line(self.funding, self.amount, self.occurred_on, "a disbursement")
            if self.amount.amount > line.remaining:
                raise DisbursementExceedsCommitment(
                    f"disbursing {self.amount} on funding {self.funding!r} would exceed {line.standing()}"
                )

        def apply(self, aggregate: Partnership) -> None:
            aggregate.funding[self.funding].disbursed += self.amount.amount

    class FundingDecommitted(PartnershipFact):
        """A funding commitment is reduced (a decommitment): part of what was
        committed will not be paid out."""

        funding: Ref
        amount: Money = Field(description="Amount taken off the commitment, e.g. 'EUR 100000'")
        reason: Text = Field(default="", description="Why it was reduced")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            line = aggregate.funding_line(self.funding, self.amount, self.occurred_on, "a decommitment")
            if self.amount.amount > line.remaining:
                raise DecommitmentExceedsRemaining(
                    f"decommitting {self.amount} on funding {self.funding!r} would take off more than remains of "
                    f"{line.standing()}"
                )

        def apply(self, aggregate: Partnership) -> None:
            aggregate.funding[self.funding].decommitted += self.amount.amount

    class CommitmentRecorded(PartnershipFact):
        """The EU, a member state or the partner commits to do something."""

        commitment: Ref
        party: Party = Field(description="Who committed: eu, member_state or partner")
        by: Line = Field(default="", description="Which member state or body, where it matters")
        description: Text = Field(min_length=1, description="What was committed")
        due_on: EventDate | None = Field(default=None, description="When it is due, if a date was given")
        source: Line = Field(default="", description="Where it was committed, e.g. a statement")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            if self.commitment in aggregate.commitments:
                raise CommitmentAlreadyRecorded(
                    f"commitment {self.commitment!r} with {self.partner} is already recorded"
                )

        def apply(self, aggregate: Partnership) -> None:
            aggregate.commitments[self.commitment] = Commitment(self.party, self.description, self.due_on)

    class CommitmentFulfilled(PartnershipFact):
        """A recorded commitment was kept."""

        commitment: Ref

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            aggregate.require_open_commitment(self.commitment)

        def apply(self, aggregate: Partnership) -> None:
            aggregate.commitments[self.commitment].status = "fulfilled"

    class CommitmentLapsed(PartnershipFact):
        """A recorded commitment was not kept in time."""

        commitment: Ref
        reason: Text = Field(default="", description="Why it lapsed")

        def check(self, aggregate: Partnership) -> None:
            super().check(aggregate)
            aggregate.require_open_commitment(self.commitment)

        def apply(self, aggregate: Partnership) -> None:
            aggregate.commitments[self.commitment].status = "lapsed"

    class StatementReaffirmed(PartnershipFact):
        """A joint statement is reaffirmed, e.g. the EU-Turkey Statement."""

        statement: Line = Field(min_length=1, description="The statement, e.g. EU-Turkey Statement")
        statement_date: EventDate | None = Field(default=None, description="When the statement was first made")

        def apply(self, aggregate: Partnership) -> None:
            if self.statement not in aggregate.counts.statements:
                aggregate.counts.statements.append(self.statement)

    class OperationLaunched(PartnershipFact):
        """An operation starts, e.g. a Frontex joint operation."""

        # 2: `agency` holds every agency running it (joint operations have several).
        class_version: ClassVar[int] = 2

        operation: Line = Field(min_length=1, description="Name of the operation")
        agency: Lines = Field(default=(), description="Who runs it, e.g. Frontex (one or more)")
        starts_on: EventDate = Field(description="When it starts")
        area: Line = Field(default="", description="Where it operates")

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 kept one agency as text, "" for none."""
            agency = state.get("agency", "")
            state["agency"] = [agency] if agency else []

        def apply(self, aggregate: Partnership) -> None:
            aggregate.counts.operations += 1

    class TalentPartnershipLaunched(PartnershipFact):
        """A Talent Partnership with the partner is launched."""

        title: Line = Field(min_length=1, description="Name of the Talent Partnership")

        def apply(self, aggregate: Partnership) -> None:
            aggregate.counts.talent_partnerships.append(self.title)

    class ArrivalsReported(PartnershipFact):
        """An arrivals figure: how many came, by which route, over which period."""

        period_start: EventDate = Field(description="First day (or month) the figure covers")
        period_end: EventDate = Field(description="Last day (or month) the figure covers")
        route: Line = Field(min_length=1, description="Route, e.g. Central Mediterranean")
        destination: Line = Field(default="", description="Where they arrived, e.g. Italy")
        count: Count = Field(description="Number of people")
        approximation: Approximation = Field(
            default=Approximation.EXACT, description="How exact the figure is: exact, about, at_least, at_most"
        )
        source: Line = Field(min_length=1, description="Who reported the figure")

        @model_validator(mode="after")
        def _period_in_order(self) -> Self:
            if self.period_end.latest < self.period_start.earliest:
                raise ValueError(f"period_end {self.period_end} is before period_start {self.period_start}")
            return self

        def apply(self, aggregate: Partnership) -> None:
            aggregate.counts.reports += 1

    class PartnershipNoteAdded(PartnershipFact):
        """A note on the partnership."""

        text: Text = Field(min_length=1, description="The note")

        def apply(self, aggregate: Partnership) -> None:
            aggregate.counts.notes += 1

    class State(Aggregate.State):
        partner: str
        name: str
        opened_on: EventDate
        last_activity: EventDate
        last_visit: EventDate | None
        planned_visits: list[EventDate | None]
        dialogues: dict[str, Dialogue]
        funding: dict[str, FundingLine]
        commitments: dict[str, Commitment]
        pillars: set[Pillar]
        counts: Counts

    def __init__(self, partner: str, occurred_on: EventDate) -> None:
        self.partner = partner
        self.name = country_name(partner)
        self.opened_on = occurred_on
        self.last_activity = occurred_on
        self.last_visit: EventDate | None = None
        self.planned_visits: list[EventDate | None] = []
        self.dialogues: dict[str, Dialogue] = {}
        self.funding: dict[str, FundingLine] = {}
        self.commitments: dict[str, Commitment] = {}
        self.pillars: set[Pillar] = set()
        self.counts = Counts()

    @classmethod
    def not_started(cls, subject: str) -> PartnershipNotOpened:
        return PartnershipNotOpened.of(subject)

    def funding_line(self, ref: str, amount: Money, occurred_on: EventDate, what: str) -> FundingLine:
        """The committed line an increase, a payment or a decommitment is
        on: in its currency, and not before it was committed; `what`, the
        fact as a refusal names it ("a disbursement")."""
        line = self.funding.get(ref)
        if line is None:
            raise FundingNotCommitted(f"funding {ref!r} with {self.partner} is not committed")
        if amount.currency != line.currency:
            raise CurrencyMismatch(f"funding {ref!r} is committed in {line.currency}, not {amount.currency}")
        if occurred_on.latest < line.committed_on.earliest:
            raise PrecedesCommitment(
                f"{what} on funding {ref!r} dated {occurred_on} would precede its commitment on {line.committed_on}"
            )
        return line

    def require_open_commitment(self, ref: str) -> Commitment:
        commitment = self.commitments.get(ref)
        if commitment is None:
            raise CommitmentNotRecorded(f"commitment {ref!r} with {self.partner} is not recorded")
        if commitment.status != "open":
            raise CommitmentAlreadyClosed(f"commitment {ref!r} with {self.partner} is already {commitment.status}")
        return commitment


amendable(Partnership)


def require_opened(partners: Iterable[str], opened: Callable[[UUID], bool]) -> None:
    """A fact naming several partners (a meeting's agenda, an initiative's)
    names opened partnerships only: `opened` says whether the partnership of
    an id is, where the fact is decided (or judged)."""
    for code in partners:
        if not opened(Partnership.id_for(code)):
            raise Partnership.not_started(code)
