"""Reading the log itself: a partnership as it stands, an aggregate's
events, the events of some types, the whole log in pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.amendments import amended, fixes
from domain.base import Fact
from domain.codes import partner_code
from domain.partnership import Partnership
from domain.vocabulary import amendment_classes, own_fields
from workflows.application.clock import shown_moment
from workflows.application.core import Core
from workflows.base.failures import BadInput
from workflows.sentences import sentence
from workflows.sentences.records import ABOUT
from workflows.store.persistence import PAGE, UnreadableEvent

if TYPE_CHECKING:
    from domain.vocabulary import Submission
    from workflows.application.adoption import Adoption
    from workflows.rules import RuleSet
    from workflows.rules.simulate import Simulation


class NoFactThere(BadInput):
    """A position of the log that holds no fact."""


class Reads(Core):
    def head(self) -> int:
        """The position of the log's last record (0 for an empty log)."""
        return self.views.db.head()

    def read_to(self) -> int:
        """How far into the log a read made now sees: its head, since a read
        brings the views up to it first."""
        return self.head()

    def readers(self) -> list[dict[str, Any]]:
        """Each reader of the log (the task follower, every view): how far
        it has read, how far behind the head it is, and how many events it
        could not carry (workflows.projections.failures)."""
        from workflows.application.reader import FOLLOWER
        from workflows.projections import failures

        db = self.views.db
        head = db.head()
        tables = self._readers()
        positions = db.positions(list(tables))
        failed = failures.counted(db, list(tables))
        return [
            {
                "name": name,
                "table": table if table != FOLLOWER else "",
                "position": positions[table],
                "head": head,
                "lag": max(0, head - positions[table]),
                "failed": failed[table],
            }
            for table, name in tables.items()
        ]

    def failed(self) -> int:
        """How many events the readers of the log could not carry, together."""
        from workflows.projections import failures

        return sum(failures.counted(self.views.db, list(self._readers())).values())

    def _readers(self) -> dict[str, str]:
        """Each reader's tracking name (a view's current table) and its name:
        the views set up so far (asked as they stand: nothing is set up)."""
        from workflows.application.reader import FOLLOWER
        from workflows.projections.base import table_name

        registered = self.views.registered()
        tables = {table_name(name, registered[name][0]): name for name in self.views.names if name in registered}
        return {FOLLOWER: FOLLOWER} | tables

    def failures(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The events readers of the log could not carry, by position: each
        reader's name (a view's, or the follower), the event's position and
        type, and why (workflows.projections.failures)."""
        from workflows.projections import failures

        names = self._readers()
        return [
            {
                "reader": names[failure.reader],
                "position": failure.position,
                "type": failure.type,
                "reason": failure.reason,
            }
            for failure in failures.listed(self.views.db, list(names), limit)
        ]

    def behind(self) -> str | None:
        """How far behind its primary a standby read here is, in a sentence;
        None here, the store itself."""
        return None

    def partnership(self, code: str) -> Partnership:
        code = partner_code(code)
        partnership = self.find(Partnership.id_for(code))
        if partnership is None:
            raise Partnership.not_started(code)
        assert isinstance(partnership, Partnership)
        return partnership

    def event_at(self, position: int) -> Any:
        """The event at a position of the log, as `audit log` numbers them."""
        found = self.recorder.select_notifications(position, 1, stop=position)
        if not found:
            raise NoFactThere(f"nothing is recorded at position {position}: the log ends at {self.head()}")
        return self.mapper.to_domain_event(found[0])

    def fact_at(self, position: int) -> Fact:
        """The fact at a position of the log, as `audit log` numbers them."""
        event = self.event_at(position)
        if not isinstance(event, Fact):
            raise NoFactThere(
                f"position {position} holds a {type(event).__name__}, not a fact: only facts people "
                "recorded are corrected or retracted"
            )
        return event

    def fact_standing(self, position: int) -> tuple[Fact, dict[str, Any] | None]:
        """The fact at a position of the log, and its own fields as its
        amendments leave them now, as JSON gives them (None: retracted)."""
        fact = self.fact_at(position)
        found = fixes(cast(Iterable[Any], self.events.get(fact.originator_id)))
        standing = amended(fact, found.get((fact.originator_id, fact.key)))
        if standing is None:
            return fact, None
        values = standing.model_dump(mode="json")
        return fact, {name: values[name] for name in own_fields(type(fact)) if name in values}

    def aggregate_events(self, aggregate_id: UUID) -> list[Fact]:
        return list(self.events.get(aggregate_id))  # type: ignore[arg-type]

    def task_story(self, task_id: str, zone: tzinfo) -> list[dict[str, str]]:
        """What happened to a task, in the order recorded: each of its events
        as a sentence (opened, assigned, deferred and why, reminded,
        escalated, revised, closed), when (to the second, in `zone`), by
        whom and at which position of the log; then each message sent about
        it, and how it went."""
        story = [
            {
                "when": shown_moment(datetime.fromisoformat(record["timestamp"]).astimezone(zone)),
                "who": str(record.state.get("actor") or "accord"),
                "what": sentence(record.type.__name__, record.state),
                "position": str(record.position),
            }
            for record in self.reader.task_history(task_id)
        ]
        for sent in self.reader.deliveries.about(task_id):
            what = f"{ABOUT.get(sent['about'], 'Message')} to {sent['owner']} by {sent['channel']}: {sent['state']}"
            last = f", {sent['last']}" if sent["last"] else ""
            story.append(
                {
                    "when": shown_moment(datetime.fromisoformat(sent["requested_at"]).astimezone(zone)),
                    "who": "accord",
                    "what": what + last,
                    "position": "",
                }
            )
        return story

    def recorded_at(self, submission: Submission, after: int) -> int | None:
        """The position of the fact recorded under a submission's key, looked
        for on its record after position `after` (the head before it was
        recorded); None if it is not there (recorded before, under its key)."""
        db = self.views.db
        aggregate = submission.aggregate_class.id_for(submission.subject)
        with db.transaction(commit=False) as cursor:
            history = db.history(cursor, aggregate, db.head(), after=after)
        return next((record.position for record in history if record.state.get("key") == submission.key), None)

    def source_position(self, source: str) -> int | None:
        """The position of the fact a task follows up, named as a task names
        it (its aggregate's id and version, "id/version"), if the log holds it."""
        aggregate, _, version = source.rpartition("/")
        try:
            return self.views.db.position_of(UUID(aggregate), int(version))
        except ValueError:  # not a source Accord wrote
            return None

    def events_of_types(self, classes: Iterable[type[Any]]) -> Iterator[Any]:
        topics = [get_topic(cls) for cls in classes]
        for _, event in self.readable(self.notifications(topics=topics)):
            yield event

    def readable(self, notifications: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Each notification with its event, but an event its class no
        longer takes (UnreadableEvent), which is left out with a warning
        naming its position: an export or a replay of the log goes on."""
        for notification in notifications:
            try:
                yield notification, self.mapper.to_domain_event(notification)
            except UnreadableEvent as error:
                self.left_out.append(f"left out position {notification.id}: {error}")

    def facts_of_types(self, classes: Iterable[type[Any]]) -> Iterator[Any]:
        """The facts of these types as they now stand: each as corrected
        since, those retracted left out (domain.amendments)."""
        found = fixes(self.events_of_types(amendment_classes()))
        for event in self.events_of_types(classes):
            fact = amended(event, found.get((event.originator_id, event.key)))
            if fact is not None:
                yield fact

    def notifications(self, topics: Sequence[str] = (), start: int = 1, stop: int | None = None) -> Iterator[Any]:
        """The log in order from `start` (to `stop`, if given: the database
        looks no further for records of rare `topics`), read in pages (never
        all at once)."""
        while True:
            page = self.recorder.select_notifications(start, PAGE, stop=stop, topics=topics)
            yield from page
            if len(page) < PAGE:
                return
            start = page[-1].id + 1

    def adopted_policies(self) -> list[Adoption]:
        """Every policy the log adopted, in order, with what each changed
        (workflows.application.adoption)."""
        from workflows.application.adoption import Adopted, adoptions

        found = self.readable(self.notifications(topics=[get_topic(Adopted)]))
        return adoptions(((record.id, event) for record, event in found if isinstance(event, Adopted)), self.clock.zone)

    def simulate(self, candidate: RuleSet) -> Simulation:
        """The tasks candidate rules would open that the rules in force did
        not, and the other way round, from the whole log replayed through
        both in memory; nothing is stored."""
        from workflows.rules.simulate import simulate, types_read

        return simulate(self.facts_of_types(types_read(self.rules, candidate)), self.rules, candidate)
