"""Recording what happened: submissions decided on their aggregates and
stored atomically, all or none."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.amendments import Amendment, amend
from domain.approval import Proposal
from domain.base import Aggregate, Snapshot, record_fact
from domain.errors import DomainError
from domain.partnership import Partnership, require_opened
from domain.values import Stamp
from domain.vocabulary import Submission
from workflows.application.core import Core
from workflows.application.loading import SNAPSHOT_EVERY
from workflows.base.batches import Progress, collector_paused
from workflows.base.failures import BadInput
from workflows.rules.engine import opens, task_facts
from workflows.store.keys import recorded as recorded_keys


class Rejected(BadInput):
    """Submissions that break a rule of the domain; nothing was stored."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems) + "; nothing was stored")


@dataclass
class Receipt:
    """What a submission stored: new events, and keys recorded before."""

    recorded: list[Submission] = field(default_factory=list)
    already: list[Submission] = field(default_factory=list)
    # Recorded as proposals, each with the role whose approval it awaits
    # (workflows.config.policy's [approval]): not facts yet.
    proposed: list[tuple[Submission, str]] = field(default_factory=list)
    # States to keep once the events are stored (see SNAPSHOT_EVERY).
    snapshots: list[Snapshot] = field(default_factory=list, repr=False)

    def by_type(self) -> Counter[str]:
        return Counter(s.type_name for s in self.recorded)


@dataclass
class Preview:
    """What recording one fact would do: nothing (its key was recorded
    before), or record it and open these tasks (each as TaskOpened says it)."""

    already: bool
    tasks: list[dict[str, Any]]


