"""Every failure a person can meet, as one sentence and an exit status.

2: the input was wrong (nothing was stored). 1: the store could not be used.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InfrastructureFactoryError, MapperDeserialisationError, PersistenceError
from pydantic import ValidationError

from domain.errors import DomainError
from domain.vocabulary import UnknownEventType, describe
from workflows.application import Rejected
from workflows.compose import UnreadableStore, unreadable
from workflows.iati import IatiError
from workflows.policy import PolicyError
from workflows.rules import RulesError
from workflows.scheduler.leader import AnotherScheduler
from workflows.settings import Settings
from workflows.store.persistence import MissingSupport, StoreAddressError, describe_store
from workflows.store.retry import StoreBusy, StoreOutOfReach, first_line
from workflows.submissions import InvalidOptions, InvalidSubmissions

BAD_INPUT = 2
STORE = 1


def explain(error: Exception, settings: Settings) -> tuple[int, str]:
    store = describe_store(settings.db)
    match error:
        case InvalidSubmissions(problems=problems, total=total):
            lines = "\n".join(problems)
            return BAD_INPUT, f"{lines}\nnothing was stored: {len(problems)} problem(s) in {total} submission(s)"
        case Rejected() | InvalidOptions():
            return BAD_INPUT, f"{error}; nothing was stored"
        case ValidationError():
            return BAD_INPUT, "; ".join(describe(error)) + "; nothing was stored"
        case RulesError() | PolicyError() | IatiError():
            return BAD_INPUT, str(error)
        case UnknownEventType() | DomainError() | StoreAddressError():
            return BAD_INPUT, str(error)
        case MissingSupport() | StoreBusy() | StoreOutOfReach() | AnotherScheduler() | UnreadableStore():
            return STORE, str(error)
        case MapperDeserialisationError():
            return STORE, unreadable(settings)
        case PersistenceError() | InfrastructureFactoryError() | sqlite3.Error() | OSError():
            return STORE, _store_problem(error, store)
    if type(error).__module__.startswith("psycopg"):
        return STORE, _store_problem(error, store)
    return STORE, f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)"


def _store_problem(error: Exception, store: str) -> str:
    text = first_line(error)
    if "does not exist" in text and ("relation" in text or "table" in text):
        return f"the store at {store} has no Accord tables yet: run 'accord init' first"
    if "no such table" in text:
        return f"the store at {store} has no Accord tables yet: run 'accord init' first"
    return f"cannot use the store at {store}: {text}"
