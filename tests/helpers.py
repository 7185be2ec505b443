"""Small helpers shared by the integration tests."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.cli import main
from workflows.config.settings import Group, Settings


class TookTooLong(BaseException):
    """Raised in a test whose command or process hangs (a BaseException, so
    that the command line does not turn it into an exit status)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail the test, rather than stop the whole run, if it takes longer."""

    def expire(signum: int, frame: object) -> None:
        raise TookTooLong(f"the test took more than {seconds:.0f} s: a command or process never finished")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def accord(db: str, *args: str, input: str | None = None, actor: str = "tester") -> Result:
    """Run the accord command line as a user would, against `db`."""
    return CliRunner().invoke(main, ["--db", db, "--actor", actor, *args], input=input, catch_exceptions=False)


def initialised(db: str) -> str:
    """A new store at `db`, made as a person makes one (`accord init`): no
    other command but `accord demo` makes one. Returns `db`."""
    result = accord(db, "init")
    assert result.exit_code == 0, result.output
    return db


def keyed(db: str, *args: str, key: Path | None = None, input: str | None = None) -> Result:
    """The command line as a writer holding `key` (ACCORD_KEY) runs it."""
    env = {"ACCORD_KEY": str(key) if key else ""}
    return CliRunner().invoke(main, ["--db", db, "--actor", "tester", *args], input=input, env=env)


@contextmanager
def application(db: str) -> Iterator[Accord]:
    """The application over `db`, its views brought up to date."""
    app = build(Settings(db=db))
    try:
        app.refresh()
        yield app
    finally:
        app.close()


@contextmanager
def raw(db: str) -> Iterator[Any]:
    """A connection of the database's own driver, committed on leaving."""
    if db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db) as connection:
            yield connection
    else:
        connection = sqlite3.connect(db)
        try:
            yield connection
            connection.commit()
        finally:
            connection.close()


def stored_facts(db: str) -> int:
    """How many facts the store holds, leaving out the tasks Accord opened."""
    app = build(Settings(db=db))
    try:
        return sum(1 for notification in app.notifications() if not notification.topic.startswith("domain.task:"))
    finally:
        app.close()


def stored_count(db: str) -> int:
    """How many events the store holds (PostgreSQL positions may have gaps)."""
    app = build(Settings(db=db))
    try:
        return sum(1 for _ in app.notifications())
    finally:
        app.close()


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def opened(partner: str = "TN") -> dict[str, Any]:
    return {"type": "PartnershipOpened", "partner": partner, "occurred_on": "2020-09-23"}


def visit(partner: str = "TN", day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "VisitHeld",
        "partner": partner,
        "occurred_on": f"2021-05-{day:02d}",
        "visitors": ["Commissioner Johansson"],
        **extra,
    }


def jsonl(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as the text of a JSON-lines file."""
    return "".join(json.dumps(row) + "\n" for row in rows)


def submit_rows(db: str, *rows: dict[str, Any], actor: str = "tester") -> Result:
    """`accord submit --file -` with the rows on standard input."""
    return accord(db, "submit", "--file", "-", input=jsonl(rows), actor=actor)


def open_partners(db: str, *codes: str) -> str:
    """Open the partnerships, failing the test if that does not work; returns db."""
    result = submit_rows(db, *(opened(code) for code in codes))
    assert result.exit_code == 0, result.output
    return db


def as_json(result: Result) -> Any:
    """What a `--json` command printed, after checking it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


G = TypeVar("G", bound=Group)


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """These ACCORD_* variables alone, as the environment, for the block."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("ACCORD_")]:
            patch.delenv(name)
        for name, value in variables.items():
            patch.setenv(name, value)
        yield


def settings_from(group: type[G], variables: dict[str, str]) -> G:
    """A group of settings read from these variables, as Accord reads them."""
    with environment(variables):
        return group()
