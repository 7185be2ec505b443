"""Where each reader of the log (a view, the task follower) says it has read
to, checked against the log itself.

A reader's tracked position is always one that held a record when it was
written: the log's head then, or the last record of a page it read. Records
are never removed from the log, so a tracked position the log no longer
holds, whether past its head or not, means some were, behind Accord's back
(an earlier backup of the log restored, a DELETE): the reader holds what
they said, and would go on past the records given in their place. A
reader's position missing while it holds what it read (its tracking row
lost) would make it read the log again on top of it. Neither is caught up
until `accord projections repair` (workflows.application.recovery) has
rebuilt it or found it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REPAIR = "run `accord projections repair`"


def contradicted(db: Any, positions: Mapping[str, int]) -> dict[str, str]:
    """Of readers' tracked positions (a reader's label: its position), those
    the log contradicts, each with a sentence naming both positions."""
    tracked = {reader: position for reader, position in positions.items() if position}
    if not tracked:
        return {}
    head = db.head()
    held = db.held(sorted(set(tracked.values())))
    found = {}
    for reader, position in tracked.items():
        if position in held:
            continue
        ends = f"the log ends at {head}" if position > head else f"the log holds no record there (it ends at {head})"
        found[reader] = f"{reader} has read to position {position} but {ends}: the log lost records; {REPAIR}"
    return found


def lost(reader: str, holding: str) -> str:
    """The sentence for a reader whose tracking row is gone while it holds what it read."""
    return f"{reader} {holding}, but its position in the log is lost (its tracking row is gone): {REPAIR}"
