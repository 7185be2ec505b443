"""Facts as a form gives them: each event type's fields, from the same
models that make the command line's options and `accord schema`, and a
submission from what a form posted, each problem said beside its field.

A form posts text: a field of several values comes as several values of one
name (the pillars' boxes) or as the lines of one box (visitors, topics); a
field left empty is not given, as an option left out is not."""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from domain.values import EventDate, Money
from domain.vocabulary import FACTS, VOCABULARY, Submission, UnknownEventType, describe_problems, parse
from workflows.base.failures import BadInput

# The records facts are recorded on, by the field that names one: what a
# form offers to pick from.
PICKED = ("partner", "meeting", "initiative", "instrument", "indicator", "funding", "dialogue")
# Fields that name people: a form offers the names the record holds.
PEOPLE = ("visitors", "met", "lead")
# A whole number as a form gives it: digits, a sign maybe (no more than a float holds exactly).
WHOLE = re.compile(r"[-+]?[0-9]{1,15}")
# The fields every fact has, asked last on its form.
LAST = ("pillars", "notes")
# The longest value of one field a form may post (the longest text a fact holds is far shorter).
LONGEST = 100_000


@dataclass(frozen=True)
class Shape:
    """What a field of a submission takes, as an option or a form's field
    sees it: its own type (one value's), whether it takes several, the
    choices of an enumeration, and its bounds as text."""

    base: Any
    multiple: bool
    choices: tuple[str, ...]
    one_line: bool
    limit: int | None

    @property
    def whole(self) -> bool:
        return self.base is int


def shape(info: FieldInfo) -> Shape:
    """A field's shape, from its annotation: an optional value is its own
    type; a tuple or list takes several of its item type; an Annotated type
    is its own type with its bounds."""
    annotation = info.annotation
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    multiple = get_origin(annotation) in (tuple, list)
    metadata = list(info.metadata)
    if multiple:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is Annotated:
        annotation, *marks = get_args(annotation)
        metadata += marks
    # Accord's text types say their bound and whether they are one line (domain.text).
    bounds = next((mark for mark in metadata if hasattr(mark, "one_line") and hasattr(mark, "limit")), None)
    limits = [getattr(mark, "max_length", None) for mark in metadata]
    limit = bounds.limit if bounds else next((found for found in limits if found), None)
    choices = (
        tuple(m.value for m in annotation) if isinstance(annotation, type) and issubclass(annotation, Enum) else ()
    )
    return Shape(annotation, multiple, choices, bounds.one_line if bounds else True, limit)


@dataclass(frozen=True)
class FormField:
    """One field of a fact's form: its name (the submission's), its label
    and help (the model's description), what it takes (`kind`: text, lines,
    textarea, date, money, number, choice, choices), whether it is required,
    its choices, its bound and its default."""

    name: str
    label: str
    help: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    limit: int | None = None
    default: str = ""

    @property
    def picked(self) -> bool:
        """Whether a page offers the records there are to pick from."""
        return self.name in PICKED or self.name in PEOPLE


