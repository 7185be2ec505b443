"""The users of the web console: names and argon2 hashes in a file only
`accord users` writes, readable by its owner alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from workflows.config.accounts import AccountsError, add, check, load, remove


def test_a_user_added_signs_in_with_their_password_alone(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"

    assert add(path, "alice", "correct horse battery") is True
    assert add(path, "bob", "another long password") is True
    assert add(path, "alice", "a new long password") is False  # a new password

    users = load(path)
    assert sorted(users) == ["alice", "bob"] and all(h.startswith("$argon2id$") for h in users.values())
    assert "correct horse" not in path.read_text()
    assert check(users, "alice", "a new long password")
    assert not check(users, "alice", "correct horse battery")
    assert not check(users, "carol", "a new long password")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_user_removed_no_longer_signs_in(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    add(path, "alice", "correct horse battery")

    remove(path, "alice")

    assert load(path) == {}
    with pytest.raises(AccountsError, match="'alice' is not a user of"):
        remove(path, "alice")


@pytest.mark.parametrize(
    ("name", "password", "says"),
    [
        ("al ice", "correct horse battery", "is not a user name"),
        ("alice", "short", "at least 10 characters"),
    ],
)
def test_a_bad_name_or_a_short_password_is_refused(tmp_path: Path, name: str, password: str, says: str) -> None:
    with pytest.raises(AccountsError, match=says):
        add(tmp_path / "users.toml", name, password)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[users]\nalice = 'plain text'\n", "is not a name with an argon2 hash"),
        ("[users\n", "not valid TOML"),
        ("[people]\n", r"holds a \[users\] table"),
    ],
)
def test_a_users_file_written_by_hand_wrongly_is_one_sentence(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "users.toml"
    path.write_text(text)

    with pytest.raises(AccountsError, match=says):
        load(path)


def test_no_file_is_no_user(tmp_path: Path) -> None:
    assert load(tmp_path / "none.toml") == {}
