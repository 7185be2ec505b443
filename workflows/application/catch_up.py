"""Catching up: the follow-up tasks new events imply, then every view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.application.core import Core
from workflows.batches import Progress, collector_paused

if TYPE_CHECKING:
    from workflows.application.follower import Followed


class CatchingUp(Core):
    def refresh(self, progress: Progress | None = None) -> Followed:
        """Open and close the tasks new events imply, then bring every view up
        to date. Commands that read call this first, so no one sees stale data."""
        # Imported here: commands that only record need neither the follower
        # nor the views' code.
        from workflows.application.follower import Follower

        # Paused throughout, not batch by batch: a catch-up makes next to no
        # cycles (23 objects over 200,000 events), and each pass between
        # batches would scan everything again.
        with collector_paused():
            followed = Follower(self, self.rules, self.views).run(progress)
            self.views.catch_up(progress=progress)
        return followed

    def lag(self) -> int:
        """How far behind the log the follower and the slowest view are, in
        positions together: the work `refresh` has to do, about."""
        from workflows.reader import FOLLOWER

        db = self.views.db
        head = db.head()
        slowest = min(self.views.status(name).position for name in self.views.names)
        return max(0, head - db.position(FOLLOWER)) + max(0, head - slowest)
