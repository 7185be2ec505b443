"""The scheduler's work at one moment: remind owners of tasks coming due,
escalate overdue ones, issue the daily digests, the weekly portfolio report,
meeting briefings and the day's seal of the record.

Everything due is read from the projections at the moment asked; nothing is
kept as a job per task. Every effect is an event with a deterministic
identity (a reminder per task and due date, an escalation per task, level
and due date, a dispatch per kind, recipient and period), so a tick run
twice, a crash and restart, or two schedulers at once never record one twice,
and work missed while no scheduler ran is done once, as of now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from apscheduler.triggers.cron import CronTrigger

from domain.delivery import About
from domain.dispatch import Dispatch, Kind
from domain.errors import DomainError
from domain.task import FollowUpTask
from domain.values import Stamp
from workflows.application.service import Accord
from workflows.base.batches import collector_paused
from workflows.config.settings import Delivery, Schedule
from workflows.delivery.courier import Courier
from workflows.proofs.make import Unsealable
from workflows.reports import Report, Table
from workflows.reports.briefing import briefing_report
from workflows.reports.partnership import portfolio_report
from workflows.scheduler.outbox import Outbox
from workflows.scheduler.sealing import AUDITORS, append_sealed, seal_report
from workflows.sentences.words import day

log = logging.getLogger("accord.scheduler")

SCHEDULER = "scheduler"
# A digest lists an owner's overdue tasks and those due within this many days.
DIGEST_DAYS = 7
# Tasks are reminded and escalated in transactions of this many.
CHUNK = 500


@dataclass(frozen=True)
class Action:
    """One thing a tick does (or, in a dry run, would do)."""

    kind: str  # remind, escalate, digest, portfolio, briefing, seal, deliver
    target: str  # a task id, an owner, 'portfolio', a meeting or a delivery id
    detail: str
    level: int = 0

    def __str__(self) -> str:
        target = self.target[:8] if self.kind in ("remind", "escalate", "deliver") else self.target
        return f"{self.kind} {target}: {self.detail}"


@dataclass
class Tick:
    """What one tick found due and did."""

    at: datetime
    today: date
    done: list[Action] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _Issue:
    """A document due: its identity, and how to build it when it is issued."""

    kind: Kind
    recipient: str
    period: str
    build: Callable[[], Report]

    @property
    def id(self) -> UUID:
        return Dispatch.id_of(self.kind, self.recipient, self.period)


class Calendar:
    """The calendar jobs as APScheduler triggers: the runner schedules them,
    and a tick asks them which run fell due last."""

    def __init__(self, schedule: Schedule) -> None:
        at = schedule.digest_at
        self.digest = CronTrigger(hour=at.hour, minute=at.minute, timezone=schedule.zone)
        self.report = CronTrigger(
            day_of_week=schedule.report_day, hour=at.hour, minute=at.minute, timezone=schedule.zone
        )

    @staticmethod
    def last_run(trigger: CronTrigger, at: datetime, within: timedelta = timedelta(days=8)) -> datetime | None:
        """The latest moment the trigger fired at or before `at`."""
        fire = trigger.get_next_fire_time(None, at - within)
        latest = None
        while fire is not None and fire <= at:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return latest


class Watch:
    """The scheduler's use case over one application: `tick`, or a dry run of it."""

    def __init__(self, app: Accord, schedule: Schedule, delivery: Delivery | None = None) -> None:
        self.app = app
        self.schedule = schedule
        self.delivery = delivery or Delivery()
        self.calendar = Calendar(schedule)
        self.outbox = Outbox(app.views.db, Path(schedule.outbox), app.clock)
        # Read (and checked) now: a directory that cannot be used stops the scheduler at once.
        self.courier = Courier.of(app, self.delivery)

    def today(self, at: datetime) -> date:
        """The business date at a moment."""
        return self.app.clock.day(at)

    def tick(self, at: datetime, *, dry_run: bool = False) -> Tick:
        """Do everything due at `at` (a UTC moment) that is not done yet."""
        at = at.astimezone(UTC)
        # The directory as it is now: a person added or removed is told, or not, from this tick on.
        self.courier = Courier.of(self.app, self.delivery)
        self.app.refresh()
        tick = Tick(at, self.today(at))
        reminders, escalations = self._task_work(tick.today)
        issues = self._issues(at, tick.today)
        written = self.outbox.written(issue.id for issue in issues)
        issues = [issue for issue in issues if issue.id not in written]
        if dry_run:
            tick.done += reminders + escalations
            tick.done += [Action(i.kind, i.recipient, i.period) for i in issues if self.app.find(i.id) is None]
            tick.done += [
                Action("deliver", row["delivery_id"], f"{row['about']} to {row['owner']} by {row['channel']}")
                for row in self.courier.due(self.app.clock.now())
            ]
            return tick
        with collector_paused():
            tick.done += self._change_tasks(reminders, tick.today)
            tick.done += self._change_tasks(escalations, tick.today)
            # The digests are built from the task list as this tick left it: the levels it escalated to.
            self.app.refresh()
            for start in range(0, len(issues), CHUNK):
                actions, files = self._issue(issues[start : start + CHUNK])
                tick.done += actions
                tick.files += files
        # Sent as of the real moment, whatever moment the tick acts as of:
        # a delivery is due when it was requested, now.
        outcomes = self.courier.deliver(self.app.clock.now())
        tick.done += [Action("deliver", str(outcome.delivery), str(outcome)) for outcome in outcomes]
        return tick

    # Reminders and escalations.

    def _task_work(self, today: date) -> tuple[list[Action], list[Action]]:
        """Open tasks coming due and not reminded for this due date; overdue
        tasks below the level they should be at. Read from the task list:
        the queries select what FollowUpTask.reminder_due and escalation_due
        say, and each task is checked by them again as it is recorded."""
        tasks = self.app.reader.tasks
        soon = today + timedelta(days=self.schedule.remind_days)
        long_ago = today - timedelta(days=self.schedule.escalate_after)
        reminders = [
            Action("remind", row["task_id"], f"{row['title']} ({row['owner']}), due {row['due_on']}")
            for row in tasks.due_for_reminder(today, soon)
        ]
        escalations = []
        for row in tasks.due_for_escalation(today, long_ago):
            level = 2 if row["due_on"] <= long_ago.isoformat() else 1
            detail = f"{row['title']} ({row['owner']}), due {row['due_on']}: to level {level}"
            escalations.append(Action("escalate", row["task_id"], detail, level))
        return reminders, escalations

    def _change_tasks(self, actions: Sequence[Action], today: date) -> list[Action]:
        """Record the reminders or escalations, CHUNK tasks per transaction.
        A task closed, or already changed by another scheduler, is skipped."""
        done: list[Action] = []
        for start in range(0, len(actions), CHUNK):
            chunk = actions[start : start + CHUNK]

            def decide(attempt: int, chunk: Sequence[Action] = chunk) -> tuple[list[Action], list[Any]]:
                recorded: list[Action] = []
                events: list[Any] = []
                now = self.app.clock.now()
                for action in chunk:
                    task: FollowUpTask | None = self.app.find(UUID(action.target))
                    # Decided on the task as it is now, not as the task list
                    # read it: it may have been closed or deferred since.
                    if task is None or not self._still_due(action, task, today):
                        continue
                    try:
                        if action.kind == "remind":
                            changed = task.remind(today, Stamp(SCHEDULER, now, task.reminder_key()))
                        else:
                            key = task.escalation_key(action.level)
                            changed = task.escalate(action.level, Stamp(SCHEDULER, now, key))
                    except DomainError:
                        continue
                    if changed:
                        recorded.append(action)
                        events += task.collect_events()
                        about: About = "reminder" if action.kind == "remind" else "escalation"
                        events += self.courier.requests(about, task, now)
                return recorded, events

            stored: list[Action] = self.app.store_decided(decide)
            for action in stored:
                log.info("%s", action)
            done += stored
        return done

    def _still_due(self, action: Action, task: FollowUpTask, today: date) -> bool:
        """The task as it is now still calls for the action the task list suggested."""
        if action.kind == "remind":
            return task.reminder_due(today, self.schedule.remind_days)
        return task.escalation_due(today, self.schedule.escalate_after) == action.level

    # Digests, the weekly report, briefings.

    def _issues(self, at: datetime, today: date) -> list[_Issue]:
        issues: list[_Issue] = []
        digest_run = self.calendar.last_run(self.calendar.digest, at)
        if digest_run is not None:
            digests = _Digests(self.app, self.today(digest_run))
            issues += [
                _Issue("digest", owner, digests.day.isoformat(), partial(digests.report, owner))
                for owner in digests.owners()
            ]
        report_run = self.calendar.last_run(self.calendar.report, at)
        if report_run is not None:
            day = self.today(report_run)
            year, week, _ = day.isocalendar()
            issues.append(
                _Issue("portfolio", "portfolio", f"{year}-W{week:02d}", partial(portfolio_report, self.app, day))
            )
        for meeting, held_on in self._meetings_coming(today):
            issues.append(_Issue("briefing", meeting, held_on, partial(briefing_report, self.app, meeting, today)))
        if digest_run is not None and self.sealing():
            issues.append(_Issue("seal", AUDITORS, self.today(digest_run).isoformat(), partial(seal_report, self.app)))
        return issues

    def sealing(self) -> bool:
        """Whether a seal is published each day: there is a seals file to
        append it to, or auditors in the directory to send it to."""
        directory = self.courier.directory
        return bool(self.schedule.seals or (directory is not None and directory.route.auditors))

    def _meetings_coming(self, today: date) -> list[tuple[str, str]]:
        """Meetings not yet held that fall within the briefing window."""
        until = today + timedelta(days=self.schedule.briefing_days)
        return [(row["meeting"], row["held_on"]) for row in self.app.reader.meetings.coming(today, until)]

    def _issue(self, issues: Sequence[_Issue]) -> tuple[list[Action], list[Path]]:
        """Record the dispatches not yet recorded, in one transaction, then
        write the files of all of them (again, for any whose files a crash
        kept from being written)."""

        def decide(attempt: int) -> tuple[list[tuple[Dispatch, bool]], list[Any]]:
            dispatches: list[tuple[Dispatch, bool]] = []
            events: list[Any] = []
            for issue in issues:
                existing: Dispatch | None = self.app.find(issue.id)
                if existing is not None:
                    dispatches.append((existing, False))
                    continue
                try:
                    report = issue.build()
                except Unsealable as error:
                    # The other dispatches go on; the seal is tried again next tick.
                    log.error("no seal is published: %s", error)
                    continue
                stamp = Stamp(SCHEDULER, self.app.clock.now(), f"{issue.kind}@{issue.recipient}/{issue.period}")
                dispatch = Dispatch.issue(
                    issue.kind, issue.recipient, issue.period, report.title, report.as_dict(), stamp
                )
                dispatches.append((dispatch, True))
                events += dispatch.collect_events()
                events += self.courier.requests(issue.kind, dispatch, stamp.at)
            return dispatches, events

        actions: list[Action] = []
        files: list[Path] = []
        for dispatch, new in self.app.store_decided(decide):
            if dispatch.kind == "seal" and self.schedule.seals:
                # Before the outbox marks it written: a crash between the two appends it again, which
                # append_sealed sees and skips; one that fails leaves it unmarked, to append next tick.
                try:
                    append_sealed(dispatch, self.schedule.seals)
                except OSError as error:
                    log.error("the seal of %s is not appended to %s: %s", dispatch.period, self.schedule.seals, error)
                    continue
            written = self.outbox.write(dispatch)
            files += written
            if new:
                action = Action(dispatch.kind, dispatch.recipient, f"{dispatch.period}: {dispatch.title}")
                log.info("%s -> %s", action, ", ".join(str(path) for path in written))
                actions.append(action)
        return actions, files


