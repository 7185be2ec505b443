"""The application service: every use case that records or reads facts.

The command line, the scheduler and the tests all call these methods.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import Environment, EnvType, get_topic

from domain.base import Aggregate, Fact, record_fact
from domain.errors import DomainError
from domain.partnership import Partnership
from domain.values import Stamp, partner_code
from domain.vocabulary import Submission
from workflows.persistence import PydanticMapper

# A lost optimistic-concurrency race is retried, with growing random pauses,
# for up to this many seconds before giving up.
RETRY_FOR = 120.0
PAGE = 1000


class Rejected(Exception):
    """Submissions that break a rule of the domain; nothing was stored."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


class StoreBusy(Exception):
    """Other writers kept winning the race for longer than Accord waits."""


@dataclass
class Receipt:
    """What a submission stored: new events, and keys recorded before."""

    recorded: list[Submission] = field(default_factory=list)
    already: list[Submission] = field(default_factory=list)
    attempts: int = 1

    def by_type(self) -> Counter[str]:
        return Counter(type(s).__name__ for s in self.recorded)


Progress = Callable[[int], None]


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector less its per-event isinstance check against a
    runtime Protocol, which costs more than decoding the event itself."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class Accord(Application[UUID]):
    """Accord's event-sourced application over SQLite or PostgreSQL."""

    name = "Accord"

    def __init__(self, env: EnvType | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        super().__init__(env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Settings come from Accord's own settings only, never from stray
        # library variables in the process environment.
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(
            transcoder=self.factory.transcoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )

    # Recording

    def submit(self, submissions: Sequence[Submission], actor: str, progress: Progress | None = None) -> Receipt:
        """Record submissions atomically: all of them, or none if any breaks a
        rule. A key recorded before is skipped. A lost race is retried."""
        deadline = time.monotonic() + RETRY_FOR
        attempt = 1
        while True:
            receipt, events = self._decide(submissions, actor, self.clock(), progress)
            try:
                # Stored in the order decided, not grouped by aggregate, so the
                # log's order is the order of the file.
                if events:
                    self.events.put(events)
            except IntegrityError:
                # Another writer got there first: reload and decide again.
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"gave up after {attempt} attempts in {RETRY_FOR:.0f} s: the store is too busy"
                    ) from None
                time.sleep(random.uniform(0, min(0.5, 0.002 * 2**attempt)))
                attempt += 1
                progress = None
                continue
            receipt.attempts = attempt
            return receipt

    def _decide(
        self, submissions: Sequence[Submission], actor: str, at: datetime, progress: Progress | None
    ) -> tuple[Receipt, list[Any]]:
        """Apply each submission to its aggregate, in order; the new events, or
        Rejected naming every submission that breaks a rule."""
        receipt = Receipt()
        aggregates: dict[UUID, Aggregate | None] = {}
        events: list[Any] = []
        problems: list[tuple[int, str]] = []
        for index, submission in enumerate(submissions):
            aggregate_class = submission.aggregate_class
            aggregate_id = aggregate_class.id_for(submission.subject)
            if aggregate_id not in aggregates:
                aggregates[aggregate_id] = self._find(aggregate_id)
            try:
                self._require_partners(submission, aggregates)
                aggregate, recorded = record_fact(
                    aggregates[aggregate_id],
                    aggregate_class,
                    submission.event_class,
                    submission.facts(),
                    Stamp(actor, at, submission.key),
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
            if progress and index % 500 == 499:
                progress(500)
        if problems:
            raise Rejected(problems)
        if progress:
            progress(len(submissions) % 500)
        return receipt, events

    def _require_partners(self, submission: Submission, aggregates: dict[UUID, Aggregate | None]) -> None:
        """A fact naming several partners names opened partnerships only."""
        for code in getattr(submission, "partners", ()):
            partnership_id = Partnership.id_for(code)
            if partnership_id not in aggregates:
                aggregates[partnership_id] = self._find(partnership_id)
            if aggregates[partnership_id] is None:
                raise Partnership.not_started(code)

    def _find(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id, projector_func=_project)
        except AggregateNotFoundError:
            return None

    # Reading

    def partnership(self, code: str) -> Partnership:
        code = partner_code(code)
        partnership = self._find(Partnership.id_for(code))
        if partnership is None:
            raise Partnership.not_started(code)
        assert isinstance(partnership, Partnership)
        return partnership

    def partnerships(self) -> list[Partnership]:
        opened = self.events_of_types([Partnership.PartnershipOpened])
        return [self.partnership(event.partner) for event in opened]

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
