"""Settings from flags, the environment and a config file (accord.toml, or
ACCORD_CONFIG), in one precedence; `accord config` shows each value in force
and where it came from; a bad file is named in one sentence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from workflows.cli import main

pytestmark = pytest.mark.integration


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def in_force(*args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    result = run(*args, "config", "--json", env=env)
    assert result.exit_code == 0, result.output
    return {row["setting"]: row for row in json.loads(result.stdout)}


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("ACCORD_DB", "ACCORD_CONFIG", "ACCORD_TICK", "ACCORD_REMIND_DAYS", "ACCORD_ACTOR", "ACCORD_OUTBOX"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default(here: Path) -> None:
    (here / "accord.toml").write_text('db = "from-file.db"\ntick = 30\nremind_days = 3\nactor = "file"\n')
    env = {"ACCORD_TICK": "45", "ACCORD_ACTOR": "env"}

    settings = in_force("--actor", "flag", env=env)

    assert (settings["actor"]["value"], settings["actor"]["from"]) == ("flag", "--actor")
    assert (settings["tick"]["value"], settings["tick"]["from"]) == ("45 s", "ACCORD_TICK")
    assert (settings["remind_days"]["value"], settings["remind_days"]["from"]) == ("3", "accord.toml")
    assert settings["db"] == {"setting": "db", "value": str(here / "from-file.db"), "from": "accord.toml"}
    assert (settings["escalate_after"]["value"], settings["escalate_after"]["from"]) == ("7", "default")


def test_accord_config_names_the_file_and_its_paths_are_read_from_its_folder(here: Path) -> None:
    folder = here / "etc"
    folder.mkdir()
    (folder / "team.toml").write_text('db = "stores/team.db"\noutbox = "/var/outbox"\n')

    settings = in_force(env={"ACCORD_CONFIG": str(folder / "team.toml")})

    assert settings["db"]["value"] == str(folder / "stores" / "team.db")
    assert settings["db"]["from"] == str(folder / "team.toml")
    assert settings["outbox"]["value"] == "/var/outbox"


def test_the_key_is_never_shown(here: Path) -> None:
    key = run("init", "--new-key").stdout.strip()

    settings = in_force(env={"ACCORD_CIPHER_KEY": key})

    assert settings["cipher_key"] == {
        "setting": "cipher_key",
        "value": "(set: events are encrypted)",
        "from": "ACCORD_CIPHER_KEY",
    }
    assert key not in run("config", env={"ACCORD_CIPHER_KEY": key}).stdout


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('db = "a.db"\ntik = 30\n', "accord.toml: 'tik' is not a setting; the settings are db, read_db, actor, rules"),
        ('tick = "fast"\n', "tick must be a number from 0.2 to 86400; got 'fast' (set by accord.toml)"),
        ("[schedule]\ntick = 30\n", "accord.toml: 'schedule' is not a setting"),
        ("db = \n", "accord.toml: not valid TOML: Invalid value (at line 1, column 6)"),
    ],
)
def test_a_config_file_that_cannot_be_used_exits_2_in_one_sentence(here: Path, content: str, said: str) -> None:
    (here / "accord.toml").write_text(content)

    result = run("partners")

    assert result.exit_code == 2
    assert said in result.output


def test_a_config_file_named_and_missing_exits_2(here: Path) -> None:
    result = run("partners", env={"ACCORD_CONFIG": str(here / "nowhere.toml")})

    assert result.exit_code == 2
    assert f"ACCORD_CONFIG names '{here / 'nowhere.toml'}', which is not a file" in result.output


def test_the_mail_password_and_the_webhook_secret_are_never_shown(here: Path) -> None:
    secret = run("directory", "new-secret").stdout.strip()
    env = {"ACCORD_SMTP_HOST": "mail.example.eu", "ACCORD_SMTP_PASSWORD": "hunter2", "ACCORD_WEBHOOK_SECRET": secret}

    settings = in_force(env=env)

    assert settings["smtp_password"] == {"setting": "smtp_password", "value": "(set)", "from": "ACCORD_SMTP_PASSWORD"}
    assert settings["webhook_secret"]["value"] == "(set)"
    assert settings["smtp_host"]["value"] == "mail.example.eu"
    assert (settings["smtp_port"]["value"], settings["smtp_port"]["from"]) == ("587", "default")
    shown = run("config", env=env).stdout
    assert "hunter2" not in shown and secret not in shown


def test_the_directory_in_a_config_file_is_read_from_its_folder(here: Path) -> None:
    folder = here / "etc"
    folder.mkdir()
    (folder / "team.toml").write_text('directory = "people.toml"\nsmtp_port = 2525\n')

    settings = in_force(env={"ACCORD_CONFIG": str(folder / "team.toml")})

    assert settings["directory"]["value"] == str(folder / "people.toml")
    assert settings["smtp_port"]["value"] == "2525"


def test_a_bad_mail_port_exits_2_naming_where_it_was_set(here: Path) -> None:
    (here / "accord.toml").write_text("smtp_port = 0\n")

    from_env = run("config", env={"ACCORD_SMTP_PORT": "smtp"})
    from_file = run("config")

    assert from_env.exit_code == 2
    assert "ACCORD_SMTP_PORT must be a port number from 1 to 65535; got 'smtp'" in from_env.output
    assert from_file.exit_code == 2
    assert "smtp_port must be a port number from 1 to 65535; got '0' (set by accord.toml)" in from_file.output


# Each number a setting holds, beyond its bound, and the sentence that refuses it.
TOO_LARGE = [
    ("tick", "1e300", "must be a number from 0.2 to 86400"),
    ("remind_days", "99999999999", "must be a whole number from 0 to 3660"),
    ("escalate_after", "99999999999", "must be a whole number from 1 to 3660"),
    ("briefing_days", "99999999999", "must be a whole number from 0 to 3660"),
    ("webhook_timeout", "1e300", "must be a number from 0.1 to 600"),
    ("delivery_attempts", "99999999999999999999", "must be a whole number from 1 to 100"),
    ("delivery_backoff", "1e300", "must be a number from 1 to 21600"),
    ("remind_days", "١٢", "must be a whole number from 0 to 3660"),
]


@pytest.mark.parametrize(("name", "value", "bound"), TOO_LARGE)
def test_a_number_beyond_its_settings_bound_is_refused_from_the_environment_or_the_file(
    here: Path, name: str, value: str, bound: str
) -> None:
    variable = f"ACCORD_{name.upper()}"

    from_env = run("config", env={variable: value})
    (here / "accord.toml").write_text(f"{name} = {value if value.isascii() else repr(value)}\n")
    from_file = run("config")

    assert from_env.exit_code == 2
    assert f"Error: {variable} {bound}; got '{value}'" in from_env.output.splitlines()
    assert from_file.exit_code == 2
    written = str(float(value)) if "e" in value else value
    assert f"Error: {name} {bound}; got '{written}' (set by accord.toml)" in from_file.output.splitlines()
