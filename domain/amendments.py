"""Corrections and retractions: facts about earlier facts.

The log is append-only and chained, so a fact recorded in error is never
changed or deleted. A later event on the same aggregate says which of its
fields were wrong and what they should be (FactCorrected), or that it should
not have been recorded at all (FactRetracted), and why. What the aggregate,
the views, the rules and the replays go by is the *effective* history: every
fact as corrected since, those retracted left out. The log keeps both, so a
replay as known at a moment before the correction shows the old value.

An amendment is decided by folding the aggregate's whole history again with
it, every rule checked anew: a commitment cannot be corrected below what was
paid out on it, nor a launch retracted while rounds of its dialogue stand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from pydantic import Field, ValidationError, create_model

from domain.base import ENVELOPE, Aggregate, Fact, Founding, Recorded, Submitted, _envelope
from domain.errors import (
    CorrectionBreaksRecord,
    CorrectionInvalid,
    DomainError,
    FactAlreadyRetracted,
    FactNotRecorded,
)
from domain.recorded import RECORDED
from domain.text import Name, Text
from domain.values import Stamp
from domain.vocabulary import AMENDMENTS, describe

# The names people submit them by, whatever the aggregate.
CORRECTED, RETRACTED = AMENDMENTS

Target = Annotated[
    Name,
    Field(
        min_length=1,
        description="The key of the fact it amends: the `id` it was submitted with, as `audit log` shows it",
    ),
]


class Amendment(Submitted):
    """An event that amends an earlier fact of its aggregate. Its effect is
    in `fold`: the aggregate's own state changes only by its facts."""

    AMENDS = True

    if TYPE_CHECKING:
        target: str
        reason: str

    def check(self, aggregate: Any) -> None:
        """Decided by `amend`, which has the aggregate's history."""


class Correction(Amendment):
    """Corrects named fields of an earlier fact."""

    if TYPE_CHECKING:
        changes: dict[str, Any]


class Retraction(Amendment):
    """Withdraws an earlier fact, recorded in error."""


# Each kind's own fields, after the aggregate's subject field.
_FIELDS: dict[type[Amendment], dict[str, Any]] = {
    Correction: {
        "target": (Target, ...),
        "changes": (
            dict[str, Any],
            Field(
                min_length=1,
                description='The fields that were wrong and their right values, e.g. {"amount": "EUR 900000"}',
            ),
        ),
        "reason": (Text, Field(min_length=1, description="Why it is corrected")),
    },
    Retraction: {
        "target": (Target, ...),
        "reason": (Text, Field(min_length=1, description="Why it is withdrawn: how it came to be recorded in error")),
    },
}
_DOCS = {
    Correction: "Corrects named fields of an earlier fact on the same {noun}: the record goes by the new values "
    "from then on, and the log keeps both.",
    Retraction: "Withdraws an earlier fact on the same {noun}, recorded in error: the record leaves it out from "
    "then on, and the log keeps both.",
}


def amendable(aggregate: type[Aggregate]) -> None:
    """Give an aggregate that takes facts its FactCorrected and FactRetracted,
    each naming the aggregate by its facts' subject field (`partner`...).
    Set on the class after its body: the library would otherwise redefine
    them as its facts, with a date and pillars."""
    subject = aggregate.Event.SUBJECT  # type: ignore[attr-defined]
    info = aggregate.Event.model_fields[subject]
    for kind, name in ((Correction, CORRECTED), (Retraction, RETRACTED)):
        made: type[Amendment] = create_model(  # type: ignore[call-overload]
            name,
            __base__=kind,
            __module__=aggregate.__module__,
            __doc__=_DOCS[kind].format(noun=aggregate.NOUN),
            **{subject: (info.annotation, info)},
            **_FIELDS[kind],
        )
        made.__qualname__ = f"{aggregate.__qualname__}.{name}"
        made.SUBJECT = subject  # type: ignore[attr-defined]
        setattr(aggregate, name, made)


@dataclass(frozen=True)
class Fix:
    """What the amendments of one fact say, all taken together: its
    corrected fields' values (the later correction of a field winning), or
    None once it is retracted; and when the last of them was recorded."""

    changes: dict[str, Any] | None
    at: datetime

    def then(self, amendment: Amendment) -> Fix:
        return Fix(merged(self.changes, getattr(amendment, "changes", None)), amendment.timestamp)


def merged(before: dict[str, Any] | None, changes: dict[str, Any] | None) -> dict[str, Any] | None:
    """A fact's fix after one more amendment: `changes` of a correction
    (None for a retraction). A later value of a field wins; a retraction is
    final."""
    return None if before is None or changes is None else {**before, **changes}


def fixes(events: Iterable[Recorded]) -> dict[tuple[UUID, str], Fix]:
    """The fix of every amended fact among `events`, by (aggregate, key)."""
    found: dict[tuple[UUID, str], Fix] = {}
    for event in events:
        if isinstance(event, Amendment):
            place = (event.originator_id, event.target)
            found[place] = found.get(place, Fix({}, event.timestamp)).then(event)
    return found


def amended(fact: Fact, fix: Fix | None) -> Fact | None:
    """The fact as its amendments leave it: corrected, as it was, or None."""
    if fix is None:
        return fact
    if fix.changes is None:
        return None
    # Validated as stored facts are: the values were checked when corrected.
    return type(fact).model_validate({**fact.model_dump(mode="json"), **fix.changes}, context=RECORDED)


def effective(history: Sequence[Recorded]) -> list[Fact]:
    """An aggregate's facts as they now stand, in the order recorded."""
    found = fixes(history)
    facts = [amended(e, found.get((e.originator_id, e.key))) for e in history if isinstance(e, Fact)]
    return [fact for fact in facts if fact is not None]


