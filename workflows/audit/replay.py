"""Replays for an auditor: the record as it stood, in a throw-away store in
memory, never touching the real store or its projections.

Two different questions:

- `as_of(date)`: what had *happened* by that date. Every fact whose date
  had certainly passed by then (its last possible day: a fact dated only
  "2021-05" counts from 31 May), as recorded now, every correction and
  retraction of it included (whenever recorded), with the follow-up tasks
  the rules open for them. People's later changes to tasks are not facts of
  that date and are left out. Proposals, approvals, rejections and
  delegations (domain.approval) are acts dated by when they were recorded:
  those of that day or before are in.
- `known_at(moment)`: what had been *recorded* by that moment, i.e. what
  Accord showed that day: every event stored by then, the tasks and their
  changes included, exactly as stored; a fact corrected later shows its
  old values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.amendments import Amendment, fixes
from domain.approval import Delegation, ProposalEvent
from domain.base import Fact
from domain.values import event_date
from domain.vocabulary import amendment_classes
from workflows.application.clock import shown_moment
from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.base.failures import BadInput
from workflows.config.settings import Settings
from workflows.projections.tasks.queries import TaskFilter
from workflows.reports import Report, Table
from workflows.reports.funding import funding_report
from workflows.reports.partnership import partnership_report, portfolio_report

# Events are copied into the replay in transactions of this many.
COPY = 10_000
# The four-eyes circuit's acts (domain.approval): they happen when recorded.
ACTS = (ProposalEvent, Delegation.DelegationGranted, Delegation.DelegationRevoked)


@contextmanager
def record_at(
    app: Accord, settings: Settings, *, as_of: date | None = None, known_at: datetime | None = None
) -> Iterator[tuple[Accord, date, str]]:
    """What a report reads, the business day it judges "overdue" on, and
    what the record stands for: the store as it is now (caught up first), on
    today's date; as of a date, a replay of what had happened by then, on
    that date; or as known at a moment, a replay of what had been recorded
    by then, on that moment's date. A replay is dropped on leaving."""
    if as_of and known_at:
        raise BadInput("give --as-of or --known-at, not both: they answer different questions")
    if as_of and as_of > app.clock.today():
        raise BadInput(
            f"--as-of {as_of} is after today ({app.clock.today()}): a replay shows what had happened by a day, "
            "and the record holds nothing that happens later"
        )
    if known_at and known_at > app.clock.now():
        raise BadInput(
            f"--known-at {known_at.astimezone(app.clock.zone).isoformat(timespec='minutes')} is in the future: "
            "a replay shows what had been recorded by a moment that has passed"
        )
    if not (as_of or known_at):
        app.refresh()
        yield app, app.clock.today(), "now"
        return
    if as_of:
        replayed, today = _as_of(app, as_of, settings), as_of
        said = f"as of {today.isoformat()} (what had happened by then)"
    else:
        assert known_at is not None
        replayed, today = _known_at(app, known_at, settings), app.clock.day(known_at)
        said = f"as known at {shown_moment(known_at)} (what had been recorded by then)"
    try:
        yield replayed, today, said
    finally:
        replayed.close()


def _as_of(app: Accord, day: date, settings: Settings) -> Accord:
    """A replay of every fact that had happened by the end of `day`, by its
    date as corrected since, with every amendment of those facts: what is
    now known of that day."""
    found = fixes(app.events_of_types(amendment_classes()))
    chosen: set[tuple[UUID, str]] = set()

    def happened(cls: type[Any], state: dict[str, Any], originator: UUID) -> bool:
        if issubclass(cls, Amendment):
            return (originator, state["target"]) in chosen
        if issubclass(cls, ACTS):
            # A proposal, an approval, a rejection or a delegation has no date
            # of its own: it happened on the business day it was recorded.
            return app.clock.day(datetime.fromisoformat(state["timestamp"])) <= day
        if not issubclass(cls, Fact):
            return False
        fix = found.get((originator, state["key"]))
        occurred_on = (fix.changes or {}).get("occurred_on", state["occurred_on"]) if fix else state["occurred_on"]
        if event_date(occurred_on).latest > day:
            return False
        chosen.add((originator, state["key"]))
        return True

    return _replay(app, happened, settings, follow=True)


def _known_at(app: Accord, moment: datetime, settings: Settings) -> Accord:
    """A replay of every event recorded by `moment`."""
    moment = moment.astimezone(UTC)

    def recorded(cls: type[Any], state: dict[str, Any], originator: UUID) -> bool:
        return datetime.fromisoformat(state["timestamp"]) <= moment

    # The tasks are as recorded by then too: the follower does not run again.
    return _replay(app, recorded, settings, follow=False)


# Whether a replay takes an event: its class, its stored state, its aggregate.
Include = Callable[[type[Any], dict[str, Any], UUID], bool]


def _replay(app: Accord, include: Include, settings: Settings, *, follow: bool) -> Accord:
    """A fresh application in memory holding the chosen events, in the order
    they were recorded, each aggregate's versions numbered afresh (a fact
    left out leaves no gap), then caught up: tasks opened (if `follow`), views built."""
    memory = f"file:accord-replay-{uuid.uuid4().hex}?mode=memory&cache=shared"
    # The same rules, targets and cipher key: the records are copied as stored.
    replay = build(settings.model_copy(update={"db": memory}), init=True)
    batch: list[StoredEvent] = []
    for stored in _chosen(app, include):
        batch.append(stored)
        if len(batch) >= COPY:
            replay.recorder.insert_events(batch)
            batch.clear()
    if batch:
        replay.recorder.insert_events(batch)
    if follow:
        replay.refresh()
    else:
        replay.views.catch_up()
    return replay


def _chosen(app: Accord, include: Include) -> Iterator[StoredEvent]:
    mapper: Any = app.mapper
    versions: dict[UUID | str, int] = {}
    for notification in app.notifications():
        cls, state = mapper.to_state(notification)
        originator = notification.originator_id
        if not include(cls, state, originator):
            continue
        if originator not in versions and "originator_topic" not in state:
            continue  # its first event is left out: the aggregate did not exist yet
        versions[originator] = versions.get(originator, 0) + 1
        yield StoredEvent(originator, versions[originator], notification.topic, notification.state)


def record_report(
    replay: Accord, today: date, heading: str, *, partner: str | None = None, target: Decimal | None = None
) -> Report:
    """The portfolio, funding, open tasks (and one partnership, if asked) of
    a replay, as one report: one document for the auditor's file."""
    parts = [portfolio_report(replay, today), funding_report(replay, today, target=target)]
    if partner:
        parts.append(partnership_report(replay, partner, today=today))
    tasks = [
        {
            "task": row["task_id"][:8],
            "due_on": row["due_on"],
            "state": "OVERDUE" if row["overdue"] else row["status"],
            "for": row["partner"] or row["subject"],
            "owner": row["owner"],
            "title": row["title"],
        }
        for row in replay.reader.tasks.tasks(TaskFilter(today))
    ]
    figures: dict[str, Any] = {}
    tables = []
    for part in parts:
        figures.update({f"{part.title}: {label}": value for label, value in part.figures.items()})
        tables += [Table(f"{part.title}: {table.title}", table.columns, table.rows) for table in part.tables]
    tables.append(Table("Open tasks", ["task", "due_on", "state", "for", "owner", "title"], tasks))
    return Report(
        heading, f"Rebuilt in memory from the log; overdue is judged on {today.isoformat()}.", figures, tables
    )
