"""How a rule reads a recorded event: whether it applies, and the task it
opens, with a due date it can explain."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from typing import Any

from domain.base import Fact, Recorded
from domain.codes import country_name
from domain.text import LINE, NAME, fit
from domain.values import EventDate, Party
from workflows.rules.model import Rule, RuleSet
from workflows.sentences.words import day, number, party


def applies(rule: Rule, event: Fact) -> bool:
    """The event is of the rule's type and meets its conditions."""
    if type(event).__name__ != rule.when:
        return False
    for field, expected in rule.where.items():
        wanted = expected if isinstance(expected, list) else [expected]
        value = getattr(event, field)
        # A list field matches when any of its items does.
        items = value if isinstance(value, tuple) else (value,)
        if not any(_comparable(item) in wanted for item in items):
            return False
    if any(_empty(getattr(event, field)) for field in rule.requires):
        return False
    if not all(_empty(getattr(event, field)) for field in rule.absent):
        return False
    return getattr(event, rule.due.anchor) is not None


def opens(rules: RuleSet, rule: Rule, event: Fact) -> bool:
    """The rule applies to the event, and the task it would open is not
    history: due no more than the rules' `history_days` before the day the
    fact was recorded (UTC). Decided from the event alone, so every follower
    and every replay opens the same tasks."""
    if not applies(rule, event):
        return False
    if rules.history_days is None:
        return True
    return due(rule, event)[0] >= event.timestamp.date() - timedelta(days=rules.history_days)


def due(rule: Rule, event: Fact) -> tuple[date, str]:
    """The due date, and a sentence saying how the rule set it."""
    anchor: EventDate = getattr(event, rule.due.anchor)
    days = rule.due.days
    if isinstance(days, str):
        given = getattr(event, days)
        days = given if given is not None else rule.due.default_days or 0
    field = rule.due.anchor.replace("_", " ")
    if rule.due.after:
        start, side, end = anchor.latest, "after", "last"
        when = _moved(start, days)
    else:
        start, side, end = anchor.earliest, "before", "first"
        when = _moved(start, -days)
    basis = f"{days} days {side} {field} {anchor}" if days else f"on {field} {anchor}"
    if anchor.precision != "day":
        basis += f" (a {anchor.precision} only: counted from its {end} day, {start})"
    return when, f"rule {rule.name}: {basis}"


UNASSIGNED = "unassigned"


def task_facts(rule: Rule, event: Fact) -> dict[str, Any]:
    """What TaskOpened records for this rule and event."""
    partner = getattr(event, "partner", None)
    extra = {"subject": event.subject, "partner_name": country_name(partner) if partner else ""}
    values = {name: extra[name] if name in extra else _text(getattr(event, name)) for name in rule.placeholders}
    # A title is read by people: its dates and parties in words. An owner
    # keeps the values as recorded (desk:{partner} names a desk by its code).
    said = {name: extra[name] if name in extra else _said(getattr(event, name), name) for name in rule.placeholders}
    due_on, basis = due(rule, event)
    return {
        "source": source_of(event),
        "source_type": type(event).__name__,
        "subject": event.subject,
        "partner": partner,
        "rule": rule.name,
        # Made to fit, never refused: the fact it comes from was accepted. A
        # template over empty fields must not leave a task without a title
        # or an owner, which would stop the follower at this event.
        "title": fit(rule.title.format_map(said), LINE) or rule.name,
        "owner": fit(rule.owner.format_map(values), NAME) or UNASSIGNED,
        "due_on": due_on,
        "basis": basis,
        "thread": thread_of(rule, event) if rule.closed_by else "",
    }


def _moved(start: date, days: int) -> date:
    """`start` moved by `days`, held within the calendar (a fact due in
    9999 opens its task on the last day there is, not an OverflowError)."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def source_of(event: Recorded) -> str:
    """An event's identity in the log: its aggregate and version."""
    return f"{event.originator_id}/{event.originator_version}"


def thread_of(rule: Rule, event: Fact) -> str:
    """What a closing event must share with the trigger: its record and the
    rule's thread fields. The same for trigger and closer."""
    shared = ",".join(f"{field}={_text(getattr(event, field))}" for field in rule.thread or [])
    return f"{rule.name}|{event.originator_id}|{shared}"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _comparable(value: Any) -> Any:
    """A field's value as a rule file writes it: text, a number or a flag."""
    value = _plain(value)
    return value if isinstance(value, str | int | bool) else str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == ()


def _said(value: Any, field: str) -> str:
    """A field's value as a title says it: a date as people write it
    ("3 March 2021"), a party in words ("the EU"), a count with its
    thousands separated ("3,000"; a year as it is)."""
    if isinstance(value, tuple):
        return ", ".join(_said(item, field) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value, field)
    if isinstance(value, EventDate | date):
        return day(str(value))
    if isinstance(value, Party):
        return party(value.value)
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(_text(item) for item in value)
    return str(_plain(value))
