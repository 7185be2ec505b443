"""Whether a PostgreSQL store is reached through a connection pooler that
hands each transaction to whichever server connection is free (PgBouncer's
transaction or statement mode), rather than keeping one a client's for as
long as it is connected (session mode).

Accord cannot work that way: the psycopg driver prepares the statements it
runs often on the server connection it ran them on, and the library sets
its session's settings once, after connecting; both are gone when the next
transaction lands elsewhere. Such a pooler is refused, in a sentence, when
the store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows.base.failures import StoreUnusable

if TYPE_CHECKING:
    from psycopg import Connection


class TransactionPooling(StoreUnusable):
    """The store is reached through a pooler that does not keep sessions."""


def refuse_transaction_pooling(conninfo: str, store: str) -> None:
    """Raise TransactionPooling if two connections to `conninfo` show that
    a client's transactions may run on different server connections. In
    session mode, or directly, a client keeps its server process (its
    pg_backend_pid) from connecting to closing, and no two clients share
    one. Through a pooler that pools transactions, a server connection that
    one client used is handed to the next (PgBouncer takes the one freed
    last): here client A is given the one B has just freed, or B, while A
    holds it, another. A server that cannot be reached is left for the
    store's own retries to report."""
    import psycopg

    try:
        with (
            psycopg.connect(conninfo, autocommit=True) as a,
            psycopg.connect(conninfo, autocommit=True) as b,
        ):
            b.execute("BEGIN")
            before = _backend(b)
            b.execute("COMMIT")
            a.execute("BEGIN")
            shared = _backend(a) == before
            after = _backend(b)
            a.execute("COMMIT")
    except psycopg.OperationalError:
        return
    if shared or after != before:
        raise TransactionPooling(
            f"the store at {store} is reached through a connection pooler in transaction mode, which Accord "
            "cannot work through (each transaction may run on another server connection): set the pooler's "
            "pool_mode to session, or connect to PostgreSQL directly"
        )


def _backend(connection: Connection[Any]) -> int:
    row = connection.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])
