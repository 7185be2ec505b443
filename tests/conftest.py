"""Every test away from the settings of whoever runs the suite; stores for
integration tests: a SQLite file, and a fresh PostgreSQL database when
ACCORD_TEST_POSTGRES_URL names a server (skipped otherwise)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES_URL = os.environ.get("ACCORD_TEST_POSTGRES_URL", "")


def _away_from_the_user(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No ACCORD_* variable, the home folder and the working folder empty ones in `folder`."""
    for name in [name for name in os.environ if name.startswith("ACCORD_")]:
        monkeypatch.delenv(name)
    for place in ("home", "here"):
        (folder / place).mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(folder / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(folder / "here")


@pytest.fixture(scope="session", autouse=True)
def hermetic_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing of the person running the suite reaches a test, nor the
    commands it starts (they inherit this environment): no ACCORD_* variable
    (a test sets its own after this), no accord.toml of the working folder,
    no home folder. The suite once sent its test data to the mail server and
    the people a checkout's accord.toml named. ACCORD_TEST_POSTGRES_URL is
    read once, above, into POSTGRES_URL; the commands that need it are
    handed it. Session-wide, so that the stores module-wide fixtures make
    are made away from the user too."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _away_from_the_user(monkeypatch, tmp_path_factory.mktemp("session"))
        yield


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test in a working folder and home of its own: what one leaves
    there (an outbox, a default accord.db) no other sees."""
    _away_from_the_user(monkeypatch, tmp_path_factory.mktemp("test"))


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver's receivers (the webhooks' ends) on 127.0.0.1, not
    wherever "localhost" or PYTEST_HTTPSERVER_HOST points: a test sends
    only to a server it started, here."""
    return ("127.0.0.1", 0)


def fresh_postgres_database() -> Iterator[str]:
    """Create a database of its own on the test server; drop it afterwards."""
    import psycopg

    parts = urlsplit(POSTGRES_URL)
    name = f"accord_test_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """An empty store, set up as `accord init` would: a SQLite file path or a
    postgresql:// URL. The same test runs on both."""
    from workflows.application.compose import build
    from workflows.config.settings import Settings

    if request.param == "sqlite":
        url = str(tmp_path / "accord.db")  # type: ignore[operator]
        build(Settings(db=url), init=True).close()
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("ACCORD_TEST_POSTGRES_URL is not set")
    for url in fresh_postgres_database():
        build(Settings(db=url), init=True).close()
        yield url


@pytest.fixture
def demo_db(db: str) -> str:
    """A store holding the demo: every fact of the 2021 source note."""
    from tests.helpers import accord

    result = accord(db, "demo")
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def admin(db: str, tmp_path: Path) -> Path:
    """The store's first administrator's key, made and enrolled by `accord
    init --admin-key` (run twice: the second changes nothing)."""
    import json

    from tests.helpers import keyed
    from workflows.signing.keys import read_key

    path = tmp_path / "admin.key"
    result = keyed(db, "init", "--admin-key", str(path), "--holder", "registry admin")
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600
    again = keyed(db, "init", "--admin-key", str(path), "--json")
    assert json.loads(again.stdout)["admin_key"] == read_key(path).key_id
    return path
