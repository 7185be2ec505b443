"""The validation context of what is read back from the log.

A fact is read as it was recorded: a check added later (a currency's minor
unit, say) judges new facts only, and never makes the record unreadable.
Here, apart from the value objects, so that the store's readers name it
without importing pydantic.
"""

from __future__ import annotations

from typing import Any

RECORDED: dict[str, Any] = {"recorded": True}


def is_recorded(context: Any) -> bool:
    """Whether a validator runs on a fact read back from the log."""
    return isinstance(context, dict) and bool(context.get("recorded"))
