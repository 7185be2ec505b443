"""A task in words: where it stands (open, overdue, done), and the fact it
follows up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from workflows.sentences.names import meeting_name
from workflows.sentences.records import outcome
from workflows.sentences.words import as_of, country, cut, day, days, words_of


def task_state(task: Mapping[str, Any], today: date) -> str:
    """ "Overdue by 12 days (due 1 March 2021)", "Open, due in 3 days (17
    March 2021)", "Done on 2 March 2021"..."""
    status, due_on = task["status"], str(task["due_on"])
    if status == "open":
        ahead = (date.fromisoformat(due_on) - today).days
        level = f", escalated to level {task['level']}" if task.get("level") else ""
        if ahead < 0:
            return f"Overdue by {days(-ahead)} (due {day(due_on)}){level}"
        when = "today" if ahead == 0 else f"in {days(ahead)}"
        return f"Open, due {when} ({day(due_on)}){level}"
    return f"{'Done' if status == 'done' else 'Cancelled'} on {day(task.get('closed_at'))}"


def followed(task: Mapping[str, Any], fact: Mapping[str, Any] | None) -> str:
    """The fact a task follows up, as the timeline holds it (its summary
    and the date it happened), if it does."""
    if fact is None:
        return unseen_source(task)
    return f"{fact['summary']} ({day(fact['occurred_on'])})"


def unseen_source(task: Mapping[str, Any]) -> str:
    """The fact a task follows up, when the views do not hold it (retracted,
    or on a meeting or instrument of no partner): said by its kind."""
    on = country(task["partner"]) if task.get("partner") else cut(task["subject"], 60)
    return f"A {words_of(str(task['source_type']))} on {on}, which the timeline does not show"


def concerning(task: Mapping[str, Any], meeting: Mapping[str, Any] | None) -> str:
    """What a task is for: its partner by name, or the meeting it concerns
    (as the meetings view holds it, if it does), or its subject."""
    if task.get("partner"):
        return country(task["partner"])
    if meeting is not None:
        return meeting_name(meeting["body"], meeting["held_on"])
    return str(task["subject"])


def task_lines(
    task: Mapping[str, Any],
    today: date,
    follows: str,
    concerns: str,
    basis: str | None = None,
    zone: tzinfo = UTC,
) -> list[tuple[str, str]]:
    """A task as a page says it, line by line: each line's label and its
    words (`follows`: the sentence of the fact it follows up; `concerns`:
    what it is for; `basis`: how its due date was set, if not as the rule
    set it (why_due); moments in `zone`)."""
    lines = [
        ("task id", str(task["task_id"])),
        ("title", str(task["title"])),
        ("status", task_state(task, today)),
        ("for", concerns),
        ("owner", str(task["owner"])),
        ("follows up", follows),
        ("rule", str(task["rule"])),
        ("basis", task["basis"] if basis is None else basis),
        ("opened", as_of(task["opened_at"], zone)),
    ]
    if task.get("reminded_on"):
        lines.append(("reminded", day(task["reminded_on"])))
    if task.get("closed_at"):
        lines.append(("closed", as_of(task["closed_at"], zone)))
    if task.get("outcome"):
        lines.append(("outcome", outcome(task["outcome"])))
    return lines


def why_due(changes: Sequence[Mapping[str, Any]], zone: tzinfo) -> str:
    """How a task's due date as it stands was set, from its events in order
    (each its stored state, its type under "type"): the rule's basis as last
    revised, or the deferral that moved it since, by whom, when (the day in
    `zone`) and why, with the date the rule had set."""
    basis, ruled = "", ""
    deferrals: list[Mapping[str, Any]] = []
    for change in changes:
        if change["type"] in ("TaskOpened", "TaskRevised"):
            basis, ruled, deferrals = str(change.get("basis") or ""), str(change["due_on"]), []
        elif change["type"] == "TaskDeferred":
            deferrals.append(change)
    if not deferrals:
        return basis
    last = deferrals[-1]
    on = datetime.fromisoformat(str(last["timestamp"])).astimezone(zone).date()
    times = f" (deferred {len(deferrals)} times)" if len(deferrals) > 1 else ""
    return (
        f"deferred to {day(last['due_on'])} by {cut(last.get('actor') or 'someone', 60)} on {day(on)}: "
        f"{cut(last['reason'])}{times}; the rule had set {day(ruled)} ({basis or 'no basis recorded'})"
    )
