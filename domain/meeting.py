"""Meetings such as the JHA Council or the European Council, and conferences
with several partners: one record each, naming the partners on the agenda."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from domain.amendments import amendable
from domain.base import Aggregate, Fact, Founding, Ref
from domain.text import Line, Text
from domain.values import EventDate, Partners


class MeetingFact(Fact):
    SUBJECT: ClassVar[str] = "meeting"

    meeting: Ref


class Meeting(Aggregate):
    """A meeting whose briefing draws on the partnerships on its agenda."""

    # The base of its events (see Partnership.Event).
    Event = MeetingFact  # type: ignore[assignment]

    NOUN = "meeting"
    STARTED = "scheduled"

    class MeetingScheduled(MeetingFact, Founding):
        """A meeting is set for a date; occurred_on is when that became known."""

        body: Line = Field(min_length=1, description="Who meets, e.g. Justice and Home Affairs Council")
        title: Line = Field(default="", description="What the meeting is about")
        held_on: EventDate = Field(description="When the meeting takes place (day or month)")
        partners: Partners = Field(default=(), description="Partners on the agenda")

    class MeetingHeld(MeetingFact):
        """The meeting took place."""

        outcome: Text = Field(default="", description="What it concluded")

        def apply(self, aggregate: Meeting) -> None:
            aggregate.held = True

    def __init__(self, meeting: str, body: str, title: str, held_on: EventDate, partners: tuple[str, ...]) -> None:
        self.meeting = meeting
        self.body = body
        self.title = title
        self.held_on = held_on
        self.partners = partners
        self.held = False


amendable(Meeting)
