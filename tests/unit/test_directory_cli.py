"""`accord directory check` and `show`: a directory file checked with every
problem named (exit 2), and its people shown with their ways to be reached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.unit.test_directory import GOOD
from workflows.cli import main

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def accord(*args: str, directory: str | None = None, secret: str = SECRET) -> Result:
    env = {"ACCORD_DIRECTORY": directory or "", "ACCORD_CONFIG": "", "ACCORD_WEBHOOK_SECRET": secret}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def good(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no accord.toml of the working folder
    path = tmp_path / "people.toml"
    path.write_text(GOOD)
    return str(path)


def test_check_counts_the_people_and_their_channels(good: str) -> None:
    result = accord("directory", "check", good)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{good}: 4 people, 4 email address(es), 2 webhook(s), all valid\n"


def test_check_reads_the_directory_in_force_and_says_it_as_json(good: str) -> None:
    result = accord("directory", "check", "--json", directory=good)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"file": good, "people": 4, "email": 4, "webhooks": 2}


def test_check_names_each_problem_and_exits_2(good: str) -> None:
    Path(good).write_text('[people.a]\nemail = ["x"]\n[people.b]\nname = "B"\n')

    result = accord("directory", "check", good)
    Path(good).write_text('[people.a]\nemail = ["a@example.eu"]\n[people.b]\nname = "B"\n')
    unreachable = accord("directory", "check", good)

    assert result.exit_code == 2
    assert f"{good}: people.a.email[0]: 'x' is not an email address" in result.stderr
    assert unreachable.exit_code == 2
    assert unreachable.stderr.endswith(
        f"{good}: b has no email address and no webhook: nothing reaches them; give one\n"
    )


def test_check_refuses_webhooks_with_no_secret_to_sign_them_naming_each_person(good: str) -> None:
    result = accord("directory", "check", good, secret="")

    assert result.exit_code == 2
    for owner in ("desk:TN", "desk:MA"):
        assert (
            f"{good}: {owner} has a webhook, but no secret to sign it with is set (ACCORD_WEBHOOK_SECRET): "
            "webhooks are never sent unsigned; set one (`accord directory new-secret`) or remove the webhook"
        ) in result.stderr


def test_without_a_directory_check_and_show_say_how_to_name_one(good: str) -> None:
    for command in ("check", "show"):
        result = accord("directory", command)

        assert result.exit_code == 2
        assert "no directory file: name one, or set ACCORD_DIRECTORY" in result.stderr


def test_show_lists_each_person_their_addresses_and_only_the_host_of_their_webhook(good: str) -> None:
    result = accord("directory", "show", directory=good)

    assert result.exit_code == 0, result.output
    assert "amira.bensalah@example.eu; desk-tn@example.eu; webhook chat.example.eu" in result.stdout
    assert "hooks/desk-tn" not in result.stdout
    assert "escalation: head-of-unit\nportfolio: head-of-unit, cabinet\nbriefing: cabinet\n" in result.stdout


def test_show_as_json_gives_each_person_a_row(good: str) -> None:
    rows = json.loads(accord("directory", "show", "--json", directory=good).stdout)

    assert rows[0] == {
        "owner": "desk:TN",
        "name": "Tunisia desk",
        "email": ["amira.bensalah@example.eu", "desk-tn@example.eu"],
        "webhook": "chat.example.eu",
    }
    assert [row["owner"] for row in rows] == ["desk:TN", "head-of-unit", "cabinet", "desk:MA"]