class Submitting(Core):
    def submit(
        self, submissions: Sequence[Submission], actor: str, progress: Progress | None = None, *, dry_run: bool = False
    ) -> Receipt:
        """Record submissions atomically: all of them, or none if any breaks a
        rule, or that the policy does not let `actor` record. A key recorded
        before is skipped. A lost race is retried. A `dry_run` decides and
        writes them all the same, in a transaction rolled back: its receipt
        is what recording them now would store, or it is refused as that
        would be."""
        actor = self._permitted(actor, submissions)

        def decide(attempt: int) -> tuple[Receipt, list[Any]]:
            # Inside the retries: a server restarting meanwhile is waited for.
            self.index_keys()
            return self._decide(submissions, actor, self.clock.now(), progress if attempt == 1 else None)

        with collector_paused():
            receipt: Receipt = self.store_decided(decide, lambda receipt: receipt.snapshots, dry_run=dry_run)
        return receipt

    def preview(self, submission: Submission, actor: str) -> Preview:
        """What recording one fact now would do, nothing stored: refused as
        recording it would be (the policy, the domain's rules), recorded
        before under its key, or recorded, with the tasks the rules in force
        would open for it (the single-fact form of `accord rules simulate`)."""
        actor = self._permitted(actor, [submission])
        self.index_keys()
        receipt, events = self._decide([submission], actor, self.clock.now(), None)
        tasks = [
            task_facts(rule, event)
            for event in events
            for rule in self.rules.triggered_by(type(event).__name__)
            if opens(self.rules, rule, event)
        ]
        return Preview(already=bool(receipt.already), tasks=sorted(tasks, key=lambda task: str(task["due_on"])))

    def _permitted(self, actor: str, submissions: Sequence[Submission]) -> str:
        """Who records: the key's holder where the store authenticates its
        writer, else `actor`; Rejected if the policy does not let them
        record every one of these types."""
        actor = self.authenticated or actor
        if self.policy is not None:
            refused = self.policy.refusals(actor, [submission.event_class.__name__ for submission in submissions])
            if refused:
                raise Rejected(refused)
        return actor

    def _decide(
        self,
        submissions: Sequence[Submission],
        actor: str,
        at: datetime,
        progress: Progress | None,
        *,
        approved: bool = False,
    ) -> tuple[Receipt, list[Any]]:
        """Apply each submission to its aggregate, in order; the new events, or
        Rejected naming every submission that breaks a rule. One the policy
        says needs approval is judged the same way but recorded as a
        Proposal, its aggregate left as it was, unless it is `approved`
        (workflows.application.approvals decides it so)."""
        receipt = Receipt()
        aggregates: dict[UUID, Aggregate | None] = {}
        loaded: dict[UUID, int] = {}
        # How many events each load folded (after its snapshot, if one was proven).
        folded: dict[UUID, int] = {}
        events: list[Any] = []
        problems: list[tuple[int, str]] = []
        placed = [(s.aggregate_class.id_for(s.subject), self.keys.digest(s.key)) for s in submissions]
        wanted: dict[UUID, list[bytes]] = {}
        for aggregate_id, digest in placed:
            wanted.setdefault(aggregate_id, []).append(digest)
        # Keys recorded before, by any batch: an aggregate loaded from its
        # snapshot knows only those recorded since.
        known = recorded_keys(self.views.db, wanted)
        # Amended aggregates' stored events (an amendment is decided on the
        # whole history), and which were amended.
        histories: dict[UUID, list[Any]] = {}
        amended: set[UUID] = set()
        for index, submission in enumerate(submissions):
            if progress and index % 500 == 499:
                progress(500)
            if placed[index] in known:
                receipt.already.append(submission)
                continue
            aggregate_class = submission.aggregate_class
            aggregate_id = placed[index][0]
            if aggregate_id not in aggregates:
                aggregates[aggregate_id], folded[aggregate_id] = self.load(aggregate_id)
                loaded[aggregate_id] = getattr(aggregates[aggregate_id], "version", 0)
            facts = submission.facts()
            stamp = Stamp(actor, at, submission.key)
            approval = None if approved else self._approval(submission, aggregate_id, events)
            if approval is not None and self._proposed_before(aggregate_id, submission.key, events):
                receipt.already.append(submission)
                continue
            try:
                if issubclass(submission.event_class, Amendment):
                    stored = histories.get(aggregate_id)
                    if stored is None:
                        stored = histories[aggregate_id] = list(self.events.get(aggregate_id))
                    history = stored + [event for event in events if event.originator_id == aggregate_id]
                    aggregate = amend(aggregate_class, history, submission.event_class, facts, stamp)
                    changes = getattr(aggregate.pending_events[-1], "changes", {})
                    self._require_partners(changes.get("partners", ()), aggregates)
                    recorded = True
                else:
                    self._require_partners(submission.event_class.partners_named(facts), aggregates)
                    # A proposal is judged on a copy: its fact changes nothing yet.
                    before = aggregates[aggregate_id]
                    aggregate, recorded = record_fact(
                        before if approval is None else copy.deepcopy(before),
                        aggregate_class,
                        submission.event_class,
                        facts,
                        stamp,
                        validated=True,
                    )
            except DomainError as error:
                problems.append((index, str(error)))
                continue
            if approval is not None:
                if not recorded:
                    receipt.already.append(submission)
                    continue
                proposal = Proposal.propose(
                    submission.type_name,
                    aggregate_id,
                    submission.subject,
                    submission.model_dump(mode="json", exclude_none=True) | {"id": submission.key},
                    approval.role,
                    approval.approvals,
                    self.clock.day(at),
                    stamp,
                )
                events.append(proposal.pending_events.pop())
                receipt.proposed.append((submission, approval.role))
                continue
            if issubclass(submission.event_class, Amendment):
                amended.add(aggregate_id)
            aggregates[aggregate_id] = aggregate
            if recorded:
                events.append(aggregate.pending_events.pop())
                receipt.recorded.append(submission)
            else:
                receipt.already.append(submission)
        if problems:
            raise Rejected(problems)
        for aggregate_id, version in loaded.items():
            decided = aggregates[aggregate_id]
            if decided is None:
                continue
            every = SNAPSHOT_EVERY.get(type(decided))
            if not every or decided.version == version:
                continue
            # An amended one at once: loading it from an earlier snapshot
            # would fold its whole history again. So too one whose load
            # folded an interval's events or more: its snapshot was unproven
            # (ignored), dropped, or lost.
            if decided.version // every > version // every or aggregate_id in amended or folded[aggregate_id] >= every:
                receipt.snapshots.append(Snapshot.take(decided))
        if progress:
            progress(len(submissions) % 500)
        return receipt, events

    def _approval(self, submission: Submission, aggregate_id: UUID, deciding: Sequence[Any]) -> Any:
        """The approval the policy says this submission needs, or None."""
        if self.policy is None or not self.policy.approval:
            return None
        amends = None
        if issubclass(submission.event_class, Amendment):
            target = getattr(submission, "target", None)
            history = [*self.events.get(aggregate_id), *(e for e in deciding if e.originator_id == aggregate_id)]
            amends = next((type(e).__name__ for e in history if getattr(e, "key", None) == target), None)
        return self.policy.needs_approval(submission.type_name, amends)

    def _proposed_before(self, aggregate_id: UUID, key: str, deciding: Sequence[Any]) -> bool:
        """Whether a fact under `key` is proposed already, in the store or in this batch."""
        proposal_id = Proposal.id_of(aggregate_id, key)
        return any(e.originator_id == proposal_id for e in deciding) or self.find(proposal_id) is not None

    def not_opened(self, partners: Iterable[str]) -> list[str]:
        """Those of `partners` whose partnership is not opened in the store now."""
        return [code for code in partners if self.find(Partnership.id_for(code)) is None]

    def _require_partners(self, partners: Iterable[str], aggregates: dict[UUID, Aggregate | None]) -> None:
        """A fact naming several partners names opened partnerships only
        (domain.partnership.require_opened), as decided so far."""

        def opened(partnership_id: UUID) -> bool:
            if partnership_id not in aggregates:
                aggregates[partnership_id] = self.find(partnership_id)
            return aggregates[partnership_id] is not None

        require_opened(partners, opened)
