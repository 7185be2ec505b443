"""What each page shows, read through the application as the command line
reads it: the same reports (their HTML parts, every text escaped by the
report code), the same task list, the same audit log. Each function takes
the record a page stands for (now, as of a date, as known at a moment) and
gives its template's values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from markupsafe import Markup

from workflows.application import Accord
from workflows.audit_log import audit_rows, event_at
from workflows.reader import TaskFilter
from workflows.reports.briefing import briefing_report
from workflows.reports.funding import funding_report
from workflows.reports.html import funding_body, partnership_body, portfolio_body, report_body
from workflows.reports.partnership import partnership_report, portfolio_report
from workflows.web.moments import NotAMoment

# Rows of the task list and the audit log a page shows; the next page follows.
PAGE = 100
TASK_STATUSES = ("open", "overdue", "done", "cancelled", "all")


def _html(parts: list[str]) -> Markup:
    # The report code escapes every text it writes (workflows.reports.html).
    return Markup("\n".join(parts))


def portfolio(app: Accord, today: date, target: Decimal | None) -> dict[str, Any]:
    report = portfolio_report(app, today)
    return {"title": report.title, "body": _html(portfolio_body(app, report, today, target))}


def partner(app: Accord, today: date, code: str) -> dict[str, Any]:
    report = partnership_report(app, code, today=today)
    return {"title": report.title, "body": _html(partnership_body(app, report, code, today))}


def funding(app: Accord, today: date, target: Decimal | None) -> dict[str, Any]:
    report = funding_report(app, today, target=target)
    return {"title": report.title, "body": _html(funding_body(report))}


def briefing(app: Accord, today: date, meeting: str) -> dict[str, Any]:
    report = briefing_report(app, meeting, today)
    return {"title": report.title, "body": _html(report_body(report))}


def meetings(app: Accord) -> dict[str, Any]:
    rows = app.reader.meetings.meetings()
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
        "today": today,
    }


def audit(
    app: Accord, *, after: int, partner: str | None, type_name: str | None, until: datetime | None
) -> dict[str, Any]:
    rows = list(islice(audit_rows(app, partner or None, type_name or None, until=until, start=after + 1), PAGE + 1))
    return {
        "title": "Audit log",
        "rows": rows[:PAGE],
        "next": rows[PAGE - 1]["position"] if len(rows) > PAGE else None,
        "after": after,
        "partner": partner or "",
        "type": type_name or "",
    }


def event(app: Accord, position: int) -> dict[str, Any]:
    row, document, digest = event_at(app, position)
    return {"title": f"Event at position {position}", "row": row, "document": document, "digest": digest}


def task(app: Accord, today: date, ref: str) -> dict[str, Any]:
    row = app.reader.tasks.task(ref, today=today)
    return {"title": f"Task {row['task_id'][:8]}", "task": row}


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
    ("Funding moved", ("FundingCommitted", "FundingDisbursed", "FundingDecommitted", "FundingEnvelopeSet")),
    ("Tasks opened", ("TaskOpened",)),
    ("Tasks closed", ("TaskCompleted", "TaskCancelled")),
    ("Tasks changed", ("TaskAssigned", "TaskDeferred", "TaskRevised", "ReminderSent", "TaskEscalated")),
)


def changes(app: Accord, since: datetime, until: datetime) -> dict[str, Any]:
    """What was recorded between two moments, grouped: facts recorded,
    corrected and retracted, funding moved, tasks opened, closed and changed
    (deliveries and dispatches are in the audit log)."""
    if since >= until:
        raise NotAMoment("the first moment must come before the second")
    named = {name for _, names in CHANGES if names for name in names}
    groups: dict[str, list[dict[str, Any]]] = {title: [] for title, _ in CHANGES}
    for row in audit_rows(app, since=since, until=until):
        title = next((title for title, names in CHANGES if names and row["type"] in names), None)
        if title is None and row["type"] not in named and row["occurred_on"]:
            title = "Facts recorded"
        if title is not None:
            groups[title].append(row)
    return {"title": "What changed", "groups": groups, "count": sum(map(len, groups.values()))}
