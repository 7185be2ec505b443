"""One line saying what an event records, for the audit log, timelines and
briefings: from the event itself, or from its state as stored (views read
the log without validating it again), the same line either way."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from domain.base import ENVELOPE
from domain.values import Money

_COMMON = frozenset({"occurred_on", "pillars", "notes", "partner", "meeting", "initiative", "instrument"})
_LONGEST = 160


def summary(event: Any) -> str:
    """One line saying what the event records, from its own fields."""
    values = ((name, getattr(event, name)) for name, _ in _shown(type(event)))
    return _line(values, getattr(event, "notes", ""))


def stored_summary(cls: type[Any], state: dict[str, Any]) -> str:
    """The line `summary` gives of the event of class `cls` whose stored
    state (its JSON) is `state`."""
    values = ((name, _money(state.get(name)) if money else state.get(name)) for name, money in _shown(cls))
    return _line(values, state.get("notes", ""))


def _line(values: Iterable[tuple[str, Any]], notes: str) -> str:
    parts = []
    for name, value in values:
        # A dispatch's whole document is in the outbox, not in a one-line summary.
        if value is None or value == "" or isinstance(value, dict) or (isinstance(value, tuple | list) and not value):
            continue
        if isinstance(value, tuple | list):
            value = ", ".join(str(item) for item in value)
        parts.append(f"{name.replace('_', ' ')}: {value}")
    text = "; ".join(parts) or notes
    return text if len(text) <= _LONGEST else text[: _LONGEST - 3] + "..."


# Each event class's fields a summary shows, found once.
_SHOWN: dict[type[Any], tuple[tuple[str, bool], ...]] = {}


def _shown(cls: type[Any]) -> tuple[tuple[str, bool], ...]:
    """The fields a summary shows, in order, each with whether it holds money."""
    shown = _SHOWN.get(cls)
    if shown is None:
        fields = cls.model_fields.items()
        shown = _SHOWN[cls] = tuple(
            (name, _holds_money(field.annotation)) for name, field in fields if name not in ENVELOPE | _COMMON
        )
    return shown


def _holds_money(annotation: Any) -> bool:
    if annotation is Money:
        return True
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and Money in typing.get_args(annotation)


def _money(stored: dict[str, str] | None) -> str | None:
    """Money as `str(Money)` writes it, from its stored form."""
    return None if stored is None else f"{stored['currency']} {Decimal(stored['amount']):,}"
