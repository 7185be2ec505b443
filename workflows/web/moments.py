"""The moment a page stands for, from its query: `as_of` (a date: what had
happened by then) or `known_at` (a date and time: what had been recorded by
then), or neither (now). A bad value is one sentence, as on the command line.

A moment is one Accord can compute with: from EARLIEST to LATEST in UTC
(a day inside the years 1 to 9999 that Python's dates hold, so that an
offset such as +14:00, or the slack a search of the log allows, never
carries it out of them); a page read as of a date or as known at a moment
stands for one that has come."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from workflows.web.params import NotUnderstood, shown, text

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class NotAMoment(NotUnderstood):
    """A date or moment a page cannot stand for; the message says why."""


def moment_of(value: str, zone: ZoneInfo, name: str = "the moment") -> datetime:
    """A date and time as a form gives it (2021-06-07T09:00), in the
    business zone unless it names its own; in UTC."""
    given = text(value, name) or ""
    try:
        moment = datetime.fromisoformat(given)
    except ValueError:
        raise NotAMoment(f"{shown(given)} is not a date and time such as 2021-06-07T09:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = LATEST + timedelta(days=1)  # beyond either end
    if not EARLIEST <= moment <= LATEST:
        raise NotAMoment(
            f"{shown(given)} is not a moment Accord can compute with: give one from "
            f"{EARLIEST.date()} to {LATEST.date()} (UTC)"
        )
    return moment


@dataclass(frozen=True)
class Moment:
    as_of: date | None = None
    known_at: datetime | None = None

    @classmethod
    def of(cls, query: Mapping[str, str], zone: ZoneInfo) -> Moment:
        as_of = text(query.get("as_of"), "as of")
        known_at = text(query.get("known_at"), "as known at")
        if as_of and known_at:
            raise NotAMoment("give a date (as of) or a moment (as known at), not both: they answer different questions")
        if as_of:
            try:
                return cls(as_of=date.fromisoformat(as_of))
            except ValueError:
                raise NotAMoment(f"{shown(as_of)} is not a date such as 2021-06-07") from None
        if known_at:
            return cls(known_at=moment_of(known_at, zone, "as known at"))
        return cls()

    def has_come(self, today: date, now: datetime) -> None:
        """Refuse a date after today, or a moment in the future: the record
        holds nothing of them yet."""
        if self.as_of and self.as_of > today:
            raise NotAMoment(
                f"{self.as_of} is after today ({today}): a page shows what had happened by a day that has come"
            )
        if self.known_at and self.known_at > now:
            raise NotAMoment(
                f"{self.known_at:%Y-%m-%dT%H:%M} (UTC) is in the future: a page shows what had been recorded by "
                "a moment that has passed"
            )

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
