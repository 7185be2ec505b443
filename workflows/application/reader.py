"""The views as a reader sees them, through the library's recorder, without
the domain or the rules.

A command that only reads opens a `Reader` first (`open_reader`). When the
views are current (at their code's version, and caught up with the log and
with the task follower) it reads them as they stand, which spares it the
domain's models: most of a start-up. Otherwise the application brings them
up to date and reads them through its own `Reader`.
"""

from __future__ import annotations

from datetime import UTC, date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from workflows.base.failures import StoreUnusable
from workflows.projections.base import Views
from workflows.projections.deliveries.queries import DeliveryQueries
from workflows.projections.funding.queries import FundingQueries
from workflows.projections.meetings.queries import MeetingQueries
from workflows.projections.partnerships.queries import PartnershipQueries
from workflows.projections.people.queries import PeopleQueries
from workflows.projections.rates.queries import RateQueries
from workflows.projections.results.queries import ResultQueries
from workflows.projections.search.queries import SearchQueries
from workflows.projections.tasks.queries import TaskFilter, TaskQueries
from workflows.projections.timeline.queries import TimelineQueries
from workflows.sentences import concerning, followed, task_lines, why_due
from workflows.store import keycheck
from workflows.store.database import Database, Record
from workflows.store.persistence import (
    APPLICATION,
    TARGET_SESSION_ATTRS,
    PydanticMapper,
    is_postgres,
    library_settings,
    mapper_for,
    postgres_address,
    require_postgres_support,
)

if TYPE_CHECKING:
    from workflows.config.settings import Settings

# What callers ask of the views, with the questions they ask them in.
__all__ = [
    "FOLLOWER",
    "Reader",
    "TaskFilter",
    "check_standby",
    "open_as_they_stand",
    "open_reader",
    "open_standby",
    "standby_env",
]

# The topic of the record that opens a partnership, and how many records of
# the log are read at once.
PARTNERSHIP_OPENED = "domain.partnership:Partnership.PartnershipOpened"
PAGE = 1000

# The task follower's name in the library's tracking table.
FOLLOWER = "follower"


class Reader:
    """The one door to the views as they stand (callers bring them up to
    date): each view's queries, named for what callers ask."""

    def __init__(
        self, recorder: Any, mapper: PydanticMapper, factory: InfrastructureFactory[Any] | None = None
    ) -> None:
        self.views = Views(Database(recorder, mapper))
        self.db = self.views.db
        self.tasks = TaskQueries(self.views)
        self.partnerships = PartnershipQueries(self.views)
        self.funding = FundingQueries(self.views)
        self.results = ResultQueries(self.views)
        self.meetings = MeetingQueries(self.views)
        self.timeline = TimelineQueries(self.views)
        self.people = PeopleQueries(self.views)
        self.deliveries = DeliveryQueries(self.views)
        self.rates = RateQueries(self.views)
        self.search = SearchQueries(self.views)
        # The library's factory, when the reader opened the store itself.
        self._factory = factory

    def task_in_words(self, task: dict[str, Any], today: date, zone: tzinfo = UTC) -> list[tuple[str, str]]:
        """A task as its pages say it, line by line (workflows.sentences):
        the fact it follows up by the timeline's sentence (or its kind, when
        the timeline does not hold it: retracted, or on no partner), a
        meeting it concerns by its body and date, and how its due date as it
        stands was set (a deferral's day in `zone`)."""
        follows = followed(task, self.timeline.fact(str(task["source"])))
        changes = [{"type": record.type.__name__, **record.state} for record in self.task_history(str(task["task_id"]))]
        return task_lines(task, today, follows, self.concerns(task), why_due(changes, zone), zone)

    def task_history(self, task_id: str) -> list[Record]:
        """A task's events as recorded, each with its position in the log."""
        with self.db.transaction(commit=False) as cursor:
            return self.db.history(cursor, task_id, self.db.head())

    def concerns(self, task: dict[str, Any]) -> str:
        """What a task is for, by name: its partner, or the meeting it
        concerns by its body and date (workflows.sentences)."""
        meeting = None if task.get("partner") else self.meetings.meeting(str(task["subject"]))
        return concerning(task, meeting)

    def close(self) -> None:
        if self._factory is not None:
            self._factory.close()

    def current(self) -> bool:
        """Whether the follower and every view have read the whole log, and
        not past it (and every view is built by the version of its code
        that runs)."""
        head = self.db.head()
        return self.db.position(FOLLOWER) == head and self.views.current(head)

    def partners_not_yet_read(self) -> list[tuple[str, str]]:
        """The partners (code, name) whose partnerships were opened in the
        log after the partnerships view last read it: read from the log
        itself, its records' states alone (none of the domain's models), so
        that what exists is offered while the views lag."""
        from domain.codes import country_name

        after = self.db.position(self.views.table("partnerships"))
        records = self.db.recorder.select_notifications(after + 1, PAGE, topics=[PARTNERSHIP_OPENED])
        found: list[tuple[str, str]] = []
        while records:
            found += [(code, country_name(code)) for code in map(self._partner_of, records) if code]
            records = self.db.recorder.select_notifications(records[-1].id + 1, PAGE, topics=[PARTNERSHIP_OPENED])
        return found

    def _partner_of(self, record: Any) -> str | None:
        """The partner a record opening a partnership names, or None for one
        that cannot be read as such (written around Accord, or by a version
        whose shape this one does not read): the others are still offered."""
        try:
            code = self.db.mapper.plain_state(record.state).get("partner")
        except Exception:
            return None
        return code if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper() else None

    def key_fits(self) -> bool:
        """Whether the store was written with the cipher key given (or without
        one, as given): asked of the probe the store keeps."""
        kept = keycheck.stored(self.db)
        return kept is not None and keycheck.probe_fits(kept, self.db.mapper.cipher)


