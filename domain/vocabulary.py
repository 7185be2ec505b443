"""The public event vocabulary: what a person may submit, and in what shape.

A submission's shape is derived from its event class (the event's fields less
the envelope Accord adds when storing it), so the JSON Schema, the
command-line options and the stored events can never disagree.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any, ClassVar, Literal

from eventsourcing.utils import resolve_topic
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo

from domain.base import ENVELOPE, Aggregate, Fact, Submitted
from domain.errors import DomainError
from domain.text import Name


class Submission(BaseModel):
    """One fact as a person submits it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # Set on each derived class.
    event_class: ClassVar[type[Submitted]]
    aggregate_class: ClassVar[type[Aggregate]]

    id: Name | None = Field(
        default=None,
        min_length=1,
        description=(
            "Submission key: the same key is recorded once on its partnership (or meeting, initiative, "
            "instrument, indicator). Default: a digest of the content"
        ),
    )

    # Set on each derived class: the event's own fields.
    fact_fields: ClassVar[tuple[str, ...]]

    def facts(self) -> dict[str, Any]:
        """The event's own fields, as validated values."""
        values = self.__dict__
        return {name: values[name] for name in self.fact_fields}

    @property
    def subject(self) -> str:
        return str(getattr(self, self.event_class.SUBJECT))

    @property
    def type_name(self) -> str:
        """The type it is submitted as (one name for an amendment of any record)."""
        return self.event_class.__name__

    @property
    def key(self) -> str:
        """The user's id, else a digest of the canonical content."""
        if self.id is not None:
            return self.id
        content = self.model_dump(mode="json", exclude={"id"})
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


# The aggregates people record facts on, where each is defined, and the facts
# it takes: a submission imports its own aggregate's module only (a meeting's
# and an initiative's classes cost a fifth of a submission's start-up).
# test_vocabulary checks this against the classes.
FACTS: dict[str, tuple[str, ...]] = {
    "domain.partnership:Partnership": (
        "PartnershipOpened",
        "VisitPlanned",
        "VisitHeld",
        "DialogueLaunched",
        "DialogueRoundHeld",
        "FundingCommitted",
        "FundingIncreased",
        "FundingDisbursed",
        "FundingDecommitted",
        "CommitmentRecorded",
        "CommitmentFulfilled",
        "CommitmentLapsed",
        "StatementReaffirmed",
        "OperationLaunched",
        "TalentPartnershipLaunched",
        "ArrivalsReported",
        "PartnershipNoteAdded",
    ),
    "domain.meeting:Meeting": ("MeetingScheduled", "MeetingHeld"),
    "domain.initiative:Initiative": ("InitiativeAnnounced", "InitiativeAdvanced"),
    "domain.initiative:Instrument": ("FundingEnvelopeSet",),
    "domain.indicator:Indicator": ("IndicatorDefined", "BaselineSet", "TargetSet", "ActualReported"),
}


def aggregates() -> list[type[Aggregate]]:
    """Every aggregate people record facts on (each module imported)."""
    return [resolve_topic(where) for where in FACTS]


def amendment_classes() -> list[type[Submitted]]:
    """Every aggregate's FactCorrected and FactRetracted (domain.amendments)."""
    return [getattr(aggregate, name) for aggregate in aggregates() for name in AMENDMENTS]


def own_fields(event_class: type[BaseModel]) -> dict[str, FieldInfo]:
    """The fields of an event that a person submits: all but the envelope."""
    return {name: info for name, info in event_class.model_fields.items() if name not in ENVELOPE}


def _submission_model(
    name: str, event_class: type[Submitted], aggregate: type[Aggregate], model_name: str | None = None
) -> type[Submission]:
    fields: dict[str, Any] = {"type": (Literal[name], Field(description="The event type"))}
    fields.update({field_name: (info.annotation, info) for field_name, info in own_fields(event_class).items()})
    # The event's own checks across fields (a period that ends before it
    # starts), so that a file's bad line is named with the others, not found
    # only when its event is built.
    validators: dict[str, Any] = {
        f"_event{validator}": model_validator(mode=decorator.info.mode)(decorator.func)
        for validator, decorator in event_class.__pydantic_decorators__.model_validators.items()
    }
    # getdoc: the docstring without its indentation, as help shows it.
    model = create_model(
        model_name or name,
        __base__=Submission,
        __doc__=inspect.getdoc(event_class),
        __validators__=validators,
        **fields,
    )
    model.event_class = event_class
    model.aggregate_class = aggregate
    model.fact_fields = tuple(name for name in fields if name != "type")
    return model


class Vocabulary(Mapping[str, type[Submission]]):
    """Every event type people submit, by name, each model built when first
    asked for: one submission needs one of them, and building them all costs
    a command a tenth of its start-up."""

    def __init__(self, facts: Mapping[str, Iterable[str]]) -> None:
        self._where = {name: where for where, names in facts.items() for name in names}
        self._models: dict[str, type[Submission]] = {}

    def __getitem__(self, name: str) -> type[Submission]:
        model = self._models.get(name)
        if model is None:
            event_class, aggregate = self.event(name)
            model = self._models[name] = _submission_model(name, event_class, aggregate)
        return model

    def event(self, name: str) -> tuple[type[Fact], type[Aggregate]]:
        """The event class a type records, and the aggregate it is recorded
        on, without building its submission model; KeyError if unknown."""
        aggregate: type[Aggregate] = resolve_topic(self._where[name])
        return getattr(aggregate, name), aggregate

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


