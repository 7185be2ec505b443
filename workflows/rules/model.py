"""Workflow rules as data: when an event of a type is recorded, open a task,
due at an offset from a date in the event. Validated by pydantic against the
event vocabulary, so a rule can only name types and fields that exist."""

from __future__ import annotations

import re
import string
import types
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo

from domain.approval import decisions
from domain.base import Aggregate, Recorded
from domain.tracking import DEFAULT_MARGIN, LARGEST_MARGIN
from domain.values import EventDate
from domain.vocabulary import VOCABULARY, own_fields


def _rule_name(text: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", text):
        raise ValueError(
            f"a rule name is lower-case letters, digits and dashes, e.g. visit-held-follow-up; got {text!r}"
        )
    return text


def _event_type(text: str) -> str:
    _event(text)
    return text


# What a template may hold: at most this many characters, and in a
# placeholder, a field's name with at most an alignment and a cut, each to at
# most WIDEST characters ({description:.80}, {partner:>10}): nothing that
# reaches into a value ({x.y}, {x[0]}), converts it ({x!r}), or makes a
# title of a billion characters ({description:>1500000000}).
LONGEST_TEMPLATE = 500
WIDEST = 200
# The most days a rule counts (ten years), and its history reaches back (a hundred).
LONGEST_WAIT = 3660
LONGEST_HISTORY = 36600
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SPEC = re.compile(r"(?:[^{}]?[<>^])?(?P<width>[1-9][0-9]*)?(?:\.(?P<precision>[0-9]+))?s?")
# Characters no output can carry: C0 controls but tab and line feed, DEL,
# C1 controls, and the two XML 1.0 forbids (a surrogate cannot come from TOML).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def _clean(text: str) -> str:
    found = CONTROL.search(text)
    if found:
        raise ValueError(
            f"holds a control character (U+{ord(found[0]):04X}) at character {found.start() + 1}, "
            "which no output can carry: remove it"
        )
    return text


def _template(text: str) -> str:
    """A title or owner: one line of at most LONGEST_TEMPLATE characters, its
    placeholders field names, each at most aligned and cut."""
    if len(text) > LONGEST_TEMPLATE:
        raise ValueError(f"a template holds at most {LONGEST_TEMPLATE} characters; this one holds {len(text)}")
    if "\n" in text:
        raise ValueError(f"a template is one line: it holds a line break at character {text.index(chr(10)) + 1}")
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("holds a single '{' or '}': write {{ or }} for a brace itself") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if conversion or not FIELD_NAME.fullmatch(name):
            raise ValueError(
                f"{shown} is not a placeholder a rule may hold: "
                "write a field's name alone in braces, e.g. {partner_name}"
            )
        fits = SPEC.fullmatch(spec or "")
        if not fits or max(int(fits["width"] or 0), int(fits["precision"] or 0)) > WIDEST:
            raise ValueError(
                f"{shown} asks more of a placeholder than a rule may: align its value or cut it, each to at most "
                f"{WIDEST} characters, e.g. {{description:.80}}"
            )
    return text


def _conditions(value: object) -> object:
    """A condition's value: the strings in it clean."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            _clean(text)
    return value


def _days(value: object) -> object:
    if isinstance(value, int) and value > LONGEST_WAIT:
        raise ValueError(f"a rule counts at most {LONGEST_WAIT} days (ten years); got {value}")
    return value


def _history(value: int) -> int:
    if value > LONGEST_HISTORY:
        raise ValueError(f"history counts at most {LONGEST_HISTORY} days (a hundred years); got {value}")
    return value


Name = Annotated[str, AfterValidator(_rule_name)]
EventType = Annotated[str, AfterValidator(_event_type)]
Clean = Annotated[str, AfterValidator(_clean)]
Template = Annotated[str, Field(min_length=1), AfterValidator(_clean), AfterValidator(_template)]
Condition = Annotated[str | int | bool | list[str], AfterValidator(_conditions)]

# Fields a title or owner may use beside the event's own.
EXTRA_PLACEHOLDERS = {"partner_name", "subject"}


def _event(type_name: str) -> tuple[type[Recorded], type[Aggregate]]:
    """The event class a type records, and the aggregate it is recorded on:
    a fact's, or a proposal's (domain.approval)."""
    return rule_event(type_name)


def rule_event(type_name: str) -> tuple[type[Recorded], type[Aggregate]]:
    """The class of an event type a rule may react to, and its aggregate:
    every fact people submit, and the events of a proposal's way."""
    if type_name in VOCABULARY:
        return VOCABULARY.event(type_name)
    found = decisions().get(type_name)
    if found is None:
        known = sorted([*VOCABULARY, *decisions()])
        raise ValueError(f"unknown event type {type_name!r}; known types: {', '.join(known)}")
    return found


def _fields(type_name: str) -> dict[str, FieldInfo]:
    return own_fields(_event(type_name)[0])


def _is_date(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_date(arg) for arg in get_args(annotation))
    return annotation is EventDate


def _is_int(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_int(arg) for arg in get_args(annotation))
    if get_origin(annotation) is Annotated:  # a whole number, say
        return _is_int(get_args(annotation)[0])
    return annotation is int


class Due(BaseModel):
    """When a task is due: a number of days after, or before, a date of the event.

    A date known only to the month or year counts from its last day when the
    task follows it, and from its first day when the task precedes it, so no
    one is given less time than the rule says.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: str | None = Field(default=None, description="Date field of the event the task follows")
    before: str | None = Field(default=None, description="Date field of the event the task precedes")
    days: Annotated[int | str, AfterValidator(_days)] = Field(
        default=0, description="Days from that date, or the name of a field giving them"
    )
    default_days: Annotated[int, AfterValidator(_days)] | None = Field(
        default=None, ge=0, description="Days when the field named by days is empty"
    )

    @model_validator(mode="after")
    def _one_anchor(self) -> Self:
        if (self.after is None) == (self.before is None):
            raise ValueError("give exactly one of 'after' or 'before'")
        if isinstance(self.days, int) and self.days < 0:
            raise ValueError("days counts forward from 'after' or back from 'before', so it is never negative")
        return self

    @property
    def anchor(self) -> str:
        return self.after or self.before or ""


class Rule(BaseModel):
    """One rule: its trigger, its conditions and the task it opens."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: Name = Field(description="Unique; says the trigger and the reaction, e.g. visit-held-follow-up")
    when: EventType = Field(description="The event type that triggers it")
    where: dict[Clean, Condition] = Field(
        default_factory=dict, description="Conditions: field equals value (or is one of a list)"
    )
    requires: list[Clean] = Field(default_factory=list, description="Fields that must be given")
    absent: list[Clean] = Field(default_factory=list, description="Fields that must not be given")
    title: Template = Field(description="The task's title; {field} takes the event's value")
    owner: Template = Field(description="Who owns the task; {field} takes the event's value")
    due: Due
    thread: list[Clean] | None = Field(
        default=None, description="Fields that a closing event must share with the trigger (besides its subject)"
    )
    closed_by: list[EventType] = Field(default_factory=list, description="Event types that make the task moot")
    note: Clean = Field(default="", description="Why the rule exists")

    @cached_property
    def placeholders(self) -> set[str]:
        """The {names} its title and owner use."""
        return {
            name
            for template in (self.title, self.owner)
            for _, name, _, _ in string.Formatter().parse(template)
            if name
        }

    @model_validator(mode="after")
    def _names_what_exists(self) -> Self:
        problems = list(self._problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _problems(self) -> Iterator[str]:
        """Every way the rule names what does not exist, not just the first."""
        fields = _fields(self.when)
        for field in [*self.where, *self.requires, *self.absent]:
            if field not in fields:
                yield f"{self.when} has no field {field!r}"
        for placeholder in sorted(self.placeholders - set(fields) - EXTRA_PLACEHOLDERS):
            yield f"{{{placeholder}}} in the title or owner is not a field of {self.when}"
        anchor = fields.get(self.due.anchor)
        if anchor is None or not _is_date(anchor.annotation):
            yield f"due counts from {self.due.anchor!r}, which is not a date field of {self.when}"
        if isinstance(self.due.days, str):
            days = fields.get(self.due.days)
            if days is None or not _is_int(days.annotation):
                yield f"due.days names {self.due.days!r}, which is not a number field of {self.when}"
            if self.due.default_days is None:
                yield "due.days names a field, so due.default_days must say what to use when it is empty"
        for closer in self.closed_by:
            closer_fields = _fields(closer)
            for field in self.thread or []:
                if field not in fields or field not in closer_fields:
                    yield f"thread field {field!r} is not a field of both {self.when} and {closer}"
            if _event(closer)[1] is not _event(self.when)[1]:
                yield f"{closer} is not recorded on the same kind of record as {self.when}"
        if self.thread is not None and not self.closed_by:
            yield "a thread only matters with closed_by"


class RuleSet(BaseModel):
    """The rules in force: names unique, reviewable in one file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: list[Rule] = Field(default_factory=list)
    kind: Literal["accord-rules"] = "accord-rules"
    history_days: Annotated[int, AfterValidator(_history)] | None = Field(
        default=None,
        ge=0,
        description=(
            "A task due more than this many days before its fact was recorded is history, and is not opened "
            "(imported history opens no tasks overdue for years); none: every task opens"
        ),
    )

    off_track_margin: int = Field(
        default=DEFAULT_MARGIN,
        ge=0,
        le=LARGEST_MARGIN,
        description=(
            "How many points of the way from baseline to target an indicator may be behind the straight line "
            "between them and still be on track; the results report reads the same"
        ),
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: set[str] = set()
        for rule in self.rule:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}")
            seen.add(rule.name)
        return self

    # Asked for every event the follower reads: each a table made once, of
    # the rules in the file's order.

    def triggered_by(self, type_name: str) -> list[Rule]:
        return self._triggered.get(type_name, [])

    def closed_by(self, type_name: str) -> list[Rule]:
        return self._closed.get(type_name, [])

    @cached_property
    def _triggered(self) -> dict[str, list[Rule]]:
        triggered: dict[str, list[Rule]] = {}
        for rule in self.rule:
            triggered.setdefault(rule.when, []).append(rule)
        return triggered

    @cached_property
    def _closed(self) -> dict[str, list[Rule]]:
        closed: dict[str, list[Rule]] = {}
        for rule in self.rule:
            for closer in dict.fromkeys(rule.closed_by):
                closed.setdefault(closer, []).append(rule)
        return closed

    @property
    def types_read(self) -> set[str]:
        """The event types these rules react to."""
        return {rule.when for rule in self.rule} | {closer for rule in self.rule for closer in rule.closed_by}
