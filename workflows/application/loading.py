"""Loading an aggregate: from its latest snapshot where the chained log
proves it (workflows.store.snapshots), else from its first event. A snapshot
the chain does not prove is ignored, with a warning naming it, so one
written around Accord cannot decide a submission; the next submission that
stores an event on the aggregate takes it again."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.amendments import fold
from domain.base import Aggregate, Snapshot
from domain.partnership import Partnership
from workflows.escape.terminal import visible
from workflows.store import snapshots as kept

# Warnings only; see workflows.application.core.
log = logging.getLogger("accord")

# Partnerships gather facts without end: each time one passes a multiple of
# this many events, its state is kept as a snapshot (only its latest), so
# loading it reads the snapshot and the few events after, not its history.
SNAPSHOT_EVERY: dict[type[Aggregate], int] = {Partnership: 100}
# A stored snapshot's own topic, and those of the aggregates it may name:
# checked before either is resolved, which imports the module a topic names.
SNAPSHOT_TOPIC = get_topic(Snapshot)
SNAPSHOT_TOPICS = frozenset(get_topic(kind) for kind in SNAPSHOT_EVERY)
# The time of a snapshot that cannot be read, which names only its version.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def project(aggregate: Any, events: Iterable[Any], *, after_snapshot: bool = False) -> Any:
    """The library's projector less its per-event isinstance check against a
    runtime Protocol, which costs more than decoding the event itself. A
    history with amendments is folded as they amend it (domain.amendments):
    from its first event, so not from a snapshot taken before them."""
    events = iter(events)
    seen: list[Any] = []
    for event in events:
        # A class attribute, not isinstance: pydantic's classes check that slowly.
        if event.AMENDS:
            if after_snapshot:
                raise _AmendedSinceSnapshot
            return fold([*seen, event, *events])
        seen.append(event)
        aggregate = event.mutate(aggregate)
    return aggregate


class Store(Protocol):
    """What a load needs of the application (workflows.application.core.Core)."""

    events: Any
    snapshots: Any
    mapper: Any
    events_folded: int
    snapshots_ignored: set[tuple[UUID, int]]

    @property
    def snapshots_table(self) -> str: ...

    def snapshot_signers(self, key_id: str | None = None) -> dict[str, bytes] | None: ...

    @property
    def views(self) -> Any: ...


class _AmendedSinceSnapshot(Exception):
    """An aggregate's events after its snapshot amend facts before it."""


@dataclass(frozen=True)
class Found:
    """A stored snapshot: its version, the aggregate it holds (None if it
    cannot be read as one), and why the chain does not prove it (None if
    it does), as the end of a sentence that begins "the snapshot of X at
    version N"."""

    version: int
    aggregate: Any
    wrong: str | None

    @property
    def proven(self) -> bool:
        return self.wrong is None and self.aggregate is not None


def load(app: Store, aggregate_id: UUID) -> tuple[Any, int]:
    """An aggregate as it is now (None if it has no events), and how many
    events were folded to make it. Two queries, as the library's repository
    made: the snapshot with the chain's digest at its version, then the
    events after it."""
    found = snapshot_of(app, aggregate_id) if app.snapshots is not None else None
    if found is not None and not found.proven:
        _ignore(app, aggregate_id, found)
        found = None
    counter = _Counter()
    try:
        if found is None:
            aggregate = project(None, counter.count(app.events.get(aggregate_id)))
        else:
            after = counter.count(app.events.get(aggregate_id, gt=found.version))
            aggregate = project(found.aggregate, after, after_snapshot=True)
    except _AmendedSinceSnapshot:
        counter = _Counter()
        aggregate = project(None, counter.count(app.events.get(aggregate_id)))
    app.events_folded += counter.folded
    return aggregate, counter.folded


def snapshot_of(app: Store, aggregate_id: UUID, version: int | None = None) -> Found | None:
    """The aggregate's latest stored snapshot (up to a version, if given),
    read and proven against the chain; None if it has none."""
    assert app.snapshots is not None
    stored = kept.latest(app.views.db, app.snapshots_table, aggregate_id, version)
    if stored is None:
        return None
    if stored.topic != SNAPSHOT_TOPIC:
        return Found(stored.version, None, f"is stored as {stored.topic[:80]!r}, not as a snapshot")
    try:
        snapshot = app.mapper.to_domain_event(StoredEvent(aggregate_id, stored.version, stored.topic, stored.state))
        assert isinstance(snapshot, Snapshot)
        if snapshot.topic not in SNAPSHOT_TOPICS:
            return Found(stored.version, None, f"names {snapshot.topic[:80]!r}, which no snapshot is taken of")
        aggregate = snapshot.mutate(None)
    except Exception as error:  # the cipher's, the JSON's or the model's: each names what it found
        return Found(stored.version, None, f"cannot be read ({str(error)[:200]})")
    signers = app.snapshot_signers(snapshot.signed_by)
    return Found(stored.version, aggregate, kept.unproven(snapshot, stored.held, signers))


def _ignore(app: Store, aggregate_id: UUID, found: Found) -> None:
    """Say once in the process's life that a snapshot was ignored; one taken
    before snapshots were proven, or unsigned before the store signed, only
    quietly: it is taken again, not a finding."""
    if (aggregate_id, found.version) in app.snapshots_ignored:
        return
    app.snapshots_ignored.add((aggregate_id, found.version))
    level = logging.INFO if found.wrong in kept.QUIETLY_RETAKEN else logging.WARNING
    log.log(
        level,
        "warning: the snapshot of %s at version %d %s: ignored, the aggregate folded from its events",
        aggregate_id,
        found.version,
        # What a forger wrote reaches a terminal shown, never obeyed.
        visible(str(found.wrong)),
    )


class _Counter:
    """Counts the events a load folds."""

    def __init__(self) -> None:
        self.folded = 0

    def count(self, events: Iterable[Any]) -> Iterator[Any]:
        for event in events:
            self.folded += 1
            yield event
