"""`audit verify` writes nothing to the store it checks: the views and the
task follower are left behind as they stand, and each view is compared
with a replay made elsewhere up to where it has read. On SQLite the file's
bytes (and its write-ahead log's) are the same after; on PostgreSQL verify
runs where the server makes every transaction read-only, so any write it
tried would fail it. Either way it still finds what was changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from domain.partnership import Partnership
from tests.helpers import accord, application, as_json, jsonl, raw, stored_count, submit_rows, visit
from tests.integration.test_audit_verify import TAMPERED
from tests.integration.test_snapshots import EVERY, facts
from workflows.application.compose import build, build_read_only
from workflows.config.settings import Settings
from workflows.projections import CATALOG, replayed

pytestmark = pytest.mark.integration


def files_of(db: str) -> dict[str, str]:
    """The SQLite store's file and its write-ahead log, where there is one,
    by their digests. Not its -shm: SQLite's shared index of that log, in
    which every reader, a read-only one too, marks what it reads."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (Path(db), Path(f"{db}-wal"))
        if path.exists() and path.stat().st_size
    }


@contextmanager
def read_only(db: str) -> Iterator[None]:
    """On PostgreSQL, every session opened meanwhile begins read-only
    (set on the database by the server's administrator, whatever the
    client asks); on SQLite, nothing changes, and the store's bytes must be
    the same on leaving."""
    if not db.startswith("postgresql"):
        before = files_of(db)
        yield
        assert files_of(db) == before
        return
    name = urlsplit(db).path.lstrip("/")
    admin = urlunsplit(urlsplit(db)._replace(path="/postgres"))
    with raw(admin) as connection:
        connection.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    try:
        yield
    finally:
        with raw(admin) as connection:
            connection.execute(f"ALTER DATABASE {name} RESET default_transaction_read_only")


def positions(db: str) -> dict[str, int]:
    """Every reader's tracked position."""
    table = "accord_tracking" if db.startswith("postgresql") else "tracking"
    with raw(db) as connection:
        rows = connection.execute(
            f"SELECT application_name, MAX(notification_id) FROM {table} GROUP BY application_name"
        ).fetchall()
    return {str(name): int(position) for name, position in rows}


@pytest.fixture
def lagging(demo_db: str) -> str:
    """The demo, its views and follower caught up, then three more visits
    recorded that neither has read: the follower has tasks to open."""
    assert accord(demo_db, "tasks").exit_code == 0
    assert submit_rows(demo_db, visit("TN", 21), visit("MA", 22), visit("TR", 23)).exit_code == 0
    return demo_db


def test_verify_leaves_a_store_whose_views_lag_as_it_stands_and_says_how_far_behind(lagging: str) -> None:
    count, tracked = stored_count(lagging), positions(lagging)

    with read_only(lagging):
        result = accord(lagging, "audit", "verify")

    assert result.exit_code == 0, result.output
    assert "projection tasks: equal to a fresh replay up to where it has read, 3 position(s) behind" in result.stdout
    assert "the task follower has 3 position(s) of the log to follow" in result.stdout
    # No task opened, no reader moved on.
    assert stored_count(lagging) == count
    assert positions(lagging) == tracked


def test_verify_as_json_tells_each_reader_behind_the_log(lagging: str) -> None:
    with read_only(lagging):
        verdict = as_json(accord(lagging, "audit", "verify", "--json"))

    assert verdict["sound"] is True
    assert verdict["behind"]["follower"] == 3
    assert verdict["behind"]["timeline"] == 3
    assert verdict["projections"]["timeline"] == []


def test_verify_beside_a_writer_leaves_the_file_and_its_write_ahead_log_unchanged(tmp_path: Path) -> None:
    db = str(tmp_path / "accord.db")
    assert accord(db, "demo").exit_code == 0
    writer = build(Settings(db=db))
    try:
        # The writer stays open: what it stored is still in the write-ahead log.
        writer.refresh()
        assert accord(db, "submit", "--file", "-", input=jsonl([visit("TN", 24)])).exit_code == 0
        assert "accord.db-wal" in files_of(db)

        with read_only(db):
            result = accord(db, "audit", "verify")
    finally:
        writer.close()

    assert result.exit_code == 0, result.output
    assert "the task follower has 1 position(s) of the log to follow" in result.stdout


