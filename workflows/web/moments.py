"""The moment a page stands for, from its query: `as_of` (a date: what had
happened by then) or `known_at` (a date and time: what had been recorded by
then), or neither (now). A bad value is one sentence, as on the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo


class NotAMoment(ValueError):
    """A date or moment a page cannot stand for; the message says why."""


def moment_of(text: str, zone: ZoneInfo) -> datetime:
    """A date and time as a form gives it (2021-06-07T09:00), in the
    business zone unless it names its own; in UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise NotAMoment(f"{text!r} is not a date and time such as 2021-06-07T09:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Moment:
    as_of: date | None = None
    known_at: datetime | None = None

    @classmethod
    def of(cls, query: Mapping[str, str], zone: ZoneInfo) -> Moment:
        as_of = (query.get("as_of") or "").strip()
        known_at = (query.get("known_at") or "").strip()
        if as_of and known_at:
            raise NotAMoment("give a date (as of) or a moment (as known at), not both: they answer different questions")
        if as_of:
            try:
                return cls(as_of=date.fromisoformat(as_of))
            except ValueError:
                raise NotAMoment(f"{as_of!r} is not a date such as 2021-06-07") from None
        if known_at:
            return cls(known_at=moment_of(known_at, zone))
        return cls()

    @property
    def now(self) -> bool:
        return self.as_of is None and self.known_at is None

    def params(self, zone: ZoneInfo) -> dict[str, str]:
        """The query's parameters that keep this moment on a link (none for now)."""
        if self.as_of:
            return {"as_of": self.as_of.isoformat()}
        if self.known_at:
            return {"known_at": self.field(zone)}
        return {}

    def query(self, zone: ZoneInfo) -> str:
        """The query string that keeps this moment on a link ('' for now)."""
        params = self.params(zone)
        return "?" + urlencode(params) if params else ""

    def field(self, zone: ZoneInfo) -> str:
        """`known_at` as a datetime-local input shows it, in the business zone."""
        return self.known_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if self.known_at else ""
