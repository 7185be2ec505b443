"""Every failure a person can meet, as one sentence and an exit status.

Accord's own errors say their kind by the class they derive from
(workflows.base.failures: bad input, a store that cannot be used, a record that
does not verify) and the domain's are all bad input; only the libraries'
errors are named here, since they cannot say it themselves.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InfrastructureFactoryError, MapperDeserialisationError, PersistenceError
from pydantic import ValidationError

from domain.errors import DomainError
from domain.vocabulary import describe
from workflows.base.failures import BadInput, OutputInvalid, StoreUnusable, ToolUnavailable, VerificationFailed
from workflows.config.settings import Settings
from workflows.store.persistence import describe_store, missing, unreadable
from workflows.store.retry import first_line

BAD_INPUT = BadInput.status
STORE = StoreUnusable.status


def explain(error: Exception, settings: Settings) -> tuple[int, str]:
    return explained(error, settings) or (
        STORE,
        f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)",
    )


def explained(error: Exception, settings: Settings) -> tuple[int, str] | None:
    """An error Accord knows, as its status and a sentence; None for one it
    does not (a bug, whose traceback `--debug` shows)."""
    match error:
        case BadInput() | StoreUnusable() | VerificationFailed() | ToolUnavailable() | OutputInvalid():
            return error.status, str(error)
        case DomainError():
            return BAD_INPUT, str(error)
        case ValidationError():
            return BAD_INPUT, "; ".join(describe(error)) + "; nothing was stored"
        case MapperDeserialisationError():
            return STORE, unreadable(settings.db, keyed=bool(settings.cipher_key))
        case PersistenceError() | InfrastructureFactoryError() | sqlite3.Error() | OSError():
            return STORE, _store_problem(error, settings.db)
    if type(error).__module__.startswith("psycopg"):
        return STORE, _store_problem(error, settings.db)
    return None


def _store_problem(error: Exception, db: str) -> str:
    text, store = first_line(error), describe_store(db)
    if "no such table" in text or ("does not exist" in text and ("relation" in text or "table" in text)):
        # A database without Accord's tables: said as a missing SQLite file is.
        return missing(db)
    if "read-only transaction" in text:
        return f"the store at {store} is a hot standby, which takes no writes: this needs its primary (ACCORD_DB)"
    return f"cannot use the store at {store}: {text}"
