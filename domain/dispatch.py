"""What the scheduler issues to people: an owner's daily digest, the weekly
portfolio report, a meeting's briefing, the day's seal of the record for
its auditors. Each is recorded once, as the event
that says what was issued, to whom, for which period; its files are written
from that event."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID, uuid5

from pydantic import Field

from domain.base import NAMESPACE, Aggregate, Founding, Recorded
from domain.values import Stamp

Kind = Literal["digest", "portfolio", "briefing", "seal"]


class Dispatch(Aggregate):
    """One issued document; its id comes from (kind, recipient, period), so it is issued once."""

    NOUN = "dispatch"
    STARTED = "issued"

    class DispatchIssued(Recorded, Founding):
        kind: Kind
        recipient: str = Field(description="Who it is for: an owner, 'portfolio', a meeting, or 'auditors'")
        period: str = Field(description="What it covers: a day (2021-08-01), a week (2021-W31) or a meeting")
        title: str
        content: dict[str, Any] = Field(description="The document as JSON: title, figures, tables")

    def __init__(self, kind: Kind, recipient: str, period: str, title: str, content: dict[str, Any]) -> None:
        self.kind = kind
        self.recipient = recipient
        self.period = period
        self.title = title
        self.content = content

    @staticmethod
    def subject(kind: str, recipient: str, period: str) -> str:
        return f"{kind}/{recipient}/{period}"

    @classmethod
    def id_for(cls, subject: str) -> UUID:
        # Exactly as given: owners "Desk:TN" and "desk:TN" each get their digest.
        return uuid5(NAMESPACE, f"{cls.__name__}/{subject}")

    @classmethod
    def named_by(cls, first: Any) -> str:
        return cls.subject(first.kind, first.recipient, first.period)

    @classmethod
    def id_of(cls, kind: str, recipient: str, period: str) -> UUID:
        return cls.id_for(cls.subject(kind, recipient, period))

    @classmethod
    def issue(
        cls, kind: Kind, recipient: str, period: str, title: str, content: dict[str, Any], stamp: Stamp
    ) -> Dispatch:
        facts = {"kind": kind, "recipient": recipient, "period": period, "title": title, "content": content}
        return cls.start(cls.DispatchIssued, cls.subject(kind, recipient, period), facts, stamp)
