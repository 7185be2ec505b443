"""iCalendar (RFC 5545): open tasks as to-dos due on their dates, meetings
as all-day events; stable UIDs, so a calendar that imports the file again
updates its entries instead of doubling them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.codes import partner_code
from workflows.application.reader import TaskFilter

if TYPE_CHECKING:
    from workflows.application.clock import Clock
    from workflows.application.reader import Reader

PRODID = "-//Accord//Partnership follow-up//EN"


@dataclass(frozen=True)
class Deadlines:
    """A calendar, and how many tasks and meetings it holds."""

    text: str
    tasks: int
    meetings: int


def deadlines(reader: Reader, clock: Clock, *, owner: str | None = None, partner: str | None = None) -> Deadlines:
    """The open tasks (an owner's, a partnership's, or all) due on their
    dates, and the meetings not yet held (naming the partner, if one), as of
    now. An owner's calendar holds its tasks alone."""
    tasks = list(reader.tasks.tasks(TaskFilter(clock.today(), partner=partner, owner=owner)))
    meetings = [] if owner else reader.meetings.meetings(held=False, partner=partner_code(partner) if partner else None)
    return Deadlines(calendar(tasks, meetings, clock.now()), len(tasks), len(meetings))


def calendar(tasks: Iterable[dict[str, Any]], meetings: Iterable[dict[str, Any]], now: datetime) -> str:
    """The VCALENDAR text, lines folded and ended with CRLF as RFC 5545 says."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    for task in tasks:
        lines += [
            "BEGIN:VTODO",
            f"UID:task-{task['task_id']}@accord",
            f"DTSTAMP:{stamp}",
            f"SUMMARY:{_text(task['title'])}",
            f"DUE;VALUE=DATE:{_day(task['due_on'])}",
            "STATUS:NEEDS-ACTION",
            f"CATEGORIES:{_text(task['owner'])}",
            f"DESCRIPTION:{_text(_description(task))}",
            f"X-ACCORD-TASK:{task['task_id']}",
            "END:VTODO",
        ]
    for meeting in meetings:
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{_text(meeting['meeting'])}@accord",
            f"DTSTAMP:{stamp}",
            f"SUMMARY:{_text(meeting['body'] + (': ' + meeting['title'] if meeting['title'] else ''))}",
            # A meeting known only to the month or year spans all of it (to
            # the day after its last, where an all-day span ends).
            f"DTSTART;VALUE=DATE:{_day(meeting['held_on_first'])}",
            f"DTEND;VALUE=DATE:{_day(meeting['held_on_last'], after=1)}",
            f"DESCRIPTION:{_text(_agenda(meeting))}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _description(task: dict[str, Any]) -> str:
    about, task_id = task["partner"] or task["subject"], task["task_id"]
    return f"For {about}, owner {task['owner']}. {task['basis']}. Accord task {task_id}: accord task show {task_id[:8]}"


def _agenda(meeting: dict[str, Any]) -> str:
    partners = meeting["partners"].replace(",", ", ") or "none named"
    ref = meeting["meeting"]
    when = meeting["held_on"]
    return f"Meeting {ref} ({when}); partners on the agenda: {partners}. Briefing: accord report briefing {ref}"


def _day(text: str, after: int = 0) -> str:
    return (date.fromisoformat(text) + timedelta(days=after)).strftime("%Y%m%d")


# Line breaks, each written as the two characters `\n` (RFC 5545 3.3.11).
_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
# What a TEXT value cannot hold (its CONTROL: C0 but tab, and DEL), the C1
# controls, and lone surrogates (no encoding carries them): removed.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def _text(value: str) -> str:
    """TEXT escaped as RFC 5545 section 3.3.11 says (backslash, semicolon,
    comma and line breaks), any other control character removed; whatever
    the record holds, the value stays on its property's line, which `_fold`
    folds at 75 octets."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _CONTROL.sub("", _BREAK.sub("\\\\n", escaped))


def _fold(line: str) -> str:
    """Lines longer than 75 octets folded (CRLF and a space), never inside a character."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # a UTF-8 continuation byte: cut before its character
        parts.append(data[start:end].decode())
        start, limit = end, 74  # continuation lines start with a space
    return "\r\n ".join(parts)
