"""The briefing for a meeting: when it is, the partners on its agenda, each
partner's latest facts, and what is still open with each of them."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.meeting import Meeting
from domain.partnership import Partnership
from workflows.application.service import Accord
from workflows.projections.tasks.queries import TaskFilter
from workflows.reports.model import Report, Table

# How many of each partner's latest facts a briefing shows, and what of them.
LATEST = 5
FACT_COLUMNS = ["occurred_on", "type", "summary"]
OPEN_COLUMNS = ["partner", "item", "ref", "what", "due_on", "who", "overdue"]


def briefing_report(app: Accord, meeting: str, today: date) -> Report:
    """Built from the read models as they stand: call app.refresh() first."""
    row = meeting_row(app, meeting)
    codes = row["partners"].split(",") if row["partners"] else []
    partnerships = {code: app.partnership(code) for code in codes}
    first, last = date.fromisoformat(row["held_on_first"]), date.fromisoformat(row["held_on_last"])
    # What had happened by the meeting: a past meeting's briefing is the one
    # its participants read, not a summary of what came after.
    facts = app.reader.timeline.latest(codes, LATEST, until=last)
    figures: dict[str, Any] = {
        "meeting": row["meeting"],
        "when": row["held_on"],
        "partners on the agenda": [f"{p.name} ({code})" for code, p in partnerships.items()],
        "held": held(row["held"], last, today),
    }
    if last < today:
        figures["days since the meeting"] = (today - last).days
    else:
        figures["days until the meeting"] = max((first - today).days, 0)
    if row["outcome"]:
        figures["outcome"] = row["outcome"]
    latest = "latest facts" if last >= today else f"latest facts by {row['held_on']}"
    tables = [Table(f"{p.name} ({code}): {latest}", FACT_COLUMNS, facts[code]) for code, p in partnerships.items()]
    tables.append(Table("Open items", OPEN_COLUMNS, open_items(app, row["meeting"], partnerships, today)))
    about = f"(meeting {row['meeting']}, scheduled on {row['scheduled_on']})"
    subtitle = f"{row['title']} {about}" if row["title"] else about
    return Report(f"Briefing: {row['body']}, {row['held_on']}", subtitle, figures, tables)


def held(recorded: bool, last: date, today: date) -> str:
    """Whether the meeting was held, as the record says: held is a
    MeetingHeld recorded (with its outcome); a meeting whose date has passed
    without one is past, and not said to be unheld."""
    if recorded:
        return "yes"
    if last < today:
        return "its date has passed; not recorded as held (record MeetingHeld with its outcome)"
    return "not yet"


def meeting_row(app: Accord, meeting: str) -> dict[str, Any]:
    """The meeting's row; refs name one meeting whatever their case, as in the domain."""
    row = app.reader.meetings.meeting(meeting)
    if row is None:
        raise Meeting.not_started(meeting.strip())
    return row


def open_items(app: Accord, meeting: str, partnerships: dict[str, Partnership], today: date) -> list[dict[str, Any]]:
    """The meeting's own open tasks (its briefing, say), then each partner's
    open tasks and open commitments, in agenda order."""
    own = app.reader.tasks.tasks(TaskFilter(today, subject=meeting))
    items = [_task("", task) for task in own if task["partner"] is None]
    for code, partnership in partnerships.items():
        items += [_task(code, task) for task in app.reader.tasks.tasks(TaskFilter(today, partner=code))]
        for ref, commitment in partnership.commitments.items():
            if commitment.status != "open":
                continue
            due = commitment.due_on
            overdue = due is not None and due.latest < today
            items.append(
                _item(code, "commitment", ref, commitment.description, str(due or ""), commitment.party, overdue)
            )
    return items


def _task(partner: str, task: dict[str, Any]) -> dict[str, Any]:
    return _item(partner, "task", task["task_id"][:8], task["title"], task["due_on"], task["owner"], task["overdue"])


def _item(partner: str, item: str, ref: str, what: str, due_on: str, who: str, overdue: bool) -> dict[str, Any]:
    return {
        "partner": partner,
        "item": item,
        "ref": ref,
        "what": what,
        "due_on": due_on,
        "who": str(who),
        "overdue": "yes" if overdue else "no",
    }