VOCABULARY = Vocabulary(FACTS)


class UnknownEventType(DomainError, ValueError):
    """A submission whose type is not in the vocabulary."""


# Amendments (domain.amendments) are submitted under one name whatever the
# record of the fact they amend: the field naming it says which.
AMENDMENTS = ("FactCorrected", "FactRetracted")


def all_types() -> list[str]:
    """Every type people submit: the facts and the amendments."""
    return sorted([*VOCABULARY, *AMENDMENTS])


@cache
def amendment_models() -> dict[str, dict[str, type[Submission]]]:
    """Each amendment's submission model by the subject field that places
    it (partner, meeting, initiative, instrument, indicator)."""
    models: dict[str, dict[str, type[Submission]]] = {name: {} for name in AMENDMENTS}
    for aggregate in aggregates():
        subject = aggregate.Event.SUBJECT  # type: ignore[attr-defined]
        for name in AMENDMENTS:
            event_class = getattr(aggregate, name)
            models[name][subject] = _submission_model(name, event_class, aggregate, f"{name}_{subject}")
    return models


def submission_class(type_name: object, data: Mapping[str, Any] | None = None) -> type[Submission]:
    """The model of a submission of this type (an amendment's: of the record
    its `data` names)."""
    if type_name in AMENDMENTS:
        return _amendment_class(str(type_name), data or {})
    model = VOCABULARY.get(str(type_name)) if isinstance(type_name, str) else None
    if model is None:
        if type_name is None:
            raise UnknownEventType("field 'type' is missing: name the event type, e.g. \"VisitHeld\"")
        raise UnknownEventType(f"unknown event type {type_name!r}; known types: {', '.join(all_types())}")
    return model


def _amendment_class(name: str, data: Mapping[str, Any]) -> type[Submission]:
    models = amendment_models()[name]
    named = [subject for subject in models if subject in data]
    if len(named) != 1:
        raise UnknownEventType(
            f"{name} names the record of the fact it amends by one field of {', '.join(models)}"
            + (f", not {len(named)}" if named else "")
        )
    return models[named[0]]


def parse(data: Mapping[str, Any]) -> Submission:
    """Validate one submission; raises UnknownEventType or ValidationError."""
    return submission_class(data.get("type"), data).model_validate(data)


def describe(error: ValidationError, name: Callable[[str], str] = lambda field: f"field '{field}'") -> list[str]:
    """One sentence per problem, each naming its field (as `name` spells it)."""
    return describe_problems(error.errors(include_url=False), name)


def describe_problems(
    problems: Iterable[Mapping[str, Any]],
    name: Callable[[str], str] = lambda field: f"field '{field}'",
    extra: str = "is not part of this event type",
) -> list[str]:
    sentences = []
    for problem in problems:
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not problem["loc"]:
            sentences.append(message)
            continue
        place = name(".".join(str(part) for part in problem["loc"]))
        if problem["type"] == "missing":
            sentences.append(f"{place} is missing")
        elif problem["type"] == "extra_forbidden":
            sentences.append(f"{place} {extra}")
        else:
            sentences.append(f"{place}: {message}")
    return sentences


DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(type_name: str | None = None) -> dict[str, Any]:
    """The JSON Schema of one event type, or of the whole vocabulary: what
    `parse` accepts, field by field (tests/unit/test_schema.py holds them to
    it). What no schema can say, `describe` says: rules across fields (a
    period that ends before it starts) and rules of the record (a
    partnership opened first, nothing dated after it is recorded)."""
    if type_name in AMENDMENTS:
        variants = amendment_models()[type_name]
        title = (
            f"{type_name}: of a fact on a partnership, meeting, initiative, instrument or indicator, named by its field"
        )
        return _shared({"$schema": DIALECT, "title": title, **_one_of(variants.values())})
    if type_name is not None:
        return _shared({"$schema": DIALECT, **submission_class(type_name).model_json_schema()})
    models = [model for _, model in sorted(VOCABULARY.items())]
    models += [model for name in AMENDMENTS for model in amendment_models()[name].values()]
    return _shared(
        {
            "$schema": DIALECT,
            "title": "Accord event submission",
            "description": "One line of `accord submit --file`: an object whose 'type' names the event.",
            **_one_of(models),
        }
    )


def _one_of(models: Iterable[type[Submission]]) -> dict[str, Any]:
    """Exactly one of these models, each defined under $defs by its name."""
    defs: dict[str, Any] = {}
    names = []
    for model in models:
        schema = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
        names.append(model.__name__)
    return {"oneOf": [{"$ref": f"#/$defs/{name}"} for name in names], "$defs": defs}


def _shared(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its partner codes and dates written once, in $defs,
    and referred to: each lists every code or every day of a calendar."""
    from domain.schemas import DATE_PATTERN, partner_json_schema

    named = {"PartnerCode": partner_json_schema(), "EventDate": {"type": "string", "pattern": DATE_PATTERN}}
    by_pattern = {definition["pattern"]: name for name, definition in named.items()}

    def refer(node: Any) -> Any:
        if isinstance(node, dict):
            name = by_pattern.get(node.get("pattern"))
            if name is not None:
                own = {key: value for key, value in node.items() if key not in named[name]}
                return {"$ref": f"#/$defs/{name}", **own}
            return {key: refer(value) for key, value in node.items()}
        if isinstance(node, list):
            return [refer(value) for value in node]
        return node

    shared: dict[str, Any] = refer(schema)
    shared["$defs"] = {**shared.get("$defs", {}), **named}
    return shared
