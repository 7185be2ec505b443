"""The task follower: reads the log from where it stopped and opens (and
closes) the follow-up tasks the rules imply.

Exactly once, whatever happens: the tasks a page of the log implies are
stored with the follower's tracking position in one transaction, so a crash
repeats the whole page or none of it, and two followers cannot both store the
same page (the second gets IntegrityError and moves on from the first's
position). Task ids derive from (rule, source event), a second guard.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from domain.amendments import Amendment, amended, fixes
from domain.approval import Proposal
from domain.base import Fact
from domain.errors import TaskClosed
from domain.task import SYSTEM, FollowUpTask
from domain.text import TEXT, fit
from domain.values import Stamp
from domain.vocabulary import amendment_classes
from workflows.application.reader import FOLLOWER
from workflows.base.batches import collector_paused
from workflows.projections import failures
from workflows.projections.base import BATCH, MOVES, Views
from workflows.projections.failures import Failure
from workflows.rules import RuleSet
from workflows.rules.engine import opens, source_of, task_facts, thread_of
from workflows.rules.model import rule_event
from workflows.store.chain import LogMoved
from workflows.store.database import Record

if TYPE_CHECKING:
    from workflows.application.core import Core

log = logging.getLogger(__name__)

# Times a page is decided again when the tasks it closes keep changing under it.
RETRIES = 20


@dataclass
class Followed:
    """What one run of the follower did."""

    opened: list[UUID] = field(default_factory=list)
    closed: list[UUID] = field(default_factory=list)
    position: int = 0


class Follower:
    def __init__(self, app: Core, rules: RuleSet, views: Views, *, recovering: bool = False) -> None:
        self.app = app
        self.rules = rules
        self.views = views
        # Found again after its position was lost (workflows.application.recovery):
        # a task the log holds already is taken as opened, not opened twice.
        self.recovering = recovering
        self.topics = [get_topic(rule_event(name)[0]) for name in sorted(rules.types_read)]
        # Amendments of facts the rules read: a retracted fact's tasks are
        # cancelled, a corrected one's follow the correction.
        self.topics += [get_topic(cls) for cls in amendment_classes()]

    def run(self, progress: Callable[[int], None] | None = None) -> Followed:
        """Follow the log to its end as it is now. The tasks a run opens and
        closes are events after that end: it then follows them too, so that
        a quiet store is left with the follower at its head, as a reader that
        asks whether the views are current expects."""
        db = self.views.db
        done = Followed(position=db.position(FOLLOWER))
        self._follow(done, db.head(), progress)
        if done.opened or done.closed:
            self._follow(done, db.head(), progress)
        return done

    def _follow(self, done: Followed, head: int, progress: Callable[[int], None] | None) -> None:
        db = self.views.db
        conflicts = moves = 0
        while done.position < head:
            # Closing looks up open tasks in the task list, which must include
            # every task opened by earlier pages.
            self.views.catch_up(["tasks"])
            try:
                page = db.page(done.position + 1, head, self.topics, BATCH)
                last = page.last
                with collector_paused():
                    step = self._decide(page.records)
                    self._keep(step, last)
                    # Stored only beside the log the page was read of (chain.LogMoved otherwise).
                    self.app.events.put(step.events, tracking=Tracking(FOLLOWER, last), read=page.end)
            except LogMoved as moved:
                moves += 1
                if moves > MOVES:
                    raise
                log.warning("%s; reading the log again from where it is followed", moved)
                head, done.position = db.head(), db.position(FOLLOWER)
                continue
            except IntegrityError as error:
                stored = db.position(FOLLOWER)
                if stored > done.position:
                    # Another follower stored this page first: go on from its position.
                    log.debug("page %s-%s was stored by another follower (%s)", done.position + 1, last, error)
                    done.position = stored
                    continue
                # A task this page closes was changed meanwhile (reminded by the
                # scheduler, completed by someone): decide the page again on
                # the tasks as they are now. A conflict that persists is a fault.
                conflicts += 1
                if conflicts > RETRIES:
                    raise
                log.debug(
                    "page %s-%s met a task changed meanwhile; deciding again (%s)", done.position + 1, last, error
                )
                time.sleep(random.uniform(0, 0.05 * conflicts))
                continue
            conflicts = 0
            log.debug("page %s-%s: opened %s, closed %s", done.position + 1, last, len(step.opened), len(step.closed))
            done.opened += step.opened
            done.closed += step.closed
            if progress:
                progress(last - done.position)
            done.position = last

    def _decide(self, records: Sequence[Record]) -> _Page:
        """The tasks a page opens and closes. An event the follower cannot
        react to (workflows.projections.failures) is left out, with its
        failure, and the page decided again without it: what the others
        decided is never half undone."""
        failed: dict[int, Failure] = {}
        while True:
            current = None
            try:
                events = []
                for record in records:
                    if record.position not in failed:
                        current = record
                        events.append((record, record.event()))
                current = None
                step = _Page(self, self.app.clock.now(), self._open_tasks([event for _, event in events]))
                for record, event in events:
                    current = record
                    step.react(event)
            except Exception as error:
                if current is None or failures.of_the_store(error):
                    raise
                log.warning("the follower cannot react to the event at position %s: %s", current.position, error)
                failed[current.position] = Failure.of(FOLLOWER, current, error)
                continue
            step.failed = list(failed.values())
            return step

    def _keep(self, step: _Page, last: int) -> None:
        """Keep the page's failures, and forget those its amendments healed
        (in a transaction of their own, before the page's tasks: a page
        stored again by a second follower keeps the same)."""
        if not step.failed and not step.healed:
            return
        with self.views.db.transaction() as cursor:
            failures.record(cursor, step.failed)
            for originator_id, version in step.healed:
                failures.heal(cursor, FOLLOWER, originator_id, through=last, version=version)

    def _open_tasks(self, events: list[Any]) -> dict[str, set[UUID]]:
        """The open tasks of every thread these events may close, from the
        task list, in a few queries for the whole page."""
        threads = sorted(
            {thread_of(rule, event) for event in events for rule in self.rules.closed_by(type(event).__name__)}
        )
        return self.app.reader.tasks.open_in_threads(threads)


class _Page:
    """The tasks one page of the log opens and closes, decided in order."""

    def __init__(self, follower: Follower, now: Any, threads: dict[str, set[UUID]]) -> None:
        self.follower = follower
        self.now = now
        self.events: list[Any] = []
        self.opened: list[UUID] = []
        self.closed: list[UUID] = []
        self.tasks: dict[UUID, FollowUpTask] = {}
        # The open tasks of each thread, as stored and then as this page changes them.
        self.threads = threads
        # Events the follower could not react to; facts amended (their
        # aggregate and version), whose failures, if any, are healed.
        self.failed: list[Failure] = []
        self.healed: list[tuple[str, int]] = []

    def react(self, event: Any) -> None:
        if event.AMENDS:
            self._amend(event)
            return
        kind = type(event).__name__
        if self._settles(event):
            for rule in self.follower.rules.closed_by(kind):
                self._close(thread_of(rule, event), event)
        rules = self.follower.rules
        for rule in rules.triggered_by(kind):
            if opens(rules, rule, event):
                self._open(task_facts(rule, event))

    def _amend(self, amendment: Amendment) -> None:
        """The tasks of an amended fact, as the rules read it now: a task
        whose rule no longer applies is cancelled (every one, for a
        retracted fact), a due date that moved moves its task, a rule that
        now applies opens its task. Closed tasks stay as they were closed."""
        app = self.follower.app
        history: list[Any] = list(app.events.get(amendment.originator_id, lte=amendment.originator_version))
        [fact] = [event for event in history if isinstance(event, Fact) and event.key == amendment.target]
        now = amended(fact, fixes(history).get((fact.originator_id, fact.key)))
        self.healed.append((str(fact.originator_id), fact.originator_version))
        rules = self.follower.rules
        stamp = Stamp(SYSTEM, self.now, f"amended@{source_of(amendment)}")
        said = fit(f"{type(amendment).__name__} by {amendment.actor}: {amendment.reason}", TEXT, one_line=False)
        for rule in rules.triggered_by(type(fact).__name__):
            task_id = FollowUpTask.id_of(rule.name, source_of(fact))
            task = self.tasks.get(task_id) or app.from_log(task_id)
            # The task the rule opens for the fact as it stands, if any.
            facts = task_facts(rule, now) if now is not None and opens(rules, rule, now) else None
            if task is None:
                if facts is not None:
                    self._open(facts)
                continue
            if task.status != "open":
                continue
            if facts is None:
                task.cancel(said, stamp)
                self.closed.append(task_id)
            elif not task.revise(facts, said, stamp):
                continue
            self.tasks[task_id] = task
            self.events.extend(task.collect_events())

    def _open(self, facts: dict[str, Any]) -> None:
        if self.follower.recovering:
            task_id = FollowUpTask.id_of(facts["rule"], facts["source"])
            if self.follower.app.from_log(task_id) is not None:
                return
        task = FollowUpTask.open(facts, Stamp(SYSTEM, self.now, f"{facts['rule']}@{facts['source']}"))
        self.events.extend(task.collect_events())
        self.tasks[task.id] = task
        self.opened.append(task.id)
        if facts["thread"]:
            self.threads.setdefault(facts["thread"], set()).add(task.id)

    def _settles(self, closer: Any) -> bool:
        """Whether `closer` ends what its tasks wait for: an approval that is
        not the last its proposal needs (the first of two) closes nothing
        yet, and the proposal's task stays open for the next approver."""
        if not isinstance(closer, Proposal.FactApproved):
            return True
        proposal = self.follower.app.from_log(closer.originator_id, closer.originator_version)
        return proposal is None or proposal.status != "proposed"

    def _close(self, thread: str, closer: Fact) -> None:
        open_ids = self.threads[thread]
        for task_id in sorted(open_ids):
            task = self.tasks.get(task_id) or self.follower.app.from_log(task_id)
            if task is None:
                # Listed open by the task list read a moment ago, absent from the log read now.
                raise LogMoved(f"the task list holds task {task_id}, which the log does not: the store changed server")
            self.tasks[task_id] = task
            # A proposal's approval or rejection has no date of its own: the day it was recorded.
            on = getattr(closer, "occurred_on", None) or closer.timestamp.date().isoformat()
            outcome = f"moot: {type(closer).__name__} on {on}"
            try:
                task.complete(outcome, Stamp(SYSTEM, self.now, f"moot@{source_of(closer)}"))
            except TaskClosed:
                continue
            self.events.extend(task.collect_events())
            self.closed.append(task_id)
        open_ids.clear()