def open_reader(settings: Settings) -> Reader | None:
    """A reader over the store when its views are current and the key given
    reads it; None when the application is needed first: to say there is
    no store, to refuse the key in a sentence, to bring the views up to date,
    or to check a rules or policy file named (every command refuses a bad
    one, and checking it takes the domain)."""
    if settings.rules or settings.policy:
        return None
    return _opened(settings, current=True)


def open_as_they_stand(settings: Settings) -> Reader | None:
    """A reader over the views as they stand, however far behind the log
    (for shell completion, which must answer at once and write nothing);
    None when the store does not exist or the key given does not read it."""
    return _opened(settings, current=False)


def _opened(settings: Settings, current: bool) -> Reader | None:
    if is_postgres(settings.db):
        require_postgres_support()
    elif not Path(settings.db).expanduser().is_file():
        return None
    env = library_settings(settings.db, create_tables=False, cipher_key=settings.cipher_key)
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(Environment(APPLICATION, env))
    reader = Reader(factory.process_recorder(), mapper_for(factory), factory)
    try:
        if reader.key_fits() and (reader.current() or not current):
            return reader
    except BaseException:
        reader.close()
        raise
    reader.close()
    return None


class StandbyUnreadable(StoreUnusable):
    """ACCORD_READ_DB names a store whose views cannot be read as given."""


def open_standby(settings: Settings) -> tuple[Reader, str]:
    """A reader over the hot standby ACCORD_READ_DB names, its views as they
    stand there (a standby takes no writes: nothing is brought up to date),
    and a sentence saying how far behind its primary it is."""
    store = settings.standby
    assert store is not None
    require_postgres_support()
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
        Environment(APPLICATION, standby_env(settings))
    )
    reader = Reader(factory.process_recorder(), mapper_for(factory), factory)
    try:
        check_standby(reader, settings)
        return reader, how_far_behind(reader, store)
    except BaseException:
        reader.close()
        raise


def standby_env(settings: Settings) -> dict[str, str]:
    """The library's settings for the hot standby ACCORD_READ_DB names."""
    assert settings.read_db is not None
    env = library_settings(settings.read_db, create_tables=False, cipher_key=settings.cipher_key)
    address = postgres_address(settings.read_db)
    if len(address.hosts) > 1 and "target_session_attrs" not in address.query:
        # Several hosts named for reading: a standby among them, where there is one.
        env[TARGET_SESSION_ATTRS] = "prefer-standby"
    return env


def check_standby(reader: Reader, settings: Settings) -> None:
    """Refuse, in a sentence, a standby that holds no Accord store the key
    given reads (asked of the probe the store keeps: a standby cannot be
    written, so no probe is kept there)."""
    assert settings.read_db is not None
    if not reader.key_fits():
        raise StandbyUnreadable(
            f"the views at {settings.standby} (ACCORD_READ_DB) cannot be read: it holds no "
            "Accord store, or one written with another ACCORD_CIPHER_KEY"
        )


def how_far_behind(reader: Reader, store: str) -> str:
    """Where a standby's views stand: the time of the last transaction of its
    primary that it has replayed (all it has, once what it received is
    replayed), and how many events of its log its views have yet to read."""
    [row] = reader.db.query(
        "SELECT pg_is_in_recovery() AS standby, pg_last_xact_replay_timestamp() AS replayed, "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS age, "
        "pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() AS caught_up"
    )
    head = reader.db.head()
    unread = max(0, head - reader.db.position(FOLLOWER))
    views = f"; its views have {unread:,} event(s) of its log yet to read" if unread else ""
    if not row["standby"]:
        return f"reading {store} (ACCORD_READ_DB), which is not a standby: nothing behind{views}"
    if row["replayed"] is None:
        return f"reading the standby at {store}: it has replayed none of its primary's transactions yet{views}"
    waiting = "" if row["caught_up"] else ", and has received more it is still replaying"
    return (
        f"reading the standby at {store}: as of its primary's transaction of "
        f"{row['replayed'].isoformat(timespec='seconds')}, {float(row['age']):.1f} s ago{waiting}{views}"
    )
