"""Repairing the readers of the log whose positions the log contradicts
(workflows.projections.tracked): the views are rebuilt, and the task
follower is found again from the log itself.

Each event the follower stores names, in its key, the fact whose reading
made it (`rule@fact`, `moot@fact`, `amended@fact`: workflows.rules.engine),
and it stores them in the order it reads the log, page by page with its
position. So the fact behind its last event is the furthest it is known to
have read, and every fact after it made no task event: read again from
there, those facts open and close nothing they did not before (an existing
task is taken as opened, in case). A task opened on reading a correction
names the corrected fact, not the correction: that correction, found by the
rule, is where it had read to. One thing may differ: a correction read
again after a person deferred its task gives the task the due date the rule
gives, as a follower reading it late would have.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.amendments import Amendment, amended, fixes
from domain.task import FollowUpTask
from workflows.application.reader import FOLLOWER
from workflows.projections import tracked
from workflows.projections.base import Status
from workflows.rules.engine import opens
from workflows.store.database import Record

if TYPE_CHECKING:
    from workflows.application.core import Core

# How sentences name the follower.
LABEL = "the task follower"
# The events the follower stores, and the end of their keys: the fact read.
TASK = FollowUpTask
MADE = [get_topic(kind) for kind in (TASK.TaskOpened, TASK.TaskCompleted, TASK.TaskCancelled, TASK.TaskRevised)]
READ = re.compile(r"@(?P<aggregate>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})/(?P<version>\d+)$")


@dataclass
class Found:
    """The task follower found again: where it stood, where the log says it
    had read to, where it stands now, and what reading on from there did."""

    was: int
    found_at: int
    position: int
    opened: int
    closed: int


@dataclass
class Repaired:
    """What a repair did: each view rebuilt, the follower found again (if it
    had to be), the snapshots dropped."""

    rebuilt: list[Status] = field(default_factory=list)
    follower: Found | None = None
    snapshots_dropped: int = 0


def astray(app: Core) -> dict[str, str]:
    """Every reader of the log whose position the log contradicts (the views
    by name, the follower as FOLLOWER), each with a sentence saying how."""
    found = app.views.astray()
    if said := follower_astray(app):
        found[FOLLOWER] = said
    return found


def follower_astray(app: Core) -> str | None:
    """How the log contradicts the follower's position, if it does: read
    past records the log lost, or no position while the log holds tasks it
    opened."""
    db = app.views.db
    if position := db.position(FOLLOWER):
        return tracked.contradicted(db, {LABEL: position}).get(LABEL)
    last = next(_made(app), None)
    if last is None:
        return None
    return tracked.lost(LABEL, f"has stored tasks up to position {last.position}")


def repair(app: Core) -> Repaired:
    """Rebuild every view the log contradicts, find the follower again if it
    does, and drop the snapshots (one may hold facts the log lost); nothing
    when all stand where the log says."""
    views = sorted(app.views.astray())
    found = follower_astray(app)
    done = Repaired()
    if views:
        done.rebuilt = app.views.rebuild(views)
    if found:
        done.follower = find_follower(app)
    if views or found:
        done.snapshots_dropped = app.drop_snapshots()
    return done


def rebuild(app: Core, names: Sequence[str]) -> Repaired:
    """Rebuild these views; all of them: the follower found again if the log
    contradicts its position, and the snapshots dropped."""
    done = Repaired(app.views.rebuild(names))
    if set(names) == set(app.views.names):
        if follower_astray(app):
            done.follower = find_follower(app)
        done.snapshots_dropped = app.drop_snapshots()
    return done


def find_follower(app: Core) -> Found:
    """Move the follower back to where the log says it had read to, and
    follow the log on from there, an existing task taken as opened."""
    from workflows.application.follower import Follower

    db = app.views.db
    was, found_at = db.position(FOLLOWER), read_to(app)
    with db.transaction() as cursor:
        db.move_position(cursor, FOLLOWER, found_at)
    followed = Follower(app, app.rules, app.views, recovering=True).run()
    app.views.catch_up()
    return Found(was, found_at, followed.position, len(followed.opened), len(followed.closed))


def read_to(app: Core) -> int:
    """The position of the fact whose reading made the follower's last event
    (0 if it made none)."""
    last = next(_made(app), None)
    if last is None:
        return 0
    match = READ.search(last["key"])
    assert match is not None
    aggregate, version = UUID(match["aggregate"]), int(match["version"])
    with app.views.db.transaction(commit=False) as cursor:
        history = app.views.db.history(cursor, aggregate, last.position)
    facts = [record for record in history if record.originator_version == version]
    if not facts:
        return 0  # the fact is gone from the log: read it all again
    [fact] = facts
    if last.type is not FollowUpTask.TaskOpened:
        return fact.position
    return _opened_at(app, fact, history, last["rule"])


def _opened_at(app: Core, fact: Record, history: list[Record], rule_name: str) -> int:
    """Where reading the log opened the task of a rule for a fact: at the
    fact, if its rule applies to it as recorded, else at the first
    correction of it after which the rule applies (as the follower decides)."""
    rules = app.rules
    rule = next((rule for rule in rules.rule if rule.name == rule_name), None)
    event = fact.event()
    if rule is None or opens(rules, rule, event):
        return fact.position
    events = [record.event() for record in history]
    for index, record in enumerate(history):
        if issubclass(record.type, Amendment) and record["target"] == event.key:
            now = amended(event, fixes(events[: index + 1]).get((event.originator_id, event.key)))
            if now is not None and opens(rules, rule, now):
                return record.position
    return fact.position


def _made(app: Core) -> Iterator[Record]:
    """The events the follower stored, the latest first: those a person or
    the scheduler stored on tasks have keys of their own."""
    return (record for record in app.views.db.latest(MADE) if READ.search(record["key"]))
