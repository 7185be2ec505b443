"""A store that cannot be used: one sentence and exit 1 (exit 2 for an
address that names no store); `--debug` lets the exception through."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from eventsourcing.persistence import PersistenceError

from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.helpers import accord, application, as_json, initialised, jsonl, opened, raw, stored_count, submit_rows
from workflows.cli import main
from workflows.store.persistence import StoreAddressError, describe_store

pytestmark = pytest.mark.integration

# Nothing listens on port 1; a short timeout keeps the test quick.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nope?connect_timeout=1"


def no_store(db: str) -> str:
    """What every command but `init` and `demo` says of a store that is not there."""
    return (
        f"accord: there is no store at {describe_store(db)}: `accord init` makes one, `accord demo` one holding "
        "the demo's facts (or set ACCORD_DB to the store you mean)\n"
    )


@pytest.fixture
def uninitialised_postgres() -> Iterator[str]:
    """An empty PostgreSQL database on which `accord init` was never run."""
    if not POSTGRES_URL:
        pytest.skip("ACCORD_TEST_POSTGRES_URL is not set")
    yield from fresh_postgres_database()


@pytest.mark.parametrize("command", [["partners"], ["audit", "log"], ["submit", "-f", "-"]])
def test_an_unreachable_postgres_server_exits_1_saying_the_store_cannot_be_used(command: list[str]) -> None:
    result = accord(UNREACHABLE, *command, input=jsonl([opened()]))
    assert result.exit_code == 1
    assert result.stderr.startswith("accord: cannot use the store at postgresql://postgres@127.0.0.1:1/nope: ")
    assert result.stderr.count("\n") == 1


# Commands that record, read, or run as a service over the store: none makes one.
NEEDING_A_STORE = [
    ["partners"],
    ["audit", "log"],
    ["submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2021"],
    ["submit", "-f", "-"],
    ["scheduler", "tick"],
    ["deliver", "--once"],
    ["keys", "list"],
    ["projections", "rebuild"],
]


@pytest.mark.parametrize("command", NEEDING_A_STORE)
def test_a_postgres_database_without_init_exits_1_saying_there_is_no_store_there(
    uninitialised_postgres: str, command: list[str]
) -> None:
    result = accord(uninitialised_postgres, *command, input=jsonl([opened()]))
    assert (result.exit_code, result.stderr) == (1, no_store(uninitialised_postgres))
    assert uninitialised_postgres.rsplit("/", 1)[1] in result.stderr
    with raw(uninitialised_postgres) as connection:
        assert connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall() == []


def test_accord_init_makes_a_new_postgres_database_usable_and_running_it_again_changes_nothing(
    uninitialised_postgres: str,
) -> None:
    first = accord(uninitialised_postgres, "init")
    assert first.exit_code == 0
    assert first.stdout.endswith(" is ready\n")
    assert submit_rows(uninitialised_postgres, opened()).exit_code == 0
    assert accord(uninitialised_postgres, "init").exit_code == 0
    assert [row["code"] for row in as_json(accord(uninitialised_postgres, "partners", "--json"))] == ["TN"]


def test_accord_demo_makes_a_new_postgres_database_a_store_holding_the_demo(uninitialised_postgres: str) -> None:
    assert accord(uninitialised_postgres, "demo").exit_code == 0
    assert len(as_json(accord(uninitialised_postgres, "partners", "--json"))) == 8


@pytest.mark.parametrize("command", NEEDING_A_STORE)
def test_a_misspelled_sqlite_store_records_nothing_makes_no_file_and_names_accord_init(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "demo").mkdir()
    assert accord(str(tmp_path / "demo" / "accord.db"), "init").exit_code == 0
    misspelled = str(tmp_path / "demo" / "acord.db")

    result = accord(misspelled, *command, input=jsonl([opened()]))

    assert (result.exit_code, result.stderr) == (1, no_store(misspelled))
    assert sorted(path.name for path in (tmp_path / "demo").iterdir()) == ["accord.db"]


def test_the_scheduler_service_does_not_start_on_a_misspelled_store_nor_leave_a_lock_file(tmp_path: Path) -> None:
    misspelled = str(tmp_path / "acord.db")
    command = [str(Path(sys.executable).with_name("accord")), "--db", misspelled, "scheduler", "run"]

    done = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert (done.returncode, done.stderr) == (1, no_store(misspelled))
    assert list(tmp_path.iterdir()) == []


def test_only_init_and_demo_make_a_sqlite_store(tmp_path: Path) -> None:
    made, demo = str(tmp_path / "made.db"), str(tmp_path / "demo.db")
    assert accord(made, "init").exit_code == 0
    assert submit_rows(made, opened()).exit_code == 0
    assert stored_count(made) == 1
    assert accord(demo, "demo").exit_code == 0
    assert accord(demo, "demo").exit_code == 0  # again: the store it made is used as it is
    assert stored_count(demo) > 1


def test_sqlite_connections_do_not_zero_the_pages_a_dropped_view_frees(tmp_path: Path) -> None:
    # Debian builds SQLite with secure_delete on: each rebuild would write a
    # view's old table again as zeros to drop it. FAST (2) zeroes only in
    # pages written anyway.
    db = initialised(str(tmp_path / "accord.db"))
    assert submit_rows(db, opened()).exit_code == 0
    with application(db) as app:
        assert app.views.db.query("PRAGMA secure_delete") == [{"secure_delete": 2}]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "missing-folder/accord.db",
            "accord: there is no store at {path}: `accord init` makes one, `accord demo` one holding the demo's "
            "facts (or set ACCORD_DB to the store you mean)\n",
        ),
        ("not-a-database.db", "accord: cannot use the store at {path}: file is not a database\n"),
    ],
)
def test_a_sqlite_file_that_cannot_be_used_exits_1_saying_which(tmp_path: Path, name: str, expected: str) -> None:
    (tmp_path / "not-a-database.db").write_text("these are not the tables you are looking for\n" * 100)
    result = accord(str(tmp_path / name), "partners")
    assert result.exit_code == 1
    assert result.stderr == expected.format(path=(tmp_path / name).resolve())


def test_a_folder_given_as_the_store_exits_2_and_stores_nothing(tmp_path: Path) -> None:
    result = accord(str(tmp_path), "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2021")
    assert result.exit_code == 2
    expected = f"accord: ACCORD_DB {str(tmp_path)!r} is a folder; name a file such as accord.db\n"
    assert result.stderr == expected
    assert list(tmp_path.iterdir()) == []


def test_a_url_of_another_kind_of_store_exits_2() -> None:
    result = accord("sqlite:///accord.db", "partners")
    assert result.exit_code == 2
    assert result.stderr.startswith("accord: ACCORD_DB 'sqlite:///accord.db' is neither a file path nor a postgresql")


def test_with_debug_a_store_failure_raises_its_exception_instead_of_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(PersistenceError):
        accord(UNREACHABLE, "--debug", "partners")
    with pytest.raises(StoreAddressError):
        accord(str(tmp_path), "--debug", "partners")
    result = CliRunner().invoke(main, ["--db", UNREACHABLE, "--debug", "partners"])
    assert isinstance(result.exception, PersistenceError)
    assert "accord: " not in result.output
