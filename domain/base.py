"""What every aggregate and event of Accord has in common.

Events are immutable pydantic models, so that their public shape (JSON
Schema, command-line options) and their stored shape are one definition.
Each event class carries its rule (`check`) beside its effect (`apply`): an
aggregate checks the rule, raises a named error if it is broken, and only then
records the event.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Annotated, Any, ClassVar, Self, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate as LibraryAggregate
from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from domain.errors import AlreadyStarted, DomainError, FutureDated, NotItsAggregate
from domain.recorded import RECORDED
from domain.text import Notes
from domain.values import EventDate, Pillar, Stamp

NAMESPACE = UUID("5d8c8f9e-2b61-4a8e-9a57-0c1f3c6a7e21")

# Fields every stored event carries that the submitter does not write.
ENVELOPE = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "key"})

Ref = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="A short reference of your choice, unique within its partnership (letters, digits, . _ : / -)",
    ),
]


class Recorded(BaseModel, CanMutateAggregate[UUID]):
    """The envelope of every stored event: position, when and by whom recorded."""

    # Schemas are built on first use, so that `accord --help` starts fast.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # Whether it amends an earlier fact (domain.amendments).
    AMENDS: ClassVar[bool] = False

    originator_id: UUID
    originator_version: int
    timestamp: datetime = Field(description="When Accord recorded it (UTC)")
    actor: str = Field(description="Who recorded it")
    key: str = Field(description="The submission key; one key is recorded once")

    @classmethod
    def of_validated(cls, values: dict[str, Any]) -> Self:
        """The event from values of every field, each already as its field
        validates it: a submission's (its model has the event's own fields and
        checks) with the envelope Accord makes. What pydantic's model_construct
        makes, without the loop over the fields that costs it as much as
        validating again: a tenth of recording a fact."""
        event = cls.__new__(cls)
        # Given in the fields' order, as validation leaves them: JSON is
        # written in it (test_vocabulary checks each type's).
        object.__setattr__(event, "__dict__", values)
        object.__setattr__(event, "__pydantic_fields_set__", set(values))
        object.__setattr__(event, "__pydantic_extra__", None)
        object.__setattr__(event, "__pydantic_private__", None)
        return event

    def check(self, aggregate: Any) -> None:
        """Raise a DomainError if this event may not be recorded on `aggregate`."""

    def mutate(self, aggregate: Any) -> Any:
        aggregate = super().mutate(aggregate)
        aggregate.submissions.add(self.key)
        return aggregate


class Submitted(Recorded):
    """What people submit, each under a key: facts, and the amendments that
    correct or retract them (domain.amendments)."""

    # The field that names the aggregate it belongs to (partner, meeting...).
    SUBJECT: ClassVar[str]

    @property
    def subject(self) -> str:
        return str(getattr(self, self.SUBJECT))

    @classmethod
    def partners_named(cls, values: Mapping[str, Any]) -> tuple[str, ...]:
        """The partners a fact of this type with these values names, whose
        partnerships must be opened (domain.partnership.require_opened): the
        partners it lists, if it lists any."""
        return tuple(values.get("partners", ()))


class Fact(Submitted):
    """A fact that people submit: when it happened, what it serves, notes."""

    occurred_on: EventDate = Field(
        description="When it happened: YYYY-MM-DD, or YYYY-MM or YYYY when only the month or year is known"
    )
    pillars: tuple[Pillar, ...] = Field(default=(), description="Pillars of the partnership it serves")
    notes: Notes = Field(default="", description="Free-text notes")

    def check(self, aggregate: Any) -> None:
        if self.occurred_on.earliest > latest_calendar_day(self.timestamp):
            raise FutureDated(
                f"occurred_on {self.occurred_on} is after the moment it is recorded "
                f"({self.timestamp:%Y-%m-%d %H:%M} UTC)"
            )


class Founding(CanInitAggregate[UUID]):
    """Mixed into the first event of an aggregate."""

    originator_topic: str


@lru_cache(maxsize=64)
def latest_calendar_day(moment: datetime) -> date:
    """The latest date anywhere on Earth at `moment` (UTC+14), so that no time
    zone can make a fact dated "today" look like the future."""
    return (moment.astimezone(UTC) + timedelta(hours=14)).date()


@lru_cache(maxsize=65_536)
def _aggregate_id(kind: str, subject: str) -> UUID:
    # Remembered: a batch names the same few subjects thousands of times.
    return uuid5(NAMESPACE, f"{kind}/{normalise(subject)}")


def normalise(subject: str) -> str:
    """Case, accents and spacing do not make a different subject."""
    # Runs of whitespace as one space: what re.sub(r"\s+", " ", ...).strip()
    # gives (the same whitespace), at a third of the cost; every task's id
    # passes here.
    return " ".join(unicodedata.normalize("NFKC", subject).casefold().split())


TAggregate = TypeVar("TAggregate", bound="Aggregate")


class Aggregate(LibraryAggregate):
    """An eventsourcing aggregate whose events are pydantic models."""

    # What to call a missing aggregate in an error ("partnership TN is not opened").
    NOUN: ClassVar[str] = "aggregate"
    STARTED: ClassVar[str] = "started"

    class Event(Recorded):
        pass

    class Created(Recorded, Founding):
        pass

    class State(TypedDict):
        """What a snapshot keeps of the aggregate, with its types: an
        aggregate that is snapshotted lists every attribute it sets, but
        `submissions` (the store's key index holds every key)."""

        _created_on: datetime
        _modified_on: datetime

    def __base_init__(self, originator_id: Any, originator_version: int, timestamp: datetime) -> None:
        super().__base_init__(originator_id, originator_version, timestamp)
        # The keys of the events this object has applied: every key, when it
        # was replayed from its first event; those since, when it was loaded
        # from a snapshot. A key recorded once is not recorded again.
        self.submissions: set[str] = set()

    @classmethod
    def event_classes(cls) -> tuple[type[Recorded], ...]:
        """The events declared in the aggregate's body, in order: not its
        `Event` base, nor the `Created` the library adds."""
        return tuple(
            value
            for name, value in vars(cls).items()
            if isinstance(value, type) and issubclass(value, Recorded) and name not in ("Event", "Created")
        )

    @classmethod
    def fact_classes(cls) -> tuple[type[Fact], ...]:
        """The facts people submit on the aggregate, in order: its events
        but those Accord records itself."""
        return tuple(event for event in cls.event_classes() if issubclass(event, Fact))

    @classmethod
    def id_for(cls, subject: str) -> UUID:
        """The aggregate's id, derived from its subject so that it is found again."""
        return _aggregate_id(cls.__name__, subject)

    @classmethod
    def named_by(cls, first: Any) -> str:
        """The subject the aggregate's first event names it by, from which
        its id is derived (`start`): a fact's subject field."""
        return str(first.subject)

    @classmethod
    def not_started(cls, subject: str) -> DomainError:
        return DomainError(f"{cls.NOUN} {subject} is not {cls.STARTED}")

    @classmethod
    def start(
        cls,
        event_class: type[Recorded],
        subject: str,
        facts: Mapping[str, Any],
        stamp: Stamp,
        *,
        validated: bool = False,
    ) -> Self:
        """Create the aggregate from its first event; `validated`: the facts
        are a submission's, validated by the event's own fields."""
        envelope = _envelope(cls.id_for(subject), cls.INITIAL_VERSION, stamp, topic=get_topic(cls))
        event = _event(event_class, envelope, facts, validated)
        event.check(None)
        aggregate: Self = event.mutate(None)
        aggregate.pending_events.append(event)
        return aggregate

    def record(
        self, event_class: type[Recorded], facts: Mapping[str, Any], stamp: Stamp, *, validated: bool = False
    ) -> bool:
        """Record one event if its rule allows; False if its key was recorded
        before. `validated`: as for `start`."""
        if stamp.key in self.submissions:
            return False
        event = _event(event_class, _envelope(self.id, self.version + 1, stamp), facts, validated)
        event.check(self)
        event.mutate(self)
        self.pending_events.append(event)
        return True


class Snapshot(BaseModel):
    """An aggregate's state at one version, so that loading it replays only
    the events after (the library's snapshot, as a pydantic model). The state
    is JSON, typed by the aggregate's `State`: it comes back exactly, but for
    the keys the aggregate recorded, which the store's key index holds."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    # A snapshot amends nothing (see Recorded.AMENDS).
    AMENDS: ClassVar[bool] = False

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    topic: str
    state: dict[str, Any]
    # Where the chained log stood at this version, as the store found it when
    # keeping the snapshot: the log position of the aggregate's event at this
    # version, the chain's digest there, and a digest over the whole snapshot
    # with them (workflows.store.snapshots). A load uses the snapshot only if
    # the chain still holds that digest at that position for that event, and
    # the digest matches. None: taken before snapshots were proven, or not
    # kept yet.
    position: int | None = None
    chained: str | None = None
    digest: str | None = None
    # On a store whose records are signed, the key that took the snapshot
    # and its signature of the digest (hex): without it, anyone who can
    # write the table could work a forged snapshot's digest out again.
    signed_by: str | None = None
    signature: str | None = None

    @classmethod
    def take(cls, aggregate: Aggregate) -> Snapshot:
        kind = type(aggregate)
        state = {name: value for name, value in vars(aggregate).items() if name not in _NOT_KEPT}
        encoded = _state_schema(kind).dump_python(state, mode="json")
        class_version = getattr(kind, "class_version", 1)
        if class_version > 1:
            encoded["class_version"] = class_version
        return cls(
            originator_id=aggregate.id,
            originator_version=aggregate.version,
            # The moment of its last event: a snapshot needs no clock.
            timestamp=aggregate.modified_on,
            topic=get_topic(kind),
            state=encoded,
        )

    def mutate(self, _: None) -> Aggregate:
        """The aggregate as it was at this version (upcast, as its events are,
        by `upcast_vN_vN+1` on the aggregate class)."""
        kind = resolve_topic(self.topic)
        if not (isinstance(kind, type) and issubclass(kind, Aggregate)):
            raise TypeError(f"the snapshot of {self.originator_id} names {self.topic!r}, which is not an aggregate")
        state = dict(self.state)
        # Snapshots taken before the key index kept the keys as well.
        state.pop("submissions", None)
        version = state.pop("class_version", 1)
        while version < getattr(kind, "class_version", 1):
            getattr(kind, f"upcast_v{version}_v{version + 1}")(state)
            version += 1
        aggregate = object.__new__(kind)
        aggregate.__dict__.update(
            _state_schema(kind).validate_python(state, context=RECORDED),
            _id=self.originator_id,
            _version=self.originator_version,
            _pending_events=[],
            submissions=set(),
        )
        return aggregate


# What a snapshot's state leaves out: the library's attributes it carries in
# its envelope, or not at all, and the keys (the store indexes them).
_NOT_KEPT = frozenset({"_id", "_version", "_pending_events", "submissions"})


@cache
def _state_schema(kind: type[Aggregate]) -> TypeAdapter[Any]:
    return TypeAdapter(kind.State)


def _event(event_class: type[Recorded], envelope: dict[str, Any], facts: Mapping[str, Any], validated: bool) -> Any:
    if validated:
        return event_class.of_validated({**envelope, **facts})
    return event_class(**envelope, **facts)


def _envelope(aggregate_id: UUID, version: int, stamp: Stamp, topic: str | None = None) -> dict[str, Any]:
    """The fields Accord adds to a fact, in the order of an event's fields
    (a first event's `originator_topic` after its timestamp)."""
    envelope = {"originator_id": aggregate_id, "originator_version": version, "timestamp": stamp.at}
    if topic is not None:
        envelope["originator_topic"] = topic
    envelope.update(actor=stamp.actor, key=stamp.key)
    return envelope


def require_its_own(kind: type[Aggregate], subject: str, aggregate_id: UUID) -> None:
    """A fact on `subject` is recorded on the aggregate its subject names."""
    if aggregate_id != kind.id_for(subject):
        raise NotItsAggregate(f"a fact on {subject} cannot be recorded on {kind.NOUN} {aggregate_id}")


def record_fact(
    aggregate: TAggregate | None,
    aggregate_class: type[TAggregate],
    event_class: type[Submitted],
    facts: Mapping[str, Any],
    stamp: Stamp,
    *,
    validated: bool = False,
) -> tuple[TAggregate, bool]:
    """Record a submitted fact on its aggregate, starting it with its first event.

    Returns the aggregate and whether anything new was recorded: a key that was
    recorded before records nothing and is not an error. `validated`: the
    facts are a submission's (`Submission.facts()`), so the event is built
    from them as they are.
    """
    subject = str(facts[event_class.SUBJECT])
    if aggregate is not None:
        require_its_own(aggregate_class, subject, aggregate.id)
    if aggregate is not None and stamp.key in aggregate.submissions:
        return aggregate, False
    if issubclass(event_class, Founding):
        if aggregate is not None:
            raise AlreadyStarted(f"{aggregate_class.NOUN} {subject} is already {aggregate_class.STARTED}")
        return aggregate_class.start(event_class, subject, facts, stamp, validated=validated), True
    if aggregate is None:
        raise aggregate_class.not_started(subject)
    return aggregate, aggregate.record(event_class, facts, stamp, validated=validated)