def fold(history: Sequence[Recorded], *, checked: bool = False) -> Any:
    """The aggregate of an amended history: each fact applied as corrected
    since, retracted ones and the amendments only counted (they stand in the
    log, at their versions, under their keys). `checked`: each fact's rules
    checked anew, a corrected one as of its latest correction (a date it is
    corrected to may be later than when it was first recorded)."""
    found = fixes(history)
    aggregate: Any = None
    for event in history:
        fix = found.get((event.originator_id, event.key)) if isinstance(event, Fact) else None
        fact = amended(event, fix) if isinstance(event, Fact) else None
        if fact is None:
            if aggregate is None:
                raise CorrectionBreaksRecord("the first fact of a record cannot be retracted")
            aggregate.version = event.originator_version
            aggregate.modified_on = event.timestamp
            aggregate.submissions.add(event.key)
            continue
        if checked:
            as_checked = fact if fix is None else fact.model_copy(update={"timestamp": fix.at})
            as_checked.check(aggregate)
        aggregate = fact.mutate(aggregate)
    return aggregate


def amend(
    kind: type[Aggregate],
    history: Sequence[Recorded],
    event_class: type[Amendment],
    facts: Mapping[str, Any],
    stamp: Stamp,
) -> Any:
    """Decide an amendment of a fact in `history` (every event of its
    aggregate so far, in order): the aggregate folded again with it, every
    rule checked anew, the amendment its pending event. Raises a DomainError
    that says what it would break."""
    subject = str(facts[event_class.SUBJECT])
    if not history:
        raise kind.not_started(subject)
    values = dict(facts)
    if issubclass(event_class, Correction):
        target = str(facts["target"])
        _, current = _standing(kind, history, target, subject)
        values["changes"] = _changes(current, values["changes"], target)
    last = history[-1]
    event = event_class(**_envelope(last.originator_id, last.originator_version + 1, stamp), **values)
    aggregate = amended_by(kind, history, event)
    aggregate.pending_events.append(event)
    return aggregate


def amended_by(
    kind: type[Aggregate], history: Sequence[Recorded], event: Amendment, *, context: dict[str, Any] | None = None
) -> Any:
    """The aggregate of `history` (every event of it before `event`, in
    order) folded again with the amendment `event`, every rule checked anew:
    what `amend` decides a new amendment by, and `audit verify` one the log
    holds (`context` RECORDED: its values judged as they were recorded,
    domain.recorded). Raises a DomainError that says what it would break."""
    subject = event.subject
    if not history:
        raise kind.not_started(subject)
    target = event.target
    fact, current = _standing(kind, history, target, subject)
    if isinstance(event, Correction):
        _changes(current, event.changes, target, context)
    elif isinstance(fact, Founding):
        raise CorrectionBreaksRecord(
            f"fact {target!r} ({type(fact).__name__}) began the record of {kind.NOUN} {subject}: it can be "
            "corrected, not retracted"
        )
    try:
        return fold([*history, event], checked=True)
    except DomainError as error:
        verb = "correcting" if isinstance(event, Correction) else "retracting"
        raise CorrectionBreaksRecord(
            f"{verb} fact {target!r} ({type(fact).__name__}) would break the record: {error}"
        ) from None


def _standing(kind: type[Aggregate], history: Sequence[Recorded], target: str, subject: str) -> tuple[Fact, Fact]:
    """The fact an amendment names, and the fact as its earlier amendments
    leave it; a DomainError if there is none, or it is retracted."""
    noun = f"{kind.NOUN} {subject}"
    fact = _target(history, target, noun)
    current = amended(fact, fixes(history).get((fact.originator_id, target)))
    if current is None:
        raise FactAlreadyRetracted(f"fact {target!r} ({type(fact).__name__}) on {noun} is retracted")
    return fact, current


def _target(history: Sequence[Recorded], key: str, noun: str) -> Fact:
    for event in history:
        if isinstance(event, Fact) and event.key == key:
            return event
    raise FactNotRecorded(f"no fact with key {key!r} is recorded on {noun}")


def _changes(
    fact: Fact, changes: Mapping[str, Any], target: str, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The corrected fields' values, as the fact's own fields check them
    (in `context`) and as the log keeps them; only those that change."""
    kind = type(fact)
    own = [name for name in kind.model_fields if name not in ENVELOPE and name != kind.SUBJECT]
    where = f"correcting fact {target!r} ({kind.__name__})"
    if kind.SUBJECT in changes:
        raise CorrectionInvalid(
            f"{where}: its {kind.SUBJECT} cannot be corrected: retract it and record it on the right one"
        )
    unknown = sorted(set(changes) - set(own))
    if unknown:
        raise CorrectionInvalid(
            f"{where}: {kind.__name__} has no field {', '.join(map(repr, unknown))}; its fields: {', '.join(own)}"
        )
    stored = fact.model_dump(mode="json")
    try:
        corrected = kind.model_validate({**stored, **changes}, context=context)
    except ValidationError as error:
        raise CorrectionInvalid(f"{where}: " + "; ".join(describe(error))) from None
    values = corrected.model_dump(mode="json", include=set(changes))
    moved = {name: value for name, value in values.items() if value != stored[name]}
    if not moved:
        held = "already holds that value" if len(changes) == 1 else "already hold those values"
        raise CorrectionInvalid(f"{where}: it changes nothing: {', '.join(sorted(changes))} {held}")
    return moved


def amendments_of(kind: type[Aggregate]) -> tuple[type[Amendment], type[Amendment]]:
    """An aggregate's FactCorrected and FactRetracted."""
    return getattr(kind, CORRECTED), getattr(kind, RETRACTED)