def catalogue() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every type of fact a form records, by the record it is on
    (partnership, meeting, initiative, instrument, indicator), each with the first
    line of its description."""
    return [(where.rpartition(":")[2], [(name, summary(name)) for name in names]) for where, names in FACTS.items()]


def summary(type_name: str) -> str:
    """The first line of what an event type records, as its help says it."""
    return (_model(type_name).__doc__ or type_name).strip().splitlines()[0]


def subject_of(type_name: str) -> str:
    """The field that names the record a fact of this type is on."""
    return str(_model(type_name).event_class.SUBJECT)


def _model(type_name: str) -> type[Submission]:
    model = VOCABULARY.get(type_name)
    if model is None:
        raise UnknownFormType(type_name)
    return model


def fields_of(type_name: str) -> list[FormField]:
    """The fields of one event type's form, in the model's order, its
    submission key last (a form makes its own)."""
    model = _model(type_name)
    fields = [_field(name, info) for name, info in model.model_fields.items() if name not in ("type", "id")]
    # The record it is on first, then when, then its own fields; its pillars and notes last.
    return sorted(fields, key=lambda field: (field.name not in PICKED, field.name != "occurred_on", field.name in LAST))


def _field(name: str, info: FieldInfo) -> FormField:
    found = shape(info)
    if found.choices:
        kind = "choices" if found.multiple else "choice"
    elif found.multiple:
        kind = "lines"
    elif found.base is EventDate:
        kind = "date"
    elif found.base is Money:
        kind = "money"
    elif found.whole:
        kind = "number"
    else:
        kind = "text" if found.one_line else "textarea"
    default = (
        ""
        if info.is_required() or info.default in (None, (), "")
        else str(getattr(info.default, "value", info.default))
    )
    label = name.replace("_", " ").capitalize()
    return FormField(name, label, info.description or "", kind, info.is_required(), found.choices, found.limit, default)


class UnknownFormType(BadInput, LookupError):
    def __init__(self, type_name: str) -> None:
        super().__init__(f"no event type {type_name!r}: the page of facts to record lists them all")


class FormRefused(BadInput, ValueError):
    """A form that does not make a valid submission: each problem by the
    field it concerns (the command line's sentences, the field named by its
    label), and those of no one field; nothing was stored."""

    def __init__(self, by_field: dict[str, list[str]], general: list[str]) -> None:
        self.by_field = by_field
        self.general = general
        said = [sentence for sentences in by_field.values() for sentence in sentences] + general
        super().__init__("; ".join(said) + "; nothing was stored")


def from_form(type_name: str, posted: Mapping[str, Sequence[str]], key: str) -> Submission:
    """The submission a form of this type posted (each field's values as
    posted), under the form's own `key`: a form posted twice is recorded
    once. FormRefused names each problem beside its field."""
    fields = {field.name: field for field in fields_of(type_name)}
    data: dict[str, Any] = {"type": type_name, "id": key}
    for name, field in fields.items():
        values: list[Any] = [value for value in posted.get(name, ()) if value.strip()]
        if any(len(value) > LONGEST for value in values):
            raise FormRefused({name: [f"{field.label}: more than {LONGEST:,} characters: far more than it holds"]}, [])
        if field.kind == "lines":
            values = [line.strip() for value in values for line in value.splitlines() if line.strip()]
        elif field.kind != "textarea":
            values = [value.strip() for value in values]
        if field.kind == "number":
            # A form's number is text: digits are read as the command line reads them (a bound then says its own).
            values = [int(value) if WHOLE.fullmatch(value) else value for value in values]
        if field.kind in ("lines", "choices"):
            if values:
                data[name] = values
        elif values:
            data[name] = values[0] if len(values) == 1 else values  # several of one: the model says so
    try:
        return parse(data)
    except UnknownEventType as error:
        raise FormRefused({}, [str(error)]) from None
    except ValidationError as error:
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in error.errors(include_url=False):
            where = str(problem["loc"][0]) if problem["loc"] else ""
            label = fields[where].label if where in fields else where
            [said] = describe_problems([problem], name=functools.partial(_named, label))
            (by_field.setdefault(where, []) if where in fields else general).append(said)
        raise FormRefused(by_field, general) from None


def _named(label: str, field: str) -> str:
    """A field as a form's problem names it: by its label."""
    return label


def shown(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """A fact's fields, as JSON gives them, as its form shows them: each
    as the values of its field (an amount as "EUR 900000", a list item by
    item, nothing for a value not given)."""
    shown: dict[str, list[str]] = {}
    for name, value in values.items():
        if isinstance(value, list | tuple):
            shown[name] = [str(item) for item in value]
        elif isinstance(value, dict) and {"amount", "currency"} <= value.keys():
            shown[name] = [f"{value['currency']} {value['amount']}"]
        elif value not in (None, ""):
            shown[name] = [str(value)]
    return shown


def corrected(
    type_name: str, standing: Mapping[str, Any], posted: Mapping[str, Sequence[str]], key: str
) -> dict[str, Any]:
    """The changes a correction form makes to a fact standing so (its own
    fields as JSON gives them): each field whose value, checked as the
    fact's own, differs. FormRefused names a field's problem beside it, or
    that nothing was changed."""
    fields = [field.name for field in fields_of(type_name)]
    # What it is recorded on stays: a fact on another partnership is another fact.
    record = subject_of(type_name)
    subject = {record: shown(standing).get(record, [])}
    given = {name: posted.get(name, ()) for name in fields if name not in subject}
    now = from_form(type_name, {**given, **subject}, key).model_dump(mode="json")
    changes = {name: now[name] for name in fields if name not in subject and now.get(name) != standing.get(name)}
    if not changes:
        raise FormRefused({}, ["nothing was changed: correct a field, or leave the fact as it stands"])
    return changes
