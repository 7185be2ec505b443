"""The composition root: builds the application from settings. Nothing
connects to a database before `build` is called."""

from __future__ import annotations

from workflows.application import Accord
from workflows.persistence import is_postgres, library_settings
from workflows.rules import load_rules
from workflows.settings import Settings


def build(settings: Settings, *, init: bool = False) -> Accord:
    """The application over the store ACCORD_DB names.

    A SQLite file gets its tables on first use. PostgreSQL gets them only from
    `accord init` (`init=True`), so that several processes starting at once
    never race to create them.
    """
    if is_postgres(settings.db):
        require_postgres_support()
    create_tables = init or not is_postgres(settings.db)
    rules = load_rules(settings.rules)
    app = Accord(library_settings(settings.db, create_tables=create_tables), rules=rules)
    if init:
        app.views.setup()
    return app


class MissingSupport(RuntimeError):
    """A store named whose driver is not installed."""


def require_postgres_support() -> None:
    try:
        import psycopg_pool  # noqa: F401
    except ImportError:
        raise MissingSupport("PostgreSQL support is not installed: pip install 'accord[postgres]'") from None
