"""What each page shows, read through the application as the command line
reads it: the same reports (their HTML parts, every text escaped by the
report code), the same task list, the same audit log. Each function takes
the record a page stands for (now, as of a date, as known at a moment) and
gives its template's values."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime, tzinfo
from decimal import Decimal
from itertools import islice
from typing import Any
from uuid import UUID

from markupsafe import Markup

from workflows.application.reader import TaskFilter
from workflows.application.reads import NoFactThere
from workflows.application.service import Accord
from workflows.audit.log import FACTS, SLACK, audit_rows, event_at, first_stamped, recorded_between
from workflows.reports import Report, Table
from workflows.reports.briefing import briefing_report, held
from workflows.reports.charts import funding_figure
from workflows.reports.funding import funding_report
from workflows.reports.html import partnership_body, portfolio_body, report_body
from workflows.reports.partnership import partnership_report, portfolio_report
from workflows.sentences.words import country, day
from workflows.web.moments import NotAMoment

# Rows of the task list and the audit log a page shows; the next page follows.
PAGE = 100
TASK_STATUSES = ("open", "overdue", "done", "cancelled", "all")


def _html(parts: list[str]) -> Markup:
    # The report code escapes every text it writes (workflows.reports.html).
    return Markup("\n".join(parts))


def portfolio(
    app: Accord, today: date, target: Decimal | None, partner_page: Callable[[str], str], into: str | None = None
) -> dict[str, Any]:
    """The portfolio's figures, charts and overview, the funding in one
    currency if asked (`into`); each partnership is a page of its own."""
    report = portfolio_report(app, today, into=into)
    return {"title": report.title, "body": _html(portfolio_body(app, report, today, target, partner_page))}


def partner(app: Accord, today: date, code: str, into: str | None = None) -> dict[str, Any]:
    report = _capped(partnership_report(app, code, today=today, into=into), "report partnership " + code)
    return {"title": report.title, "body": _html(partnership_body(app, report, code, today))}


def funding(app: Accord, today: date, target: Decimal | None, into: str | None = None) -> dict[str, Any]:
    report = funding_report(app, today, target=target, into=into)
    # The chart drawn from every row; the tables cut.
    return {
        "title": report.title,
        "body": _html(report_body(_capped(report, "report funding"), [funding_figure(report)])),
    }


def briefing(app: Accord, today: date, meeting: str) -> dict[str, Any]:
    report = _capped(briefing_report(app, meeting, today), "report briefing " + meeting)
    return {"title": report.title, "body": _html(report_body(report))}


# Rows of a report's table a page shows: a page stays light at any size of
# portfolio; the command line's report has them all.
TABLE_ROWS = 200


def _capped(report: Report, command: str) -> Report:
    """The report with each long table cut to its first TABLE_ROWS rows, its
    title saying so and where the rest is."""
    tables = [
        Table(
            f"{table.title} (the first {TABLE_ROWS:,} of {len(table.rows):,}: `accord {command} --format csv` "
            "has them all)",
            table.columns,
            table.rows[:TABLE_ROWS],
        )
        if len(table.rows) > TABLE_ROWS
        else table
        for table in report.tables
    ]
    return Report(report.title, report.subtitle, report.figures, tables)


def meetings(app: Accord, today: date) -> dict[str, Any]:
    rows = app.reader.meetings.meetings()
    for row in rows:
        row["held_said"] = held(row["held"], date.fromisoformat(row["held_on_last"]), today)
    return {"title": "Meetings", "meetings": rows}


def tasks(app: Accord, today: date, status: str, partner: str | None, owner: str | None, page: int) -> dict[str, Any]:
    if status not in TASK_STATUSES:
        status = "open"
    which = TaskFilter(today, status=status, partner=partner or None, owner=owner or None)
    rows = list(islice(app.reader.tasks.tasks(which), page * PAGE, (page + 1) * PAGE + 1))
    return {
        "title": "Tasks",
        "tasks": rows[:PAGE],
        "more": len(rows) > PAGE,
        "page": page,
        "status": status,
        "statuses": TASK_STATUSES,
        "partner": partner or "",
        "owner": owner or "",
        "owners": app.reader.tasks.owners(),
        "partners": [row["code"] for row in app.reader.partnerships.partners()],
        "named": named(app),
        "today": today,
    }


def named(app: Accord) -> dict[str, str]:
    """What a task is for, by name: each partner (by its code), meeting and
    initiative (by its reference)."""
    reader = app.reader
    names = {row["code"]: row["name"] or country(row["code"]) for row in reader.partnerships.partners()}
    names.update((row["meeting"], f"{row['body']}, {day(row['held_on'])}") for row in reader.meetings.meetings())
    names.update((row["ref"], row["name"]) for row in reader.timeline.named("initiative"))
    return names


def audit(
    app: Accord, zone: tzinfo, *, after: int, partner: str | None, type_name: str | None, until: datetime | None
) -> dict[str, Any]:
    """A page of the audit log, said as the command line's table says it."""
    found = audit_rows(app, partner or None, type_name or None, until=until, start=after + 1, zone=zone)
    rows = list(islice(found, PAGE + 1))
    return {
        "title": "Audit log",
        "rows": rows[:PAGE],
        "next": rows[PAGE - 1]["position"] if len(rows) > PAGE else None,
        "after": after,
        "partner": partner or "",
        "type": type_name or "",
    }


