"""What a delivery says, made from the record: the task or dispatch as the
event that asked for the delivery left it (so a delivery sent again says
the same), as a report, whose text and HTML come from the report code that
writes the outbox's files and the reports people print."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.delivery import Delivery
from domain.dispatch import Dispatch
from domain.task import FollowUpTask
from workflows.application import Accord
from workflows.delivery.message import Attachment, Message, Uncomposable
from workflows.escape.filenames import file_part
from workflows.reports import Report, render
from workflows.reports.html import page, report_body, report_html


@dataclass(frozen=True)
class Part:
    """What one delivery says: its report, written as text (Markdown) and
    as the body of an HTML page, its attachments, and the JSON a webhook
    carries of it."""

    delivery: Delivery
    report: Report
    text: str
    body: list[str]
    attachments: tuple[Attachment, ...]
    payload: dict[str, Any]

    @property
    def message(self) -> Message:
        """The part as a message of its own, its id the delivery's."""
        delivery = self.delivery
        return Message(
            id=str(delivery.id),
            event_type=f"accord.{delivery.about}",
            subject=self.report.title,
            text=self.text,
            html=page(self.report.title, self.body),
            attachments=self.attachments,
            payload={"delivery": str(delivery.id), "about": delivery.about, "owner": delivery.owner, **self.payload},
            deliveries=(str(delivery.id),),
        )


def message_of(app: Accord, delivery: Delivery) -> Message:
    """The message a delivery carries; its id is the delivery's, the
    identity a receiver deduplicates on."""
    return part_of(app, delivery).message


def part_of(app: Accord, delivery: Delivery) -> Part:
    """What a delivery says. Uncomposable (a dead letter) when it cannot be
    made of what its source holds; an error of the store, reading the
    source, is raised as it is (the pass fails, and the delivery waits for
    the next)."""
    source = app.from_log(delivery.source, delivery.source_version)
    try:
        return _part(delivery, source)
    except Exception as error:  # whatever it was, the same source will fail the same way
        raise Uncomposable("the message", error) from error


def _part(delivery: Delivery, source: Any) -> Part:
    if isinstance(source, Dispatch):
        report = Report.from_dict(source.content)
        payload: dict[str, Any] = {"dispatch": _dispatch(source), "report": source.content}
    else:
        assert isinstance(source, FollowUpTask)
        report = _task_report(delivery, source)
        payload = {"task": _task(source)}
    attachments: tuple[Attachment, ...] = ()
    if isinstance(source, Dispatch) and source.kind == "briefing":
        name = f"briefing-{file_part(source.recipient)}.html"
        attachments = (Attachment(name, report_html(report).encode(), "text/html"),)
    if isinstance(source, Dispatch) and source.kind == "seal":
        # The seal file itself, as `audit seal --json` writes it, for `audit check-seal`.
        sealed = json.dumps(source.content["seal"], indent=2) + "\n"
        attachments = (Attachment(f"seal-{file_part(source.period)}.json", sealed.encode(), "application/json"),)
        payload["seal"] = source.content["seal"]
    # Written now, so that a part that cannot be fails as itself, not the message it would join.
    return Part(delivery, report, render(report, "md"), report_body(report), attachments, payload)


def _task_report(delivery: Delivery, task: FollowUpTask) -> Report:
    """A reminder or an escalation as a short report: what is due, for whom, when."""
    if delivery.about == "reminder":
        title = f"Reminder: {task.title}"
        said = f"This task of {task.owner} is due on {task.due_on.isoformat()}."
    else:
        title = f"Overdue (escalation level {task.level}): {task.title}"
        said = f"This task of {task.owner} was due on {task.due_on.isoformat()} and is not done."
    figures: dict[str, Any] = {"due on": task.due_on.isoformat(), "owner": task.owner}
    if task.partner:
        figures["partner"] = task.partner
    if delivery.about == "escalation":
        figures["level"] = task.level
    figures["task"] = str(task.id)
    return Report(title, said, figures, [])


def _task(task: FollowUpTask) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "title": task.title,
        "owner": task.owner,
        "partner": task.partner,
        "due_on": task.due_on.isoformat(),
        "level": task.level,
        "rule": task.rule,
    }


def _dispatch(dispatch: Dispatch) -> dict[str, Any]:
    return {
        "id": str(dispatch.id),
        "kind": dispatch.kind,
        "recipient": dispatch.recipient,
        "period": dispatch.period,
        "title": dispatch.title,
    }
