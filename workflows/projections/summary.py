"""One line saying what an event records, for the audit log, timelines and
briefings: from the event itself, or from its state as stored (views read
the log without validating it again), the same line either way."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from domain.base import ENVELOPE
from domain.values import Money

_COMMON = frozenset({"occurred_on", "pillars", "notes", "partner", "meeting", "initiative", "instrument"})
_LONGEST = 160


def summary(event: Any) -> str:
    """One line saying what the event records, from its own fields."""
    return _line(type(event), lambda name: getattr(event, name, None))


def stored_summary(cls: type[Any], state: dict[str, Any]) -> str:
    """The line `summary` gives of the event of class `cls` whose stored
    state (its JSON) is `state`: a view writes one for every fact it reads."""
    return _line(cls, state.get)


def _line(cls: type[Any], value_of: Callable[[str], Any]) -> str:
    parts = []
    for name, label, money in _shown(cls):
        value = value_of(name)
        # Empty values are left out; a zero or a no is said. (Most are text, passed by the first test.)
        if not value and (value is None or value == "" or value == () or value == []):
            continue
        if type(value) is not str:
            if name == "changes":  # A correction's: each field and its new value.
                value = ", ".join(f"{field.replace('_', ' ')} = {_text(new)}" for field, new in value.items())
            elif isinstance(value, dict) and not money:
                continue  # A dispatch's whole document is in the outbox, not in a one-line summary.
            else:
                value = _text(value)
        parts.append(f"{label}: {value}")
    text = "; ".join(parts) or value_of("notes") or ""
    return text if len(text) <= _LONGEST else text[: _LONGEST - 3] + "..."


def _text(value: Any) -> str:
    """A stored value as a summary writes it: money as str(Money) does."""
    if isinstance(value, dict) and value.keys() == {"amount", "currency"}:
        return f"{value['currency']} {Decimal(value['amount']):,}"
    if isinstance(value, tuple | list):
        return ", ".join(map(_text, value))
    return str(value)


# Each event class's fields a summary shows, found once.
_SHOWN: dict[type[Any], tuple[tuple[str, str, bool], ...]] = {}


def _shown(cls: type[Any]) -> tuple[tuple[str, str, bool], ...]:
    """The fields a summary shows, in order: each one's name, label, and
    whether it holds money."""
    shown = _SHOWN.get(cls)
    if shown is None:
        fields = cls.model_fields.items()
        shown = _SHOWN[cls] = tuple(
            (name, name.replace("_", " "), _holds_money(field.annotation))
            for name, field in fields
            if name not in ENVELOPE | _COMMON
        )
    return shown


def _holds_money(annotation: Any) -> bool:
    if annotation is Money:
        return True
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and Money in typing.get_args(annotation)
