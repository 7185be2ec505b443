"""The audit log: every stored event as a row, read from the log itself (not
from a view), in the order it was recorded, with who recorded it and when.
Rows are plain dicts, ready for a table or for JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic, resolve_topic

from domain.approval import Delegation, Proposal
from domain.base import Fact, Submitted
from domain.codes import partner_code
from domain.delivery import Delivery
from domain.dispatch import Dispatch
from domain.initiative import Initiative
from domain.meeting import Meeting
from domain.policies import PolicyRecord
from domain.rates import ExchangeRates
from domain.signing import SigningKey
from domain.task import FollowUpTask, TaskEvent
from domain.vocabulary import AMENDMENTS, UnknownEventType, all_types, amendment_classes, submission_class
from workflows.application.clock import shown_moment
from workflows.application.service import Accord
from workflows.audit.naming import Naming, in_words
from workflows.sentences import sentence
from workflows.store import chain

# Events Accord records itself, beside the submitted facts.
_OWN: list[type[Any]] = [
    *FollowUpTask.event_classes(),
    Dispatch.DispatchIssued,
    *Delivery.event_classes(),
    # The four-eyes circuit: proposals, their decisions, delegations.
    *Proposal.event_classes(),
    *Delegation.event_classes(),
    # The policy in force, recorded with the first act under it.
    *PolicyRecord.event_classes(),
]
OWN_EVENTS: dict[str, type[Any]] = {cls.__name__: cls for cls in _OWN}
# The types of facts people submit (not their corrections and retractions).
FACTS: tuple[str, ...] = tuple(name for name in all_types() if name not in AMENDMENTS)


def event_classes(type_name: str) -> list[type[Any]]:
    """The classes of a submitted or an Accord-recorded event type, by name
    (an amendment's: one on each kind of record)."""
    if type_name in OWN_EVENTS:
        return [OWN_EVENTS[type_name]]
    if type_name in AMENDMENTS:
        return [cls for cls in amendment_classes() if cls.__name__ == type_name]
    try:
        return [submission_class(type_name).event_class]
    except UnknownEventType:
        known = ", ".join(sorted([*all_types(), *OWN_EVENTS]))
        raise UnknownEventType(f"unknown event type {type_name!r}; known types: {known}") from None


def event_row(
    event: Any, position: int | None = None, naming: Naming | None = None, zone: tzinfo | None = None
) -> dict[str, Any]:
    """A fact, or an event Accord recorded itself (a task's, a dispatch), as
    a row: the records it refers to named by `naming`, if given; for people
    in the business time `zone`, if given (`in_words`), else for machines."""
    state = event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
    return stored_row(type(event), state, event.originator_id, position, naming, zone)


def stored_row(
    cls: type[Any],
    state: dict[str, Any],
    originator_id: UUID,
    position: int | None,
    naming: Naming | None = None,
    zone: tzinfo | None = None,
) -> dict[str, Any]:
    """`event_row` of an event as stored (its class and its state, JSON
    values, not validated again): the audit log shows every record the log
    holds, one an earlier version stored in a shape the class no longer
    takes included."""
    get = state.get
    if issubclass(cls, Submitted):
        subject = get("partner") or ",".join(get("partners") or ()) or str(get(cls.SUBJECT, ""))
    elif cls is Dispatch.DispatchIssued:
        subject = f"{get('kind')} for {get('recipient')}, {get('period')}"
    elif cls is Delivery.DeliveryRequested:
        subject = f"{get('about')} to {get('owner')} by {get('channel')}"
    elif cls in _DELIVERY_EVENTS:
        subject = f"delivery {str(originator_id)[:8]}"
    elif cls in _KEY_EVENTS:
        subject = f"key {get('key_id')}"
    elif cls is ExchangeRates.ExchangeRatesPublished:
        subject = f"{get('source')}, {get('published_on')}"
    else:
        subject = get("partner") or f"task {str(originator_id)[:8]}"
    row: dict[str, Any] = {}
    if position is not None:
        row["position"] = position
    row.update(
        {
            "recorded_at": stamped(state).isoformat(timespec="seconds"),
            "actor": get("actor", ""),
            "type": cls.__name__,
            "occurred_on": str(get("occurred_on", "")) if issubclass(cls, Fact) else "",
            "subject": subject,
            "summary": sentence(
                cls.__name__, state, naming.names(cls.__name__, state, originator_id) if naming else None
            ),
            "key": get("key", ""),
        }
    )
    if naming is None or zone is None:
        return row
    return in_words(row, cls.__name__, state, originator_id, naming, zone)


_DELIVERY_EVENTS = frozenset(Delivery.event_classes())
_KEY_EVENTS = frozenset(SigningKey.event_classes())


def stamped(state: dict[str, Any]) -> datetime:
    """When a stored event was recorded, from its state."""
    return _moment(state["timestamp"])


@lru_cache(maxsize=1024)
def _moment(text: str) -> datetime:
    # Remembered: the events of one submission share their moment.
    return datetime.fromisoformat(text)


def shared_naming(app: Accord, partner: str) -> set[UUID]:
    """The meetings and initiatives whose agenda names the partner."""
    founding: list[type[Any]] = [Meeting.MeetingScheduled, Initiative.InitiativeAnnounced]
    return {event.originator_id for event in app.facts_of_types(founding) if partner in event.partners}


def audit_rows(
    app: Accord,
    partner: str | None = None,
    type_name: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    start: int = 1,
    stop: int | None = None,
    types: Sequence[str] = (),
    zone: tzinfo | None = None,
) -> Iterator[dict[str, Any]]:
    """Every stored event in the order it was recorded, with who and when:
    the facts people submitted and what Accord recorded itself (tasks opened
    and changed, reminders, escalations, digests and briefings issued); on
    or naming a partner, of a type, recorded from `since` to `until`, if
    given (or of any of `types`); from position `start` on (to `stop`); for
    people in the business time `zone`, if given, else for machines."""
    naming = Naming(app)
    names = [type_name] if type_name else list(types)
    topics = [get_topic(cls) for name in names for cls in event_classes(name)]
    if partner:
        partner = partner_code(partner)
        shared = shared_naming(app, partner)
        # Later task events do not name the partner: their task's opening does.
        tasks = app.reader.tasks.ids_of(partner)
    for notification in app.notifications(topics=topics, start=start, stop=stop):
        cls, state = app.views.db.mapper.to_state(notification)
        if (since and stamped(state) < since) or (until and stamped(state) > until):
            continue
        if partner:
            if issubclass(cls, TaskEvent):
                if str(notification.originator_id) not in tasks:
                    continue
            elif state.get("partner") != partner and notification.originator_id not in shared:
                continue
        yield stored_row(cls, state, notification.originator_id, notification.id, naming, zone)


def recorded_span(app: Accord) -> tuple[datetime, datetime] | None:
    """When the log's first and last records were recorded (none: an empty log)."""
    head = app.head()
    if not head:
        return None
    [first] = app.recorder.select_notifications(1, 1)
    [last] = app.recorder.select_notifications(head, 1)
    mapper = app.views.db.mapper
    return stamped(mapper.to_state(first)[1]), stamped(mapper.to_state(last)[1])


def nothing_found(
    app: Accord,
    zone: tzinfo,
    partner: str | None = None,
    type_name: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """Why the audit log shows no row: what was asked, and what the log
    holds. Its window is of recording time, which a newcomer may read as
    the dates of the facts."""
    span = recorded_span(app)
    if span is None:
        return "nothing recorded yet"
    what = f"no {type_name} event" if type_name else "nothing"
    if partner:
        what += f" on or naming {partner_code(partner)}"
    if since and until:
        what += f" was recorded between {shown_moment(since)} and {shown_moment(until)}"
    elif since:
        what += f" was recorded at or after {shown_moment(since)}"
    elif until:
        what += f" was recorded at or before {shown_moment(until)}"
    else:
        what += " was recorded"
    first, last = (shown_moment(moment.astimezone(zone)) for moment in span)
    window = "recording time; " if since or until else ""
    return f"{what} ({window}the log holds records from {first} to {last})"


def event_at(
    app: Accord, position: int, zone: tzinfo | None = None
) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """The event at a position of the log: its row (for people in `zone`,
    if given), the whole event as JSON, and the digest the chain holds for
    it (which covers every record before it)."""
    event = app.event_at(position)
    return (
        event_row(event, position, Naming(app), zone),
        event.model_dump(mode="json"),
        chain.digest_at(app.views.db, position),
    )


# How much later than its stamp a record may be stored (a submission decided,
# then retried for as long as Accord retries): records are found by their
# stamps in position order, looking this much wider, then exactly.
SLACK = timedelta(minutes=5)


def first_stamped(app: Accord, moment: datetime) -> int:
    """The first position of the log whose record is stamped at or after
    `moment` (past the head: none), found by halving the log: stamps rise
    with positions, but for records stored within SLACK of each other."""
    low, high = 1, app.head() + 1
    while low < high:
        found = app.recorder.select_notifications((low + high) // 2, 1)
        if not found or found[0].id >= high:
            high = (low + high) // 2
            continue
        if stamped(app.views.db.mapper.to_state(found[0])[1]) >= moment:
            high = (low + high) // 2
        else:
            low = found[0].id + 1
    return low


def recorded_between(app: Accord, since: datetime, until: datetime) -> tuple[int, Counter[str]]:
    """Where to read the records stamped from `since` to `until` (a
    position before which none is), and how many of each type there are:
    the records within SLACK of either end read one by one, those between
    counted by the database without reading them."""
    start = first_stamped(app, since - SLACK)
    counts: Counter[str] = Counter()
    inside_from, inside_to = first_stamped(app, since + SLACK), first_stamped(app, until - SLACK)
    if inside_from < inside_to:
        for topic, count in app.views.db.topic_counts(inside_from, inside_to - 1).items():
            counts[resolve_topic(topic).__name__] += count
        edges = [(start, inside_from - 1), (inside_to, first_stamped(app, until + SLACK) - 1)]
    else:
        edges = [(start, first_stamped(app, until + SLACK) - 1)]
    for first, last in edges:
        for notification in app.notifications(start=first, stop=last):
            cls, state = app.views.db.mapper.to_state(notification)
            if since <= stamped(state) <= until:
                counts[cls.__name__] += 1
    return start, counts
