"""Follow-up tasks: opened by workflow rules, reminded, escalated, closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate, Founding, Recorded
from domain.errors import DeferralNotLater, EscalationNotHigher, TaskClosed
from domain.text import Line, Name, Text
from domain.values import Stamp

# Who Accord records its own changes to tasks as: those the rules open,
# revise, cancel and close, under no policy (workflows.config.policy governs people).
SYSTEM = "accord"


class TaskEvent(Recorded):
    """Refuses any change once the task is closed."""

    def check(self, aggregate: Any) -> None:
        if aggregate is not None and aggregate.status != "open":
            # "is done" alone reads as if this change had done it.
            closed = getattr(aggregate, "closed", None)
            how = f" ({closed[0]} on {closed[1].astimezone(UTC):%Y-%m-%d %H:%M} UTC by {closed[2]})" if closed else ""
            raise TaskClosed(f"task {aggregate.id} is already {aggregate.status}{how}: nothing changed")


class FollowUpTask(Aggregate):
    """Work that a recorded fact implies, with an owner and a due date."""

    # The base of its events (see Partnership.Event).
    Event = TaskEvent  # type: ignore[assignment]

    NOUN = "task"
    STARTED = "opened"

    class TaskOpened(TaskEvent, Founding):
        source: str = Field(description="The event that opened it: aggregate id/version")
        source_type: str = Field(description="The type of that event")
        subject: str = Field(description="What the source concerns: a partner, meeting, initiative...")
        partner: str | None = Field(default=None, description="The partnership it serves, if one")
        rule: str = Field(description="The rule that opened it")
        # Made by the rule from the fact, and made to fit (domain.text.fit).
        title: Line = Field(min_length=1)
        owner: Name = Field(min_length=1)
        due_on: date
        basis: str = Field(default="", description="How the rule set the due date")
        thread: str = Field(default="", description="What later fact makes it moot")

    class TaskAssigned(TaskEvent):
        owner: Name = Field(min_length=1)

        def apply(self, aggregate: FollowUpTask) -> None:
            aggregate.owner = self.owner

    class TaskDeferred(TaskEvent):
        due_on: date
        reason: Text = Field(min_length=1)

        def check(self, aggregate: FollowUpTask) -> None:
            super().check(aggregate)
            if self.due_on <= aggregate.due_on:
                raise DeferralNotLater(
                    f"a deferral must move the due date after {aggregate.due_on}, not to {self.due_on}"
                )

        def apply(self, aggregate: FollowUpTask) -> None:
            # A new deadline starts afresh: reminded and escalated again if need be.
            aggregate.due_on = self.due_on
            aggregate.reminded_on = None
            aggregate.level = 0

    class TaskRevised(TaskEvent):
        """The fact the task follows was corrected: its due date (earlier or
        later) and title as the rule now gives them; it is reminded and
        escalated afresh."""

        due_on: date
        title: Line = Field(min_length=1)
        basis: str = ""
        reason: Text = Field(min_length=1)

        def apply(self, aggregate: FollowUpTask) -> None:
            aggregate.due_on = self.due_on
            aggregate.title = self.title
            aggregate.reminded_on = None
            aggregate.level = 0

    class TaskCompleted(TaskEvent):
        outcome: Text = ""

        def apply(self, aggregate: FollowUpTask) -> None:
            aggregate.status = "done"
            aggregate.closed = ("completed", self.timestamp, self.actor)

    class TaskCancelled(TaskEvent):
        reason: Text = Field(min_length=1)

        def apply(self, aggregate: FollowUpTask) -> None:
            aggregate.status = "cancelled"
            aggregate.closed = ("cancelled", self.timestamp, self.actor)

    class ReminderSent(TaskEvent):
        on: date

        def apply(self, aggregate: FollowUpTask) -> None:
            aggregate.reminded_on = self.on

    class TaskEscalated(TaskEvent):
        level: int = Field(ge=1)

        def check(self, aggregate: FollowUpTask) -> None:
            super().check(aggregate)
            if self.level <= aggregate.level:
                raise EscalationNotHigher(f"task is already at escalation level {aggregate.level}")

        def apply(self, aggregate: FollowUpTask) -> None:
            aggregate.level = self.level

    def __init__(self, source: str, rule: str, partner: str | None, title: str, owner: str, due_on: date) -> None:
        self.source = source
        self.rule = rule
        self.partner = partner
        self.title = title
        self.owner = owner
        self.due_on = due_on
        self.status = "open"
        self.level = 0
        self.reminded_on: date | None = None
        # How it was closed, when (UTC) and by whom: said when a change comes after.
        self.closed: tuple[str, datetime, str] | None = None

    @staticmethod
    def id_of(rule: str, source: str) -> UUID:
        """A task's id, from the rule and the event that open it: it opens once."""
        return FollowUpTask.id_for(f"{rule}@{source}")

    @classmethod
    def named_by(cls, first: Any) -> str:
        return f"{first.rule}@{first.source}"

    @classmethod
    def open(cls, facts: Mapping[str, Any], stamp: Stamp) -> FollowUpTask:
        """Open the task of (facts["rule"], facts["source"])."""
        return cls.start(cls.TaskOpened, f"{facts['rule']}@{facts['source']}", facts, stamp)

    def assign(self, owner: str, stamp: Stamp) -> bool:
        return self.record(self.TaskAssigned, {"owner": owner}, stamp)

    def defer(self, due_on: date, reason: str, stamp: Stamp) -> bool:
        return self.record(self.TaskDeferred, {"due_on": due_on, "reason": reason}, stamp)

    def revise(self, facts: Mapping[str, Any], reason: str, stamp: Stamp) -> bool:
        """Take the due date and title the rule now gives (`facts`, as for
        `open`); False if they are those it has."""
        if (self.due_on, self.title) == (facts["due_on"], facts["title"]):
            return False
        revised = {"due_on": facts["due_on"], "title": facts["title"], "basis": facts["basis"], "reason": reason}
        return self.record(self.TaskRevised, revised, stamp)

    def complete(self, outcome: str, stamp: Stamp) -> bool:
        return self.record(self.TaskCompleted, {"outcome": outcome}, stamp)

    def cancel(self, reason: str, stamp: Stamp) -> bool:
        return self.record(self.TaskCancelled, {"reason": reason}, stamp)

    def remind(self, on: date, stamp: Stamp) -> bool:
        return self.record(self.ReminderSent, {"on": on}, stamp)

    def escalate(self, level: int, stamp: Stamp) -> bool:
        return self.record(self.TaskEscalated, {"level": level}, stamp)

    def reminder_due(self, today: date, days_before: int) -> bool:
        """Open, coming due within `days_before` days, and not yet reminded for this due date."""
        ahead = (self.due_on - today).days
        return self.status == "open" and self.reminded_on is None and 0 <= ahead <= days_before

    def escalation_due(self, today: date, level_two_after: int) -> int:
        """The level an open task should be escalated to now (0: none): 1
        once overdue, 2 once `level_two_after` days overdue; never lower
        than it is."""
        overdue = (today - self.due_on).days
        wanted = 2 if overdue >= level_two_after else 1 if overdue > 0 else 0
        return wanted if self.status == "open" and wanted > self.level else 0

    def reminder_key(self) -> str:
        """One reminder per deadline: a key for the task's current due date."""
        return f"remind@{self.due_on.isoformat()}"

    def escalation_key(self, level: int) -> str:
        """One escalation to each level per deadline."""
        return f"escalate-{level}@{self.due_on.isoformat()}"
