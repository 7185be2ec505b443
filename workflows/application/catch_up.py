"""Catching up: the follow-up tasks new events imply, then every view; and
the repair of those whose position the log contradicts."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from workflows.application.core import Core
from workflows.base.batches import Progress, collector_paused
from workflows.store.signatures import Refused

if TYPE_CHECKING:
    from workflows.application.follower import Followed, Follower
    from workflows.application.recovery import Repaired

# Warnings only; see workflows.application.core.
log = logging.getLogger("accord")


class CatchingUp(Core):
    def refresh(self, progress: Progress | None = None, *, warn: bool = True) -> Followed:
        """Open and close the tasks new events imply, then bring every view up
        to date. Commands that read call this first, so no one sees stale data.
        A view or the follower whose position the log contradicts is left as
        it stands, with a warning (`warn`) naming it and the repair."""
        # Imported here: commands that only record need neither the follower
        # nor the views' code.
        from workflows.application.follower import Followed, Follower
        from workflows.application.reader import FOLLOWER
        from workflows.application.recovery import astray

        # Paused throughout, not batch by batch: a catch-up makes next to no
        # cycles (23 objects over 200,000 events), and each pass between
        # batches would scan everything again.
        with collector_paused():
            found = astray(self)
            if warn:
                self._warn(found.values())
            # The follower closes tasks by the task list: not beside a task list astray.
            if FOLLOWER in found or "tasks" in found:
                followed = Followed(position=self.views.db.position(FOLLOWER))
            else:
                followed = self._follow(Follower(self, self.rules, self.views), progress)
            self.views.catch_up(progress=progress)
        return followed

    def _follow(self, follower: Follower, progress: Progress | None) -> Followed:
        """The follower's run; on a signed store, by one who holds no key in
        force (an auditor reading), the tasks are left for a writer to open,
        with a warning, and the views still caught up."""
        from workflows.application.follower import Followed
        from workflows.application.reader import FOLLOWER

        try:
            return follower.run(progress)
        except Refused as refused:
            self._warn([f"the tasks of the newest facts are left for a writer to open: {refused}"])
            return Followed(position=self.views.db.position(FOLLOWER))

    def astray(self) -> dict[str, str]:
        """Every reader of the log (each view by name, the follower) whose
        position the log contradicts, with a sentence saying how."""
        from workflows.application.recovery import astray

        return astray(self)

    def rebuild(self, names: Sequence[str]) -> Repaired:
        """Rebuild these views from the whole log; all of them: the snapshots
        dropped too, and the follower found again if the log contradicts its
        position (workflows.application.recovery)."""
        from workflows.application.recovery import rebuild

        with collector_paused():
            return rebuild(self, names)

    def repair(self) -> Repaired:
        """Rebuild the views and find the follower again where the log
        contradicts their positions (workflows.application.recovery)."""
        from workflows.application.recovery import repair

        with collector_paused():
            return repair(self)

    def lag(self) -> int:
        """How far behind the log the follower and the slowest view are, in
        positions together: the work `refresh` has to do, about."""
        from workflows.application.reader import FOLLOWER

        db = self.views.db
        head = db.head()
        slowest = min(self.views.status(name).position for name in self.views.names)
        return max(0, head - db.position(FOLLOWER)) + max(0, head - slowest)

    def _warn(self, sentences: Iterable[str]) -> None:
        """Each sentence once in this process's life (a scheduler or a console refreshes often)."""
        for sentence in sentences:
            if sentence not in self._told:
                self._told.add(sentence)
                log.warning("warning: %s", sentence)

    @cached_property
    def _told(self) -> set[str]:
        return set()