def event(app: Accord, zone: tzinfo, position: int) -> dict[str, Any]:
    """A record of the log; a fact people recorded says whether it stands
    (it may then be corrected or retracted) or was retracted."""
    row, document, digest = event_at(app, position, zone)
    standing = None
    with suppress(NoFactThere):  # what Accord records itself, or an amendment: neither is amended here
        standing = "standing" if app.fact_standing(position)[1] is not None else "retracted"
    values = {"row": row, "document": document, "digest": digest, "standing": standing}
    # The row says its type in words: the class names it for the proposal's events.
    proposal = proposal_state(app, type(app.event_at(position)).__name__, document, zone)
    return {"title": f"Event at position {position}", **values, "proposal": proposal}


def proposal_state(app: Accord, type_name: str, document: dict[str, Any], zone: tzinfo) -> dict[str, Any] | None:
    """The proposal a record of the log is part of (a proposal, its
    approval or rejection), or that its fact was approved from: where it
    stands, for the record's page. None for any other record."""
    from workflows.web.approvals import state_of

    originator, key = document.get("originator_id"), str(document.get("key") or "")
    if originator is None:
        return None
    on_proposal = type_name in ("FactProposed", "FactApproved", "FactRejected")
    return state_of(app, UUID(str(originator)), key, zone, on_proposal)


def task(app: Accord, today: date, ref: str, zone: tzinfo) -> dict[str, Any]:
    """A task in words, and its story: what happened to it, and the messages about it."""
    row = app.reader.tasks.task(ref, today=today)
    lines = app.reader.task_in_words(row, today, zone)
    story = app.task_story(row["task_id"], zone)
    source = app.source_position(str(row["source"]))
    return {
        "title": f"Task {row['task_id'][:8]}",
        "task": row,
        "lines": lines,
        "story": story,
        "source": source,
        "owners": owners(app),
    }


def owners(app: Accord) -> list[str]:
    """Whom a task may be given to, to pick from: the owners tasks have,
    and the policy's roles and the people in them."""
    known = set(app.reader.tasks.owners())
    if app.policy is not None:
        known.update(app.policy.roles)
        known.update(actor for actors in app.policy.roles.values() for actor in actors)
    return sorted(known)


def may_change(app: Accord, user: str | None) -> bool:
    """Whether a user may change tasks here: one the policy gives a role
    (which event types each role may record, it says too). Without a
    policy, or a user, the console reads."""
    policy = app.policy
    return user is not None and policy is not None and any(user in actors for actors in policy.roles.values())


# What the page of changes between two moments groups, by event type, in order.
CHANGES = (
    ("Facts recorded", None),
    ("Facts corrected", ("FactCorrected",)),
    ("Facts retracted", ("FactRetracted",)),
    (
        "Funding moved",
        ("FundingCommitted", "FundingIncreased", "FundingDisbursed", "FundingDecommitted", "FundingEnvelopeSet"),
    ),
    ("Tasks opened", ("TaskOpened",)),
    ("Tasks closed", ("TaskCompleted", "TaskCancelled")),
    ("Tasks changed", ("TaskAssigned", "TaskDeferred", "TaskRevised", "ReminderSent", "TaskEscalated")),
)


def changes(app: Accord, zone: tzinfo, since: datetime, until: datetime) -> dict[str, Any]:
    """What was recorded between two moments, grouped: facts recorded,
    corrected and retracted, funding moved, tasks opened, closed and changed
    (deliveries and dispatches are in the audit log); each group counted in
    full and its first PAGE rows shown."""
    if since >= until:
        raise NotAMoment("the first moment must come before the second")
    start, counts = recorded_between(app, since, until)
    stop = first_stamped(app, until + SLACK) - 1
    named = {name for _, names in CHANGES if names for name in names}
    groups = []
    for title, names in CHANGES:
        types = names or tuple(name for name in FACTS if name not in named)
        rows = audit_rows(app, since=since, until=until, start=start, stop=stop, types=types, zone=zone)
        groups.append((title, sum(counts[name] for name in types), list(islice(rows, PAGE))))
    return {"title": "What changed", "groups": groups, "count": sum(count for _, count, _ in groups)}
