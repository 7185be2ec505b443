"""The application service: every use case that records or reads facts.
The command line, the scheduler and the tests all call its methods.

One module a responsibility, each a part of `Accord`:

    core          the store, loading aggregates, storing what was decided (with retries)
    submission    recording submissions, all or none
    task_changes  assign, defer, complete, cancel a task
    keys          enroll and revoke writers' keys, list them from the log
    reads         the log itself: a partnership, an aggregate's events, the log in pages
    catch_up      the follow-up tasks new events imply (follower), then every view

`OnStandby` is the application over a hot standby, for what only reads.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from eventsourcing.utils import EnvType

from workflows.application.keys import KeyChanges
from workflows.application.loading import SNAPSHOT_EVERY
from workflows.application.reads import Reads
from workflows.application.submission import Receipt, Rejected, Submitting
from workflows.application.task_changes import TaskChanges
from workflows.batches import Progress
from workflows.store.persistence import APPLICATION

if TYPE_CHECKING:
    from workflows.application.follower import Followed

__all__ = ["SNAPSHOT_EVERY", "Accord", "OnStandby", "Receipt", "Rejected"]


class Accord(Submitting, TaskChanges, KeyChanges, Reads):
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
        from workflows.reader import FOLLOWER

        return Followed(position=self.views.db.position(FOLLOWER))

    def lag(self) -> int:
        return 0

    def read_to(self) -> int:
        """How far into the log a read made now sees: as far as every view
        has read on the primary, and replicated here."""
        return self.views.read_to() or 0

    def behind(self) -> str:
        """How far behind its primary the standby is, in a sentence."""
        from workflows.reader import how_far_behind

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
