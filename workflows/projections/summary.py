"""One line saying what an event records, for the audit log, timelines and
briefings."""

from __future__ import annotations

from typing import Any

from domain.base import ENVELOPE

_COMMON = {"occurred_on", "pillars", "notes", "partner", "meeting", "initiative", "instrument"}


def summary(event: Any) -> str:
    """One line saying what the event records, from its own fields."""
    parts = []
    for name in type(event).model_fields:
        if name in ENVELOPE or name in _COMMON:
            continue
        value = getattr(event, name)
        # A dispatch's whole document is in the outbox, not in a one-line summary.
        if value in (None, "", ()) or isinstance(value, dict):
            continue
        if isinstance(value, tuple):
            value = ", ".join(str(item) for item in value)
        parts.append(f"{name.replace('_', ' ')}: {value}")
    text = "; ".join(parts) or getattr(event, "notes", "")
    return text if len(text) <= 160 else text[:157] + "..."
