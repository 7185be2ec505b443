"""The one clock: the moment now, and the business date it falls on in the
business time zone (ACCORD_TIMEZONE). Built once, by the composition root,
and passed to whatever needs the time; no other module reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.config.settings import Settings


def _system_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    zone: tzinfo
    # Where the moment comes from: the system's clock, or a test's.
    source: Callable[[], datetime] = field(default=_system_now)

    def now(self) -> datetime:
        """The moment now, in UTC."""
        return self.source().astimezone(UTC)

    def today(self) -> date:
        """The business date now."""
        return self.day(self.now())

    def day(self, moment: datetime) -> date:
        """The business date a moment falls on."""
        return moment.astimezone(self.zone).date()


def business_clock(settings: Settings) -> Clock:
    """The one clock of a process: the system's, with business dates in
    ACCORD_TIMEZONE. The composition root builds it (and the command line,
    which reads without the application when it can)."""
    return Clock(settings.schedule.zone)


def shown_moment(moment: datetime) -> str:
    """A moment to the second, in the zone it was given in, named:
    "2026-12-07 13:04:05 Europe/Brussels", "2026-12-07 12:04:05 UTC"."""
    zone = getattr(moment.tzinfo, "key", None) or moment.tzname() or "UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}"
