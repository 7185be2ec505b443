"""Judging an event the log holds: would the domain have recorded it where
it stands? By the rules that decide what is recorded (each event's `check`,
an amendment's `amended_by`), and by those the recording path keeps by
construction: an aggregate's first event first and once, its versions one
after another, a key once, a fact on the aggregate its subject names.

Pure, as the rest of the domain: the caller folds the log, hands each event
its aggregate as folded so far, and says what it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from eventsourcing.utils import get_topic, resolve_topic

from domain.amendments import Amendment, amended_by, fold
from domain.base import Aggregate, Founding, Recorded, Submitted, require_its_own
from domain.errors import AlreadyStarted, KeyRecordedTwice, NotItsAggregate, VersionOutOfOrder
from domain.recorded import RECORDED

# The events of an aggregate before the one judged, asked for only when an
# amendment is judged (the whole history decides it).
History = Callable[[], Sequence[Recorded]]


@cache
def aggregate_of(event_class: type[Recorded]) -> type[Aggregate]:
    """The aggregate an event class is declared in: Partnership for
    Partnership.VisitHeld (and for its FactCorrected)."""
    outer = event_class.__qualname__.rpartition(".")[0]
    kind = resolve_topic(f"{event_class.__module__}:{outer}") if outer else None
    if not (isinstance(kind, type) and issubclass(kind, Aggregate)):
        raise NotItsAggregate(f"{event_class.__name__} is not an event of any aggregate")
    return kind


def admitted(aggregate: Aggregate | None, event: Recorded, history: History) -> Any:
    """`aggregate` (None before its first event) with `event` applied, if
    the domain would have recorded it there; else a DomainError that says
    which rule it breaks, `aggregate` untouched."""
    kind = placed(aggregate, event)
    if isinstance(event, Amendment):
        return amended_by(kind, history(), event, context=RECORDED)
    event.check(aggregate)
    return event.mutate(aggregate)


def applied(aggregate: Aggregate | None, event: Recorded, history: History) -> Any:
    """`aggregate` with `event` applied unchecked, as the store's readers
    fold it (a refused event stands in the log, and what was decided after
    it was decided on it)."""
    if isinstance(event, Amendment):
        return fold([*history(), event])
    return event.mutate(aggregate)


def placed(aggregate: Aggregate | None, event: Recorded) -> type[Aggregate]:
    """The event's aggregate class, if the event may stand where it does on
    `aggregate`; else a DomainError naming what is out of place."""
    kind = aggregate_of(type(event))
    if isinstance(event, Submitted):
        require_its_own(kind, event.subject, event.originator_id)
    if isinstance(event, Founding):
        if aggregate is not None:
            raise AlreadyStarted(f"{_noun(kind, event)} is already {kind.STARTED}")
        if event.originator_topic != get_topic(kind):
            raise NotItsAggregate(f"{type(event).__name__} begins a {kind.NOUN}, not {event.originator_topic}")
        if event.originator_id != kind.id_for(subject := kind.named_by(event)):
            raise NotItsAggregate(
                f"{type(event).__name__} begins {kind.NOUN} {subject}, whose id is not {event.originator_id}"
            )
        if event.originator_version != kind.INITIAL_VERSION:
            raise VersionOutOfOrder(
                f"the first event of {_noun(kind, event)} is numbered {event.originator_version}, not 1"
            )
        return kind
    if aggregate is None:
        raise kind.not_started(event.subject if isinstance(event, Submitted) else str(event.originator_id))
    if type(aggregate) is not kind:
        raise NotItsAggregate(
            f"{type(event).__name__} is an event of a {kind.NOUN}, stored on {aggregate.NOUN} {aggregate.id}"
        )
    if event.originator_version != aggregate.version + 1:
        raise VersionOutOfOrder(
            f"version {event.originator_version} of {_noun(kind, event)} follows its version {aggregate.version}: "
            "each is the one before it plus one"
        )
    if event.key in aggregate.submissions:
        raise KeyRecordedTwice(
            f"key {event.key!r} is already recorded on {_noun(kind, event)}: the same key records nothing"
        )
    return kind


def _noun(kind: type[Aggregate], event: Recorded) -> str:
    subject = event.subject if isinstance(event, Submitted) else event.originator_id
    return f"{kind.NOUN} {subject}"
