"""Encryption at rest: with ACCORD_CIPHER_KEY, event payloads are compressed
and encrypted (AES-GCM); a wrong or missing key is refused in one sentence;
the chain and replays work the same. Each test runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from tests.helpers import as_json
from workflows.cli import main

pytestmark = pytest.mark.integration


def run(db: str, *args: str, key: str | None) -> Result:
    env = {"ACCORD_CIPHER_KEY": key} if key else {}
    return CliRunner(env=env).invoke(main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False)


def new_key() -> str:
    result = CliRunner().invoke(main, ["init", "--new-key"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def encrypted(db: str, key: str) -> Iterator[str]:
    """The demo, recorded with a key."""
    result = run(db, "demo", key=key)
    assert result.exit_code == 0, result.output
    yield db


def payloads(db: str) -> list[bytes]:
    if db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db) as connection:
            return [bytes(row[0]) for row in connection.execute("SELECT state FROM accord_events")]
    with sqlite3.connect(db) as connection:
        return [bytes(row[0]) for row in connection.execute("SELECT state FROM stored_events")]


def test_a_new_key_is_printed_and_differs_each_time() -> None:
    first, second = new_key(), new_key()

    assert first != second
    assert len(first) == 44  # 32 bytes, base64


def test_with_a_key_no_payload_holds_readable_text(encrypted: str, key: str) -> None:
    stored = payloads(encrypted)

    assert stored
    assert not any(b"Tunisia" in payload or b"occurred_on" in payload for payload in stored)
    partners = as_json(run(encrypted, "partners", "--json", key=key))
    assert "TN" in {row["code"] for row in partners}


def test_a_wrong_key_is_refused_in_a_sentence(encrypted: str) -> None:
    result = run(encrypted, "tasks", key=new_key())

    assert result.exit_code == 1
    assert "ACCORD_CIPHER_KEY is not the key they were written with" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_key_is_refused_in_a_sentence(encrypted: str) -> None:
    result = run(encrypted, "partners", key=None)

    assert result.exit_code == 1
    assert "they are encrypted; set the ACCORD_CIPHER_KEY they were written with" in result.stderr


def test_a_key_for_a_store_written_without_one_is_refused(db: str, key: str) -> None:
    assert run(db, "demo", key=None).exit_code == 0

    result = run(db, "tasks", key=key)

    assert result.exit_code == 1
    assert "or they were written without one" in result.stderr


def test_a_malformed_key_is_bad_input(db: str) -> None:
    result = run(db, "tasks", key="not-a-key")

    assert result.exit_code == 2
    assert "ACCORD_CIPHER_KEY is not a key" in result.output


def test_the_chain_and_a_replay_work_the_same_when_encrypted(encrypted: str, key: str) -> None:
    verified = run(encrypted, "audit", "verify", key=key)
    replayed = run(
        encrypted, "audit", "replay", "--as-of", "2021-05-08", "--partner", "TR", "--format", "json", key=key
    )

    assert verified.exit_code == 0, verified.output
    assert "projection tasks: equal to a fresh replay" in verified.stdout
    assert replayed.exit_code == 0, replayed.output
    assert '"Partnership with Türkiye (TR): Visits": 1' in replayed.stdout