class _Digests:
    """The daily digests of one day: each owner's open tasks overdue or due
    within DIGEST_DAYS, read in one query for every owner when first needed."""

    def __init__(self, app: Accord, day: date) -> None:
        self.app = app
        self.day = day
        self.horizon = day + timedelta(days=DIGEST_DAYS)
        self.tasks = app.reader.tasks
        self._rows: dict[str, list[dict[str, Any]]] | None = None

    def owners(self) -> list[str]:
        return self.tasks.owners_due_by(self.horizon)

    def report(self, owner: str) -> Report:
        if self._rows is None:
            self._rows = {}
            for row in self.tasks.due_by(self.horizon):
                self._rows.setdefault(row["owner"], []).append(self._row(row))
        rows = self._rows.get(owner, [])
        overdue = sum(row["state"] == "OVERDUE" for row in rows)
        return Report(
            f"Daily digest for {owner}",
            f"{day(self.day.isoformat())}: open tasks overdue or due within {DIGEST_DAYS} days.",
            {"overdue": overdue, f"due within {DIGEST_DAYS} days": len(rows) - overdue},
            [Table("Tasks", ["task", "due_on", "state", "level", "for", "title"], rows)],
        )

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "task": row["task_id"][:8],
            "task_id": row["task_id"],  # not a column: what a message links the task's page by
            "due_on": row["due_on"],
            "state": "OVERDUE" if row["due_on"] < self.day.isoformat() else "due",
            "level": row["level"],
            "for": self.app.reader.concerns(row),
            "title": row["title"],
        }


def actions_by_kind(actions: Sequence[Action]) -> Iterator[tuple[str, int]]:
    kinds = ("remind", "escalate", "digest", "portfolio", "briefing", "seal", "deliver")
    for kind in kinds:
        count = sum(action.kind == kind for action in actions)
        if count:
            yield kind, count
