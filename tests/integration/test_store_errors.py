"""A store that cannot be used: one sentence and exit 1 (exit 2 for an
address that names no store); `--debug` lets the exception through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from eventsourcing.persistence import PersistenceError

from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.helpers import accord, application, as_json, jsonl, opened, stored_count, submit_rows
from workflows.cli import main
from workflows.store.persistence import StoreAddressError, describe_store

pytestmark = pytest.mark.integration

# Nothing listens on port 1; a short timeout keeps the test quick.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nope?connect_timeout=1"
NOT_INITIALISED = "has no Accord tables yet: run 'accord init' first"


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


@pytest.mark.parametrize(
    "command",
    [["partners"], ["audit", "log"], ["submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2021"]],
)
def test_a_postgres_database_without_init_exits_1_saying_to_run_accord_init(
    uninitialised_postgres: str, command: list[str]
) -> None:
    result = accord(uninitialised_postgres, *command)
    assert result.exit_code == 1
    assert result.stderr == f"accord: the store at {describe_store(uninitialised_postgres)} {NOT_INITIALISED}\n"
    assert uninitialised_postgres.rsplit("/", 1)[1] in result.stderr


def test_accord_init_makes_a_new_postgres_database_usable_and_running_it_again_changes_nothing(
    uninitialised_postgres: str,
) -> None:
    first = accord(uninitialised_postgres, "init")
    assert first.exit_code == 0
    assert first.stdout.endswith(" is ready\n")
    assert submit_rows(uninitialised_postgres, opened()).exit_code == 0
    assert accord(uninitialised_postgres, "init").exit_code == 0
    assert [row["code"] for row in as_json(accord(uninitialised_postgres, "partners", "--json"))] == ["TN"]


def test_a_new_sqlite_file_needs_no_init(tmp_path: Path) -> None:
    db = str(tmp_path / "new.db")
    assert submit_rows(db, opened()).exit_code == 0
    assert stored_count(db) == 1


def test_sqlite_connections_do_not_zero_the_pages_a_dropped_view_frees(tmp_path: Path) -> None:
    # Debian builds SQLite with secure_delete on: each rebuild would write a
    # view's old table again as zeros to drop it. FAST (2) zeroes only in
    # pages written anyway.
    db = str(tmp_path / "accord.db")
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
