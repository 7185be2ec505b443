"""Each recorded event said as a sentence a person would write, in one
place: the audit log, timelines, task pages, reports and emails all say an
event with `sentence`, and a task's state and source with `tasks`.

A sentence names partners by name, money as money and dates as people
write them; texts from users are cut to fit one line. It is plain text:
each medium escapes it where it leaves (the terminal's `plain`, the
console's templates, workflows.escape). Made from an event's type name and
its state as stored (JSON values), so that readers need no domain model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.sentences.facts import FACTS
from workflows.sentences.names import meeting_name, record_name, subject
from workflows.sentences.records import RECORDS
from workflows.sentences.tasks import concerning, followed, task_lines, task_state, unseen_source, why_due
from workflows.sentences.words import Names, Said, cut, words_of

__all__ = [
    "LONGEST",
    "Names",
    "concerning",
    "followed",
    "meeting_name",
    "record_name",
    "sentence",
    "subject",
    "task_lines",
    "task_state",
    "unseen_source",
    "why_due",
    "words_of",
]

# The longest sentence, in characters: a line of a table or a page.
LONGEST = 240
SAYS: dict[str, Callable[[Said], str]] = {**FACTS, **RECORDS}


def sentence(type_name: str, state: Mapping[str, Any], names: Names | None = None) -> str:
    """What an event of this type records, as one sentence (no full stop:
    it stands in a table's cell as in a line of text); the meetings,
    initiatives and dialogues it refers to by reference named by `names`
    (a field's name: what its reference names), where the caller knows."""
    say = SAYS.get(type_name)
    if say is None:
        # A type this version does not know (recorded by a later one).
        return f"A {words_of(type_name)} was recorded"
    try:
        said = say(Said(state, names))
    except (KeyError, TypeError, ValueError):
        # A record an earlier version stored in a shape the type no longer has.
        said = f"A {words_of(type_name)} was recorded, in a shape this version does not read"
    return cut(said, LONGEST)
