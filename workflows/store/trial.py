"""A write tried and rolled back: a dry run's.

The recorders write a trial's events as they write any (positions, the
chain, the key index, the signing roster's checks) inside the insert's own
transaction, then raise RolledBack at its end, so that the database undoes
all of it: what the store would refuse, the trial is refused for in the same
sentence; what it would take, nothing of it is kept.
"""

from __future__ import annotations


class RolledBack(Exception):
    """The end of a trial's transaction: every write made and checked, none
    kept (a PostgreSQL sequence keeps the positions it gave: a gap)."""


def end_of(trial: object) -> None:
    """Raise RolledBack at the end of an insert that was a trial."""
    if trial:
        raise RolledBack
