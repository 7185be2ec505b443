"""The application service: every use case that records or reads facts.

The command line, the scheduler and the tests all call these methods.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from domain.base import Aggregate, Fact, Snapshot, record_fact
from domain.codes import partner_code
from domain.errors import DomainError
from domain.partnership import Partnership
from domain.values import Stamp
from domain.vocabulary import VOCABULARY, Submission
from workflows.batches import collector_paused
from workflows.clock import Clock
from workflows.projections.base import Views
from workflows.reader import Reader
from workflows.store import retry
from workflows.store.keys import Keys, index_log
from workflows.store.keys import recorded as recorded_keys
from workflows.store.persistence import APPLICATION, PAGE, PydanticMapper, mapper_for
from workflows.store.retry import StoreBusy, address, wait_for_server
from workflows.store.snapshots import drop_all, drop_older

if TYPE_CHECKING:
    from domain.task import FollowUpTask
    from workflows.follower import Followed
    from workflows.policy import Policy
    from workflows.rules import RuleSet

# Partnerships gather facts without end: each time one passes a multiple of
# this many events, its state is kept as a snapshot (only its latest), so
# loading it reads the snapshot and the few events after, not its history.
SNAPSHOT_EVERY: dict[type[Aggregate], int] = {Partnership: 100}

# Warnings only. Where logging is not configured (every command but the
# scheduler's), Python's last-resort handler prints them on stderr; the
# scheduler's log shows them once, as its own lines.
log = logging.getLogger("accord")


class Rejected(Exception):
    """Submissions that break a rule of the domain; nothing was stored."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


@dataclass
class Receipt:
    """What a submission stored: new events, and keys recorded before."""

    recorded: list[Submission] = field(default_factory=list)
    already: list[Submission] = field(default_factory=list)
    # States to keep once the events are stored (see SNAPSHOT_EVERY).
    snapshots: list[Snapshot] = field(default_factory=list, repr=False)

    def by_type(self) -> Counter[str]:
        return Counter(type(s).__name__ for s in self.recorded)


Progress = Callable[[int], None]


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector less its per-event isinstance check against a
    runtime Protocol, which costs more than decoding the event itself."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class IndexedEventStore(EventStore[UUID]):
    """The library's event store, which also indexes the key of each fact
    it stores, in the same transaction (workflows.store.keys)."""

    def __init__(self, mapper: Mapper[UUID], recorder: ApplicationRecorder, keys: Keys) -> None:
        super().__init__(mapper, recorder)
        self.keys = keys

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Any]:
        rows = [self.keys.row(event) if isinstance(event, Fact) else None for event in domain_events]
        return super().put(domain_events, keys=rows, **kwargs)


