"""PostgreSQL keeps the log append-only itself: after `accord init --writer`,
a writer records through Accord as before, but the database refuses every
UPDATE, DELETE and TRUNCATE of the events and their chain, and each event is
stored with the database user who recorded it, whatever --actor says."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import POSTGRES_URL
from tests.helpers import accord, as_json

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not POSTGRES_URL, reason="ACCORD_TEST_POSTGRES_URL is not set"),
]


@pytest.fixture
def store() -> Iterator[tuple[str, str]]:
    """A fresh database set up by its owner, and a login role of its own;
    afterwards the database is dropped, then the roles (which own objects
    in it until then)."""
    import psycopg

    from tests.conftest import fresh_postgres_database
    from workflows.application.compose import build
    from workflows.config.settings import Settings

    writer = f"accord_w_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {writer} LOGIN")
    database = ""
    try:
        for url in fresh_postgres_database():
            database = urlsplit(url).path.lstrip("/")
            build(Settings(db=url), init=True).close()
            yield url, writer
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {writer}")
            conn.execute(f"DROP ROLE IF EXISTS {database}_writer")


def as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port or 5432}"))


@pytest.fixture
def guarded(store: tuple[str, str]) -> str:
    """The demo, recorded by the writer on a store set up by its owner."""
    postgres_db, writer = store
    result = accord(postgres_db, "init", "--writer", writer)
    assert result.exit_code == 0, result.output
    assert "the log is append-only" in result.stdout
    url = as_user(postgres_db, writer)
    recorded = accord(url, "demo", actor="someone-else")
    assert recorded.exit_code == 0, recorded.output
    return url


def run_as_writer(url: str, statement: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as error:
            return str(error).splitlines()[0]
    return "no error"


def test_the_database_refuses_the_writer_any_update_delete_or_truncate(guarded: str) -> None:
    assert run_as_writer(guarded, "UPDATE accord_events SET topic = topic WHERE notification_id = 1") == (
        "the event log is append-only: UPDATE on accord_events refused"
    )
    assert "permission denied" in run_as_writer(guarded, "DELETE FROM accord_events WHERE notification_id = 1")
    assert "permission denied" in run_as_writer(guarded, "TRUNCATE accord_events")
    assert "permission denied" in run_as_writer(guarded, "UPDATE accord_chain SET digest = digest")
    assert "must be owner" in run_as_writer(guarded, "DROP TRIGGER accord_append_only ON accord_events")


def test_the_writer_moves_the_latest_moment_on_but_never_where_moments_are_held_in_order_from(guarded: str) -> None:
    refused = "where the log's moments are held in order from is kept"

    assert run_as_writer(guarded, "UPDATE accord_moments SET since = since + 1") == f"{refused}: UPDATE refused"
    assert "permission denied" in run_as_writer(guarded, "DELETE FROM accord_moments")
    assert run_as_writer(guarded, "UPDATE accord_moments SET latest = latest") == "no error"
    assert "must be owner" in run_as_writer(guarded, "DROP TRIGGER accord_keep_since ON accord_moments")


def test_each_event_is_stored_with_the_database_user_who_recorded_it(guarded: str, store: tuple[str, str]) -> None:
    rows = as_json(accord(guarded, "audit", "log", "--json", actor="someone-else"))

    # Every fact is the writer's; the tasks the rules opened and closed, Accord's.
    assert {row["actor"] for row in rows} == {store[1], "accord"}
    assert {row["type"] for row in rows if row["actor"] == "accord"} <= {"TaskOpened", "TaskCompleted"}


def test_the_writer_keeps_the_projections_and_the_log_verifies(guarded: str) -> None:
    rebuilt = accord(guarded, "projections", "rebuild")
    verified = accord(guarded, "audit", "verify")

    assert rebuilt.exit_code == 0, rebuilt.output
    assert verified.exit_code == 0, verified.output


def test_writers_are_for_postgresql(tmp_path: object) -> None:
    result = accord(str(tmp_path) + "/accord.db", "init", "--writer", "alice")  # type: ignore[operator]

    assert result.exit_code == 2
    assert "--writer is for PostgreSQL" in result.output


def test_a_writer_keeps_snapshots_and_they_verify(guarded: str) -> None:
    from tests.integration.test_snapshots import EVERY, facts, snapshot_rows, submit

    submit(guarded, facts("TN", EVERY + 1, start=0)[1:])  # the demo opened TN already

    assert len(snapshot_rows(guarded)) == 1
    assert accord(guarded, "audit", "verify").exit_code == 0
