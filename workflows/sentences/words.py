"""The words a sentence is made of: dates as people write them, money,
partners by their names, lists, and texts from users cut to fit one line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from domain.codes import country_name
from domain.errors import UnknownPartner

ELLIPSIS = "…"
# How much of one text from a user a sentence quotes, in characters.
QUOTED = 100
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
# What would break a line; other controls stay, for the medium to escape.
_BREAKS = re.compile("[\n\u2028\u2029]+")


@lru_cache(maxsize=4096)
def day(text: Any) -> str:
    """A date as people write it: "3 March 2021", "March 2021" (known to
    the month), "2021" (to the year); anything else as it is."""
    written: str = str(text or "")
    found = _DATE.match(written)
    if found is None:
        return written
    year, month, day_of = found.groups()
    if month is None or not 1 <= int(month) <= 12:
        return year
    said = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day_of)} {said}" if day_of else said


def days(count: int) -> str:
    return "1 day" if count == 1 else f"{count:,} days"


PARTIES = {"eu": "the EU", "member_state": "a member state", "partner": "the partner"}


def party(value: str) -> str:
    """Who made a commitment, in words: "the EU", "a member state", "the partner"."""
    return PARTIES.get(value, value)


def money(value: Any) -> str:
    """An amount with its currency, its digits grouped: EUR 12,500,000.50."""
    if isinstance(value, dict):
        amount, currency = value.get("amount"), value.get("currency", "")
    else:
        currency, _, amount = str(value).partition(" ")
    try:
        return f"{currency} {Decimal(str(amount)):,}".strip()
    except InvalidOperation:
        return f"{currency} {amount}".strip()


def number(value: Any, field: str = "") -> str:
    """A whole number as people write it, its thousands separated (3,000);
    a year (a field named for one: first_year) as it is (2021)."""
    if isinstance(value, int) and not isinstance(value, bool) and not field.endswith("year"):
        return f"{value:,}"
    return str(value)


@lru_cache(maxsize=512)
def country(code: str) -> str:
    """A partner by its name (Tunisia), from its code; a code no list holds, as it is."""
    try:
        return country_name(str(code))
    except UnknownPartner:
        return str(code)


def countries(codes: Iterable[str]) -> str:
    return listed(country(code) for code in codes)


def listed(items: Iterable[Any]) -> str:
    """ "A", "A and B", "A, B and C"."""
    names = [str(item) for item in items if item]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def cut(text: Any, limit: int = QUOTED) -> str:
    """A text from a user on one line, cut with an ellipsis past `limit`
    characters. Its other characters are left for the medium to escape."""
    line = _BREAKS.sub(" ", str(text or "")).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + ELLIPSIS


def words_of(type_name: str) -> str:
    """An event type's name as words: MeetingScheduled, "meeting scheduled"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).lower()


def as_of(moment: Any, zone: tzinfo = UTC) -> str:
    """A moment as people write it: "14:05 UTC on 3 March 2021", or in
    another zone "15:05 on 3 March 2021 (Europe/Brussels)"."""
    text = str(moment or "")
    if len(text[11:16]) != 5:
        return day(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return day(text)
    if zone is UTC or when.tzinfo is None:
        return f"{text[11:16]} UTC on {day(text)}"
    local = when.astimezone(zone)
    return f"{local:%H:%M} on {day(local.date().isoformat())} ({getattr(zone, 'key', None) or local.tzname()})"


# The name of what a state's field refers to (a meeting, an initiative, a
# dialogue, by the reference it holds), if the caller knows it.
Names = Callable[[str], str | None]


class Said(Mapping[str, Any]):
    """An event's state as a sentence reads it: its fields, and by `name`
    the names of the records it refers to by reference, as people know
    them (a meeting by its body and date), else the reference."""

    def __init__(self, state: Mapping[str, Any], names: Names | None = None) -> None:
        self._state, self._names = state, names

    def __getitem__(self, field: str) -> Any:
        return self._state[field]

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)

    def name(self, field: str, otherwise: str, limit: int = QUOTED) -> str:
        """What `field` refers to by its name, else by its reference said
        `otherwise` ("Meeting {}")."""
        named = self._names(field) if self._names else None
        return cut(named, limit) if named else otherwise.format(cut(self._state[field], limit))


def overdue_by(due_on: date, today: date) -> int:
    return (today - due_on).days
