"""The signed-in console as tests meet it: a policy giving alice a role,
bob another and carol none, their users file, a client of the console on
the demo store (the `web` fixture, in tests/integration/conftest.py), and
signing in and reading a page's token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.helpers import accord, as_json
from workflows.config.settings import Settings, Web
from workflows.web.app import create

POLICY = """
[roles]
desks = ["alice"]
readers = ["bob"]

[permit]
TaskCancelled = ["desks"]
"""


def make_files(tmp_path: Path) -> tuple[Path, Path]:
    """The users file (not made yet: no one may sign in until `users add`) and the policy."""
    users, policy = tmp_path / "users.toml", tmp_path / "policy.toml"
    policy.write_text(POLICY)
    for name in ("alice", "bob", "carol"):
        result = accord("unused.db", "users", "add", name, "--password-stdin", input=f"{name} has a password")
        assert result.exit_code != 0  # no users file named: said, not guessed
    return users, policy


def add_users(users: Path, demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_USERS", str(users))
    for name in ("alice", "bob", "carol"):
        added = as_json(
            accord(demo_db, "users", "add", name, "--password-stdin", "--json", input=f"{name} has a password")
        )
        assert added == {"user": name, "added": True, "file": str(users)}


def client(demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client of the console on the demo store, alice, bob and carol its users."""
    users, policy = files
    add_users(users, demo_db, monkeypatch)
    settings = Settings(db=demo_db, policy=str(policy), web=Web(users=str(users)))
    with TestClient(create(settings)) as client:
        yield client


def token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def sign_in(web: TestClient, name: str, password: str | None = None) -> int:
    form = {"csrf": token(web.get("/login").text), "name": name, "password": password or f"{name} has a password"}
    return web.post("/login", data=form, follow_redirects=False).status_code


def a_task(web: TestClient) -> str:
    found = re.search(r'href="/tasks/([0-9a-f-]{36})"', web.get("/tasks").text)
    assert found is not None
    return found[1]


def said(page: str) -> str:
    found = re.search(r'class="(?:error|banner)"[^>]*>([^<]+)<', page)
    return unescape(found[1]) if found else ""
