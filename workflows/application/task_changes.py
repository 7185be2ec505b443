"""Changing a task by hand: assign, defer, complete, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.task import FollowUpTask
from domain.values import Stamp
from workflows.application.catch_up import CatchingUp

# One change to a task, as the domain's methods make it (FollowUpTask.defer...).
Change = Callable[[FollowUpTask, Stamp], Any]


class TaskChanges(CatchingUp):
    def change_task(self, ref: str, actor: str, change: Change) -> FollowUpTask:
        """Apply one change (assign, defer, complete, cancel) to a task."""
        actor = self.authenticated or actor
        task_id = self.task_id(ref)
        # One moment, so one key, for every attempt: a change whose commit went
        # through before a lost connection is found recorded when retried.
        now = self.clock.now()

        def decide(attempt: int) -> tuple[FollowUpTask, list[Any]]:
            task = self.find(task_id)
            change(task, Stamp(actor, now, f"{actor}@{now.isoformat()}"))
            events = task.collect_events()
            if self.policy is not None:
                for event in events:
                    self.policy.check(actor, type(event).__name__)
            return task, events

        task: FollowUpTask = self.store_decided(decide)
        return task

    def task_id(self, ref: str) -> UUID:
        """A task's id from its id or a unique prefix of it, caught up first."""
        self.refresh()
        return self.reader.tasks.task_id(ref)
