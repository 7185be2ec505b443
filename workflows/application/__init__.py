"""The application service: every use case that records or reads facts.
The command line, the scheduler and the tests all call its methods.

One module a responsibility, each a part of `Accord`:

    core          the store, loading aggregates, storing what was decided (with retries)
    submission    recording submissions, all or none
    task_changes  assign, defer, complete, cancel a task
    reads         the log itself: a partnership, an aggregate's events, the log in pages
    catch_up      the follow-up tasks new events imply (follower), then every view
"""

from __future__ import annotations

from workflows.application.reads import Reads
from workflows.application.submission import SNAPSHOT_EVERY, Receipt, Rejected, Submitting
from workflows.application.task_changes import TaskChanges
from workflows.store.persistence import APPLICATION

__all__ = ["SNAPSHOT_EVERY", "Accord", "Receipt", "Rejected"]


class Accord(Submitting, TaskChanges, Reads):
    """Accord's event-sourced application over SQLite or PostgreSQL."""

    name = APPLICATION
