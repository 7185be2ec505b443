"""Replays of the record as it stood (workflows.audit.replay), kept for
the pages that ask for the same moment after the first: a replay copies
the log into memory and brings its views up to date, the costliest read
there is, while reading a page from one made is cheap.

A replay is kept by the moment it stands for, as read from the query
(a date; or a moment in UTC, whatever zone the query gave it in), and by
the log's head when it was made: a fact recorded since may be one that had
happened by that date, so a replay made before it is not used again. At
most KEPT are kept, the least recently read closed first; two pages asking
for one moment at once wait for one replay, not two.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from workflows.web.moments import Moment

if TYPE_CHECKING:
    from workflows.application.service import Accord
    from workflows.config.settings import Settings

KEPT = 4


@dataclass
class Replayed:
    """A replay made: what it reads, the day it judges on, what it stands for in words."""

    record: Accord
    today: date
    said: str
    ending: ExitStack
    # One page read from it at a time, and never once it is closed.
    using: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    def read(self, work: Callable[[Accord, date], dict[str, Any]]) -> dict[str, Any] | None:
        """`work` over the replay; None if it was closed meanwhile (to be replayed again)."""
        with self.using:
            if self.closed:
                return None
            return work(self.record, self.today)

    def close(self) -> None:
        with self.using:
            self.closed = True
            self.ending.close()


class Replays:
    """The replays made, by moment and head."""

    def __init__(self, settings: Settings, kept: int = KEPT) -> None:
        self.settings = settings
        self.kept = kept
        self._made: OrderedDict[tuple[Moment, int], Future[Replayed]] = OrderedDict()
        self._lock = threading.Lock()
        # How many replays were made, for those who check that one was kept.
        self.count = 0

    def read(
        self, app: Accord, moment: Moment, head: int, work: Callable[[Accord, date], dict[str, Any]]
    ) -> dict[str, Any]:
        """`work(record, today)` over the replay of `moment` at `head` (made
        from `app`, if none is kept), with what the replay stands for (`said`)."""
        while True:
            replayed = self._replayed(app, moment, head)
            values = replayed.read(work)
            if values is not None:
                return {**values, "said": replayed.said, "today": replayed.today}

    def _replayed(self, app: Accord, moment: Moment, head: int) -> Replayed:
        key = (moment, head)
        with self._lock:
            made = self._made.get(key)
            mine = made is None
            if made is None:
                made = self._made[key] = Future()
            self._made.move_to_end(key)
            dropped = [self._made.popitem(last=False)[1] for _ in range(max(0, len(self._made) - self.kept))]
        for old in dropped:
            old.add_done_callback(_close)  # at once, or once made
        if mine:
            try:
                made.set_result(self._replay(app, moment))
            except BaseException as error:
                with self._lock:
                    if self._made.get(key) is made:
                        del self._made[key]
                made.set_exception(error)
                raise
        return made.result()

    def _replay(self, app: Accord, moment: Moment) -> Replayed:
        from workflows.audit.replay import record_at

        ending = ExitStack()
        try:
            record, today, said = ending.enter_context(
                record_at(app, self.settings, as_of=moment.as_of, known_at=moment.known_at)
            )
        except BaseException:
            ending.close()
            raise
        with self._lock:
            self.count += 1
        return Replayed(record, today, said, ending)

    def close(self) -> None:
        with self._lock:
            made, self._made = list(self._made.values()), OrderedDict()
        for future in made:
            future.add_done_callback(_close)


def _close(made: Future[Replayed]) -> None:
    if made.exception() is None:
        made.result().close()