def test_a_view_row_changed_in_a_lagging_store_is_found_without_writing(lagging: str) -> None:
    with raw(lagging) as connection:
        [generation] = connection.execute("SELECT generation FROM accord_views WHERE name = 'tasks'").fetchone()
        connection.execute(f"UPDATE view_tasks_{generation} SET owner = 'intruder' WHERE partner = 'TN'")

    with read_only(lagging):
        result = accord(lagging, "audit", "verify")

    assert result.exit_code == TAMPERED
    assert "projection tasks differs from a fresh replay:" in result.stderr
    assert f"view_tasks_{generation}: not in a fresh replay: " in result.stderr
    assert "'owner': 'intruder'" in result.stderr
    assert f"view_tasks_{generation}: missing: " in result.stderr
    assert "projection funding: equal to a fresh replay" in result.stdout


def test_a_snapshot_changed_is_found_without_writing(db: str) -> None:
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("TN", EVERY + 5))).exit_code == 0
    app = build(Settings(db=db))
    try:
        assert app.snapshots is not None
        [snapshot] = app.snapshots.get(Partnership.id_for("TN"), desc=True, limit=1)
        forged = snapshot.model_copy(update={"state": {**snapshot.state, "dialogues": {}}})
        stored = app.mapper.to_stored_event(forged)  # type: ignore[arg-type]
        with app.views.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {app.snapshots_table} SET state = ? WHERE originator_id = ?",
                (stored.state, app.views.db.originator(snapshot.originator_id)),
            )
    finally:
        app.close()

    with read_only(db):
        result = accord(db, "audit", "verify")

    assert result.exit_code == TAMPERED
    assert f"the snapshot of {snapshot.originator_id} at version {EVERY + 5} " in result.stderr
    assert "changed outside Accord" in result.stderr


def test_a_key_index_row_removed_is_found_without_writing(db: str) -> None:
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("TN", 20))).exit_code == 0
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("MA", 5))).exit_code == 0
    with raw(db) as connection:
        connection.execute("DELETE FROM accord_keys WHERE position = (SELECT MAX(position) FROM accord_keys)")

    with read_only(db):
        result = accord(db, "audit", "verify")

    assert result.exit_code == TAMPERED
    assert "the key index holds 20 keys for 25 facts: changed outside Accord" in result.stderr


def test_keys_recorded_before_the_index_existed_are_told_not_indexed_and_not_indexed_by_verify(db: str) -> None:
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("TN", 20))).exit_code == 0
    tracking = "accord_tracking" if db.startswith("postgresql") else "tracking"
    # As a store written before the index: no keys, no mark that they were indexed.
    with raw(db) as connection:
        connection.execute("DELETE FROM accord_keys")
        connection.execute(f"DELETE FROM {tracking} WHERE application_name = 'accord-keys'")

    with read_only(db):
        result = accord(db, "audit", "verify")

    assert result.exit_code == 0, result.output
    assert "keys: the 20 fact(s) recorded before the key index existed are not indexed yet" in result.stdout


def test_the_store_as_verify_opens_it_refuses_any_write(demo_db: str) -> None:
    app = build_read_only(Settings(db=demo_db))
    try:
        with pytest.raises(Exception, match=r"read-only|readonly"), app.views.db.transaction() as cursor:
            cursor.execute("CREATE TABLE accord_intruder (name TEXT)")
    finally:
        app.close()


def test_a_view_another_process_moves_on_while_it_is_compared_is_compared_where_it_then_stands(
    lagging: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_to = replayed.Replay.read_to
    moved: list[int] = []

    def read_while_another_process_catches_up(replay: replayed.Replay, stop: int) -> None:
        if not moved:
            with application(lagging):  # the follower and every view caught up, elsewhere
                moved.append(stop)
        read_to(replay, stop)

    monkeypatch.setattr(replayed.Replay, "read_to", read_while_another_process_catches_up)
    app = build_read_only(Settings(db=lagging))
    try:
        compared = replayed.compare(app.views)
    finally:
        app.close()

    assert moved
    assert compared.problems == {name: [] for name in CATALOG}
    assert compared.behind == {}
    assert compared.not_compared == {}
