"""The views as a reader sees them, through the library's recorder, without
the domain or the rules.

A command that only reads opens a `Reader` first (`open_reader`). When the
views are current (at their code's version, and caught up with the log and
with the task follower) it reads them as they stand, which spares it the
domain's models: most of a start-up. Otherwise the application brings them
up to date and reads them through its own `Reader`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from workflows.projections.base import Views
from workflows.projections.deliveries.queries import DeliveryQueries
from workflows.projections.funding.queries import FundingQueries
from workflows.projections.meetings.queries import MeetingQueries
from workflows.projections.partnerships.queries import PartnershipQueries
from workflows.projections.tasks.queries import TaskFilter, TaskQueries
from workflows.projections.timeline.queries import TimelineQueries
from workflows.store import keycheck
from workflows.store.database import Database
from workflows.store.persistence import (
    APPLICATION,
    PydanticMapper,
    is_postgres,
    library_settings,
    mapper_for,
    require_postgres_support,
)

if TYPE_CHECKING:
    from workflows.settings import Settings

# What callers ask of the views, with the questions they ask them in.
__all__ = ["FOLLOWER", "Reader", "TaskFilter", "open_reader"]

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
        self.meetings = MeetingQueries(self.views)
        self.timeline = TimelineQueries(self.views)
        self.deliveries = DeliveryQueries(self.views)
        # The library's factory, when the reader opened the store itself.
        self._factory = factory

    def close(self) -> None:
        if self._factory is not None:
            self._factory.close()

    def current(self) -> bool:
        """Whether the follower and every view have read the whole log (and
        every view is built by the version of its code that runs)."""
        head = self.db.head()
        return self.db.position(FOLLOWER) >= head and self.views.current(head)

    def key_fits(self) -> bool:
        """Whether the store was written with the cipher key given (or without
        one, as given): asked of the probe the store keeps."""
        kept = keycheck.stored(self.db)
        return kept is not None and keycheck.probe_fits(kept, self.db.mapper.cipher)


def open_reader(settings: Settings) -> Reader | None:
    """A reader over the store when its views are current and the key given
    reads it; None when the application is needed first: to create the
    store, to refuse the key in a sentence, to bring the views up to date,
    or to check a rules or policy file named (every command refuses a bad
    one, and checking it takes the domain)."""
    if settings.rules or settings.policy:
        return None
    if is_postgres(settings.db):
        require_postgres_support()
    elif not Path(settings.db).expanduser().is_file():
        return None
    env = library_settings(settings.db, create_tables=False, cipher_key=settings.cipher_key)
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(Environment(APPLICATION, env))
    reader = Reader(factory.process_recorder(), mapper_for(factory), factory)
    try:
        if reader.key_fits() and reader.current():
            return reader
    except BaseException:
        reader.close()
        raise
    reader.close()
    return None
