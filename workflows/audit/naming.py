"""The names of the records events refer to, as the log gives them: a
meeting, an initiative, a task, a delivery by what its first event says
(read from the log once a record), a dialogue by its title. The audit log
says its events with them, in sentences and, for people, in its columns."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from uuid import UUID

from domain.partnership import Partnership
from workflows.application.clock import shown_moment
from workflows.application.service import Accord
from workflows.sentences import Names, record_name, subject, words_of

# Names a pass remembers at most: past them it forgets them all, and asks
# the log again for those it needs (a pass over millions of records stays
# within its memory).
REMEMBERED = 100_000


class Naming:
    """What an audit log's pass knows of the names of records: those it
    has read, and those it asked the log for."""

    def __init__(self, app: Accord) -> None:
        self.app = app
        self._records: dict[UUID, str | None] = {}
        self._dialogues: dict[tuple[str, str], str] | None = None

    def names(self, type_name: str, state: dict[str, Any], aggregate: UUID) -> Names:
        """The names of what an event refers to by reference: the record it
        is on (a meeting held, an initiative advanced), or a round's dialogue."""
        started = record_name(type_name, state)
        if started is not None:  # remembered: the record's later events are named by it
            self._remember(aggregate, started)

        def name(field: str) -> str | None:
            if field == "dialogue":
                return self._dialogue(str(state.get("partner")), str(state[field]))
            return self.record(aggregate)

        return name

    def record(self, aggregate: UUID) -> str | None:
        """The name of a record, as its first event gives it."""
        if aggregate not in self._records:
            first = self.app.recorder.select_events(aggregate, lte=1)
            named = None
            if first:
                cls, state = self.app.views.db.mapper.to_state(first[0])
                named = record_name(cls.__name__, state)
            self._remember(aggregate, named)
        return self._records[aggregate]

    def _remember(self, aggregate: UUID, name: str | None) -> None:
        if len(self._records) >= REMEMBERED:
            self._records.clear()
        self._records[aggregate] = name

    def _dialogue(self, partner: str, dialogue: str) -> str | None:
        if self._dialogues is None:
            launched = self.app.facts_of_types([Partnership.DialogueLaunched])
            self._dialogues = {(event.partner, event.dialogue): event.title for event in launched}
        return self._dialogues.get((partner, dialogue))


def in_words(
    row: dict[str, Any], type_name: str, state: dict[str, Any], aggregate: UUID, naming: Naming, zone: tzinfo
) -> dict[str, Any]:
    """An audit log's row as people read it (the command line's table, the
    console's pages), where JSON keeps what machines read: when, to the
    second, in the business time zone (named); the type in words; the
    subject by name (its partners; else the record it is on)."""
    named = subject(type_name, state) or naming.record(aggregate)
    return {
        **row,
        "recorded_at": shown_moment(datetime.fromisoformat(row["recorded_at"]).astimezone(zone)),
        "type": words_of(type_name),
        "subject": named or row["subject"],
    }
