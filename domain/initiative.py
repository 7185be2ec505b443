"""Facts that concern the EU as a whole or several partners at once: policy
initiatives and the funding envelopes of instruments. Each is recorded once,
naming the partners it concerns, and shows in each partner's timeline."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, model_validator

from domain.amendments import amendable
from domain.base import Aggregate, Fact, Founding, Ref
from domain.errors import StageNotLater
from domain.text import Line
from domain.values import Money, Partners, Share, Year


class Stage(StrEnum):
    """How far an initiative has come."""

    PLANNED = "planned"
    PROPOSED = "proposed"
    ADOPTED = "adopted"
    LAUNCHED = "launched"


class InitiativeFact(Fact):
    SUBJECT: ClassVar[str] = "initiative"

    initiative: Ref


class Initiative(Aggregate):
    """An EU initiative, e.g. an action plan against migrant smuggling."""

    # The base of its events (see Partnership.Event).
    Event = InitiativeFact  # type: ignore[assignment]

    NOUN = "initiative"
    STARTED = "announced"

    class InitiativeAnnounced(InitiativeFact, Founding):
        """An initiative is announced, proposed, adopted or launched."""

        title: Line = Field(min_length=1, description="Name of the initiative")
        stage: Stage = Field(description="planned, proposed, adopted or launched")
        lead: Line = Field(default="", description="Who leads it")
        partners: Partners = Field(default=(), description="Partners it concerns; none means the EU as a whole")

    class InitiativeAdvanced(InitiativeFact):
        """An initiative reaches a later stage."""

        stage: Stage = Field(description="planned, proposed, adopted or launched")

        def check(self, aggregate: Initiative) -> None:
            super().check(aggregate)
            order = list(Stage)
            if order.index(self.stage) <= order.index(aggregate.stage):
                raise StageNotLater(
                    f"initiative {self.initiative!r} is already {aggregate.stage.value}; "
                    f"it cannot move back to {self.stage.value}"
                )

        def apply(self, aggregate: Initiative) -> None:
            aggregate.stage = self.stage

    def __init__(self, initiative: str, title: str, stage: Stage, partners: tuple[str, ...]) -> None:
        self.initiative = initiative
        self.title = title
        self.stage = stage
        self.partners = partners


class InstrumentFact(Fact):
    SUBJECT: ClassVar[str] = "instrument"

    instrument: Line = Field(min_length=1, description="Financing instrument, e.g. NDICI-Global Europe")


class Instrument(Aggregate):
    """A financing instrument's envelope for migration, against which funding
    is counted."""

    # The base of its events (see Partnership.Event).
    Event = InstrumentFact  # type: ignore[assignment]

    NOUN = "instrument"
    STARTED = "given an envelope"

    class FundingEnvelopeSet(InstrumentFact, Founding):
        """An instrument's envelope for migration over a period."""

        amount: Money = Field(description="Amount available for migration, e.g. 'EUR 8000000000'")
        share: Share | None = Field(default=None, description="Target share of the instrument, e.g. 0.10 for 10%")
        first_year: Year = Field(description="First year of the period")
        last_year: Year = Field(description="Last year of the period")

        @model_validator(mode="after")
        def _period_in_order(self) -> Self:
            if self.last_year < self.first_year:
                raise ValueError(f"last_year {self.last_year} is before first_year {self.first_year}")
            return self

    def __init__(self, instrument: str, amount: Money, share: Decimal | None, first_year: int, last_year: int) -> None:
        self.instrument = instrument
        self.amount = amount
        self.share = share
        self.years = (first_year, last_year)


amendable(Initiative)
amendable(Instrument)