class Accord(Application[UUID]):
    """Accord's event-sourced application over SQLite or PostgreSQL."""

    name = APPLICATION

    def __init__(
        self,
        env: EnvType | None = None,
        clock: Clock | None = None,
        rules: RuleSet | None = None,
        policy: Policy | None = None,
    ) -> None:
        # The time, as the composition root gives it (UTC if none is).
        self.clock = clock or Clock(UTC)
        if rules is not None:
            self.rules = rules
        self.policy = policy
        # On a PostgreSQL store set up for it, the database user who logged
        # in: stored as the actor of every fact and task change, whatever
        # actor a command names.
        self.authenticated: str | None = None
        # Whether this process has seen the store's key index complete.
        self._keys_indexed = False
        super().__init__(env)

    @cached_property
    def rules(self) -> RuleSet:
        """The rules in force: those given, else the rules shipped with Accord,
        read when first needed (a command that only records needs none)."""
        from workflows.rules import load_rules

        return load_rules()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Settings come from Accord's own settings only, never from stray
        # library variables in the process environment.
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def construct_recorder(self) -> ApplicationRecorder:
        # A process recorder: the task follower stores the tasks it opens with
        # its tracking position in one transaction.
        return self.factory.process_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        return mapper_for(self.factory)

    def construct_event_store(self) -> EventStore[UUID]:
        return IndexedEventStore(self.mapper, self.recorder, self.keys)

    @cached_property
    def fact_topics(self) -> list[str]:
        """The topics of every event people submit (the facts)."""
        return [get_topic(VOCABULARY.event(name)[0]) for name in VOCABULARY]

    @cached_property
    def keys(self) -> Keys:
        """Digests of submission keys, as the store's key index keeps them."""
        return Keys(self.env.get("CIPHER_KEY"))

    def index_keys(self) -> None:
        """Index the keys of a store recorded before Accord kept its key index
        (once: from then on each event's key is indexed as it is stored).
        A submission asks the index whether its key was recorded before.

        One transaction, which holds the writers' lock throughout (writers
        wait: about ten seconds for a million events), so that it ends
        either with every key indexed or with nothing written."""
        if not self._keys_indexed:
            index_log(self.views.db, self.keys, self.fact_topics)
            self._keys_indexed = True

    # Recording

    def submit(self, submissions: Sequence[Submission], actor: str, progress: Progress | None = None) -> Receipt:
        """Record submissions atomically: all of them, or none if any breaks a
        rule, or that the policy does not let `actor` record. A key recorded
        before is skipped. A lost race is retried."""
        actor = self.authenticated or actor
        if self.policy is not None:
            refused = self.policy.refusals(actor, [submission.event_class.__name__ for submission in submissions])
            if refused:
                raise Rejected(refused)

        def decide(attempt: int) -> tuple[Receipt, list[Any]]:
            # Inside the retries: a server restarting meanwhile is waited for.
            self.index_keys()
            return self._decide(submissions, actor, self.clock.now(), progress if attempt == 1 else None)

        with collector_paused():
            receipt: Receipt = self.store_decided(decide)
            self.keep_snapshots(receipt.snapshots)
        return receipt

    @property
    def snapshots_table(self) -> str:
        """The snapshot store's table (the library names it per database)."""
        assert self.snapshots is not None
        return str(self.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]

    def keep_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        """Store snapshots and drop the older ones of the same aggregates:
        they are derived, and only the latest is ever read."""
        if not snapshots or self.snapshots is None:
            return
        table = self.snapshots_table
        try:
            self.snapshots.put(snapshots)
            drop_older(self.views.db, table, snapshots)
        except (OperationalError, InterfaceError) as error:
            # The events are stored: a snapshot lost (the connection dropped,
            # the disk filled) only means the next load reads more events.
            log.warning("the facts are recorded, but not their snapshots (%s); they will be taken again", error)

    def store_decided(self, decide: Callable[[int], tuple[Any, list[Any]]]) -> Any:
        """Decide on freshly loaded aggregates, then store the events; when
        another writer got there first, reload and decide again. A connection
        to PostgreSQL lost in either step (the server restarted) is retried
        too, with a warning each time."""
        deadline = retry.deadline()
        attempt = 1
        while True:
            try:
                result, events = decide(attempt)
                # In the order decided, not grouped by aggregate, so the log's
                # order is the order of the submissions.
                if events:
                    self.events.put(events)
                return result
            except IntegrityError:
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"gave up after {attempt} attempts in {retry.RETRY_FOR:.0f} s: the store is too busy"
                    ) from None
                time.sleep(random.uniform(0, min(0.5, 0.002 * 2**attempt)))
            except (OperationalError, InterfaceError) as error:
                # Safe even if the commit went through before the connection
                # died: the retry decides again, finds every submission's key
                # recorded and stores nothing (Receipt.already).
                wait_for_server(error, address(self.env), deadline)
            attempt += 1

    def _decide(
        self, submissions: Sequence[Submission], actor: str, at: datetime, progress: Progress | None
    ) -> tuple[Receipt, list[Any]]:
        """Apply each submission to its aggregate, in order; the new events, or
        Rejected naming every submission that breaks a rule."""
        receipt = Receipt()
        aggregates: dict[UUID, Aggregate | None] = {}
        loaded: dict[UUID, int] = {}
        events: list[Any] = []
        problems: list[tuple[int, str]] = []
        placed = [(s.aggregate_class.id_for(s.subject), self.keys.digest(s.key)) for s in submissions]
        wanted: dict[UUID, list[bytes]] = {}
        for aggregate_id, digest in placed:
            wanted.setdefault(aggregate_id, []).append(digest)
        # Keys recorded before, by any batch: an aggregate loaded from its
        # snapshot knows only those recorded since.
        known = recorded_keys(self.views.db, wanted)
        for index, submission in enumerate(submissions):
            if progress and index % 500 == 499:
                progress(500)
            if placed[index] in known:
                receipt.already.append(submission)
                continue
            aggregate_class = submission.aggregate_class
            aggregate_id = placed[index][0]
            if aggregate_id not in aggregates:
                aggregates[aggregate_id] = self.find(aggregate_id)
                loaded[aggregate_id] = getattr(aggregates[aggregate_id], "version", 0)
            facts = submission.facts()
            try:
                self._require_partners(facts.get("partners", ()), aggregates)
                aggregate, recorded = record_fact(
                    aggregates[aggregate_id],
                    aggregate_class,
                    submission.event_class,
                    facts,
                    Stamp(actor, at, submission.key),
                    validated=True,
                )
            except DomainError as error:
                problems.append((index, str(error)))
                continue
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
            if every and decided.version // every > version // every:
                receipt.snapshots.append(Snapshot.take(decided))
        if progress:
            progress(len(submissions) % 500)
        return receipt, events

    def _require_partners(self, partners: Iterable[str], aggregates: dict[UUID, Aggregate | None]) -> None:
        """A fact naming several partners names opened partnerships only."""
        for code in partners:
            partnership_id = Partnership.id_for(code)
            if partnership_id not in aggregates:
                aggregates[partnership_id] = self.find(partnership_id)
            if aggregates[partnership_id] is None:
                raise Partnership.not_started(code)

    def drop_snapshots(self) -> int:
        """Delete every snapshot (they are taken again as facts arrive); how many."""
        return drop_all(self.views.db, self.snapshots_table)

    def from_log(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """An aggregate (at a version, else as it is now) replayed from its
        events alone, without asking for a snapshot: what an aggregate never
        kept as one (a task) is found in one query, not two."""
        return _project(None, self.events.get(aggregate_id, lte=version))

    def find(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id, projector_func=_project)
        except AggregateNotFoundError:
            return None

    # Follow-up tasks

    def refresh(self, progress: Progress | None = None) -> Followed:
        """Open and close the tasks new events imply, then bring every view up
        to date. Commands that read call this first, so no one sees stale data."""
        # Imported here: commands that only record need neither the follower
        # nor the views' code.
        from workflows.follower import Follower

        # Paused throughout, not batch by batch: a catch-up makes next to no
        # cycles (23 objects over 200,000 events), and each pass between
        # batches would scan everything again.
        with collector_paused():
            followed = Follower(self, self.rules, self.views).run(progress)
            self.views.catch_up()
        return followed

    def change_task(self, ref: str, actor: str, change: Callable[[FollowUpTask, Stamp], bool]) -> FollowUpTask:
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

    @cached_property
    def reader(self) -> Reader:
        return Reader(self.recorder, cast(PydanticMapper, self.mapper))

    @property
    def views(self) -> Views:
        return self.reader.views

    # Reading

    def partnership(self, code: str) -> Partnership:
        code = partner_code(code)
        partnership = self.find(Partnership.id_for(code))
        if partnership is None:
            raise Partnership.not_started(code)
        assert isinstance(partnership, Partnership)
        return partnership

    def aggregate_events(self, aggregate_id: UUID) -> list[Fact]:
        return list(self.events.get(aggregate_id))  # type: ignore[arg-type]

    def events_of_types(self, classes: Iterable[type[Any]]) -> Iterator[Any]:
        topics = [get_topic(cls) for cls in classes]
        for notification in self.notifications(topics=topics):
            yield self.mapper.to_domain_event(notification)

    def notifications(self, topics: Sequence[str] = (), start: int = 1) -> Iterator[Any]:
        """The whole log in order, read in pages (never all at once)."""
        while True:
            page = self.recorder.select_notifications(start, PAGE, topics=topics)
            yield from page
            if len(page) < PAGE:
                return
            start = page[-1].id + 1
