"""Accord's application service, made of one part a responsibility (see
the package's docstring), and the same over a hot standby."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from eventsourcing.utils import EnvType

from workflows.application.approvals import Approving
from workflows.application.keys import KeyChanges
from workflows.application.rates import RateChanges
from workflows.application.reads import Reads
from workflows.application.submission import Submitting
from workflows.application.task_changes import TaskChanges
from workflows.base.batches import Progress
from workflows.store.persistence import APPLICATION

if TYPE_CHECKING:
    from workflows.application.follower import Followed


class Accord(Approving, Submitting, TaskChanges, KeyChanges, RateChanges, Reads):
    """Accord's event-sourced application over SQLite or PostgreSQL."""

    name = APPLICATION


class OnStandby(Accord):
    """Accord over a hot standby (ACCORD_READ_DB), for what only reads: the
    log and the views as they stand there. A standby takes no writes, so
    nothing is brought up to date here: the primary's scheduler keeps the
    views it replicates current, each tick."""

    # The library names an application by its class unless told (the tables are the store's).
    name = APPLICATION

    def __init__(self, env: EnvType, *, address: str, **kwargs: Any) -> None:
        # The standby's address fit to show a person.
        self.address = address
        super().__init__(env, **kwargs)

    def refresh(self, progress: Progress | None = None, *, warn: bool = True) -> Followed:
        from workflows.application.follower import Followed
        from workflows.application.reader import FOLLOWER

        return Followed(position=self.views.db.position(FOLLOWER))

    def lag(self) -> int:
        return 0

    def read_to(self) -> int:
        """How far into the log a read made now sees: as far as every view
        has read on the primary, and replicated here."""
        return self.views.read_to() or 0

    def behind(self) -> str:
        """How far behind its primary the standby is, in a sentence."""
        from workflows.application.reader import how_far_behind

        return how_far_behind(self.reader, self.address)

    def wait_for(self, primary: Accord, within: float = 5.0) -> bool:
        """Wait until this standby has replayed all `primary` has written so
        far (a change just made there, to be shown here), at most `within`
        seconds; whether it has."""
        from workflows.store.postgres import wal_replayed, wal_written

        written = wal_written(primary.views.db)
        deadline = time.monotonic() + within
        while not wal_replayed(self.views.db, written):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True
