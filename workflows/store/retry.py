"""What Accord does when the store does not answer: the classification of
server errors (a PostgreSQL server gone away, or a statement that failed),
and the waiting and retrying that writers and the scheduler share.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from eventsourcing.persistence import InterfaceError, OperationalError

from workflows.base.failures import StoreUnusable

# A lost optimistic-concurrency race is retried, with growing random pauses,
# and a lost connection to PostgreSQL once a second, for up to this many
# seconds before giving up.
RETRY_FOR = 120.0

# Warnings only. Where logging is not configured (every command but the
# scheduler's), Python's last-resort handler prints them on stderr; the
# scheduler's log shows them once, as its own lines.
log = logging.getLogger("accord")


def deadline() -> float:
    """When to give up waiting (a time.monotonic()), from now."""
    return time.monotonic() + RETRY_FOR


class StoreBusy(StoreUnusable):
    """Other writers kept winning the race for longer than Accord waits."""


class StoreOutOfReach(StoreUnusable):
    """The PostgreSQL server stayed out of reach for longer than Accord waits."""


def out_of_reach(error: Exception) -> bool:
    """Whether an error says the PostgreSQL server went away (shut down,
    restarting, refusing connections), not that a statement failed: the
    library's error from the SQLSTATE classes of a broken connection (08) and
    of a shutdown (57P01-03), or from a failure on the client's side, which
    has none (a closed connection, none from the pool in time); or Accord's
    own StoreOutOfReach, given up waiting. Never on SQLite, whose errors have
    no SQLSTATE: there they mean a read-only file or a full disk."""
    if isinstance(error, StoreOutOfReach):
        return True
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    state = getattr(error.__cause__, "sqlstate", "")
    return state is None or state.startswith(("08", "57P01", "57P02", "57P03"))


def first_line(error: BaseException) -> str:
    """An error's message on one line (its type's name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def wait_for_server(error: Exception, store: str, deadline: float) -> None:
    """After an error of the library's: if it says the PostgreSQL server went
    away, warn and pause a second before the caller tries again, or raise
    StoreOutOfReach once past the deadline (a time.monotonic()); any other
    error is raised as it is."""
    if not out_of_reach(error):
        raise error
    reason = first_line(error)
    if time.monotonic() > deadline:
        raise StoreOutOfReach(
            f"lost the connection to the store at {store} and could not get it back in {RETRY_FOR:.0f} s ({reason})"
        ) from error
    log.warning("the store at %s: connection lost (%s); retrying in 1 s", store, reason)
    time.sleep(1)


def address(env: Mapping[str, str]) -> str:
    """A PostgreSQL store's address as people see it (no password)."""
    user, host, port, name = (env.get(f"POSTGRES_{key}") or "" for key in ("USER", "HOST", "PORT", "DBNAME"))
    hosts, ports = host.split(","), port.split(",")
    # libpq's lists: a port each, or one port for every host.
    pairs = zip(hosts, ports if len(ports) == len(hosts) else ports[:1] * len(hosts), strict=True)
    return f"postgresql://{user}@{','.join(f'{h}:{p}' for h, p in pairs)}/{name}"
