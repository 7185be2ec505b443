"""What a delivery says, made from the record: the task or dispatch as the
event that asked for the delivery left it (so a delivery sent again says
the same), as a report, whose text and HTML come from the report code that
writes the outbox's files and the reports people print."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.delivery import Delivery
from domain.dispatch import Dispatch
from domain.task import FollowUpTask
from workflows.application.service import Accord
from workflows.delivery.message import Attachment, Message, Uncomposable
from workflows.escape.filenames import file_part
from workflows.reports import Link, Report, Table, render
from workflows.reports.html import page, report_body, report_html
from workflows.sentences.words import country, day

# The address of a task's page in the web console, by its id (or a prefix of it).
TaskPage = Callable[[str], str]


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


def message_of(app: Accord, delivery: Delivery, linked_to: TaskPage | None = None) -> Message:
    """The message a delivery carries; its id is the delivery's, the
    identity a receiver deduplicates on."""
    return part_of(app, delivery, linked_to).message


def part_of(app: Accord, delivery: Delivery, linked_to: TaskPage | None = None) -> Part:
    """What a delivery says, each task it names linked to its page by `linked_to` if
    given. Uncomposable (a dead letter) when it cannot be made of what its
    source holds; an error of the store, reading the source, is raised as
    it is (the pass fails, and the delivery waits for the next)."""
    source = app.from_log(delivery.source, delivery.source_version)
    try:
        return _part(delivery, source, linked_to)
    except Exception as error:  # whatever it was, the same source will fail the same way
        raise Uncomposable("the message", error) from error


def _part(delivery: Delivery, source: Any, linked_to: TaskPage | None) -> Part:
    if isinstance(source, Dispatch):
        report = Report.from_dict(source.content)
        if source.kind == "digest":
            report.tables = [_dated(table) for table in report.tables]
        if source.kind == "digest" and linked_to is not None:
            report.tables = [_linked(table, linked_to) for table in report.tables]
        payload: dict[str, Any] = {"dispatch": _dispatch(source), "report": source.content}
    else:
        assert isinstance(source, FollowUpTask)
        report = _task_report(delivery, source, linked_to)
        payload = {"task": _task(source, linked_to)}
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


def _dated(table: Table) -> Table:
    """A digest's table of tasks with the dates they are due as people
    write them (the digest as issued keeps them as machines read them)."""
    if "due_on" not in table.columns:
        return table
    return Table(table.title, table.columns, [{**row, "due_on": day(row["due_on"])} for row in table.rows])


def _linked(table: Table, linked_to: TaskPage) -> Table:
    """A digest's table of tasks, each linked to its page: by the task's id
    (a digest issued before its rows held it: by the prefix it shows)."""
    if "task" not in table.columns:
        return table
    rows = [
        {**row, "page": Link(str(row["task"]), linked_to(str(row.get("task_id", row["task"]))))} for row in table.rows
    ]
    return Table(table.title, [*table.columns, "page"], rows)


def _task_report(delivery: Delivery, task: FollowUpTask, linked_to: TaskPage | None) -> Report:
    """A reminder or an escalation as a short report: what is due, for whom, when."""
    due_on = day(task.due_on.isoformat())
    if delivery.about == "reminder":
        title = f"Reminder: {task.title}"
        said = f"This task of {task.owner} is due on {due_on}."
    else:
        title = f"Overdue (escalation level {task.level}): {task.title}"
        said = f"This task of {task.owner} was due on {due_on} and is not done."
    figures: dict[str, Any] = {"due on": due_on, "owner": task.owner}
    if task.partner:
        figures["partner"] = country(task.partner)
    if delivery.about == "escalation":
        figures["level"] = task.level
    # As the command line shows it, and takes it: `accord task show 134d84ed`.
    figures["task"] = str(task.id)[:8]
    if linked_to is not None:
        figures["page"] = Link("open the task", linked_to(str(task.id)))
    return Report(title, said, figures, [])


def _task(task: FollowUpTask, linked_to: TaskPage | None) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "title": task.title,
        "owner": task.owner,
        "partner": task.partner,
        "due_on": task.due_on.isoformat(),
        "level": task.level,
        "rule": task.rule,
        **({"page": linked_to(str(task.id))} if linked_to else {}),
    }


def _dispatch(dispatch: Dispatch) -> dict[str, Any]:
    return {
        "id": str(dispatch.id),
        "kind": dispatch.kind,
        "recipient": dispatch.recipient,
        "period": dispatch.period,
        "title": dispatch.title,
    }
