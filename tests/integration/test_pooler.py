"""Through a connection pooler: Debian's PgBouncer, run by the test on
127.0.0.1 in front of the test server. In session mode Accord works as on
the server itself (the scheduler's lock included); in transaction mode,
where a client's transactions run on whichever server connection is free,
it refuses in one sentence."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.helpers import accord, open_partners, time_limit
from workflows.application.compose import build
from workflows.config.settings import Settings

pytestmark = [pytest.mark.integration]

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class Pooler:
    """A PgBouncer of the test's own in front of one database."""

    def __init__(self, database_url: str, mode: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="accord-pgbouncer-"))
        self.folder.chmod(0o755)
        # PgBouncer refuses to run as root: it runs as postgres, and writes its log here.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        parts = urlsplit(database_url)
        config = self.folder / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"accord = host={parts.hostname} port={parts.port or 5432} dbname={parts.path.lstrip('/')} "
            f"user={parts.username or 'postgres'}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = any\npool_mode = {mode}\nmax_client_conn = 200\ndefault_pool_size = 20\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
        )
        output = open(self.folder / "output.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.process = subprocess.Popen([*self.as_owner, PGBOUNCER, str(config)], stdout=output, stderr=output)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/accord"

    def wait_until_listening(self) -> None:
        with time_limit(15):
            while True:
                assert self.process.poll() is None, self.log()
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
                time.sleep(0.05)

    def log(self) -> str:
        paths = [self.folder / "output.log", self.folder / "pgbouncer.log"]
        return "".join(path.read_text(errors="replace") for path in paths if path.exists())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("ACCORD_TEST_POSTGRES_URL is not set")
    yield from fresh_postgres_database()


def pooler(database: str, mode: str) -> Iterator[Pooler]:
    if not Path(PGBOUNCER).exists():
        pytest.skip("no pgbouncer (Debian's package pgbouncer) to pool connections with")
    running = Pooler(database, mode)
    try:
        running.wait_until_listening()
        yield running
    finally:
        running.stop()


@pytest.fixture
def session_pooler(database: str) -> Iterator[Pooler]:
    yield from pooler(database, "session")


@pytest.fixture
def transaction_pooler(database: str) -> Iterator[Pooler]:
    yield from pooler(database, "transaction")


def test_through_pgbouncer_in_session_mode_accord_records_ticks_and_verifies(session_pooler: Pooler) -> None:
    db = session_pooler.url
    assert accord(db, "init").exit_code == 0
    open_partners(db, "TN", "MA")
    recorded = accord(
        db,
        *("submit", "CommitmentRecorded", "--partner", "TN", "--occurred-on", "2021-03-01"),
        *("--commitment", "c1", "--party", "partner", "--description", "Resume returns", "--due-on", "2021-04-01"),
    )
    assert recorded.exit_code == 0, recorded.output
    # The scheduler's lock, a transaction-level advisory lock, is taken through the pooler.
    ticked = accord(db, "scheduler", "tick", "--at", "2021-05-01T09:00")
    assert ticked.exit_code == 0, ticked.output
    app = build(Settings(db=db))
    try:
        app.refresh()
        [row] = app.views.db.query(f"SELECT count(*) AS n FROM {app.views.table('tasks')}")
        assert row["n"] >= 1
    finally:
        app.close()
    verified = accord(db, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_through_pgbouncer_in_transaction_mode_accord_refuses_in_one_sentence(
    database: str, transaction_pooler: Pooler
) -> None:
    assert accord(database, "init").exit_code == 0
    store = f"postgresql://postgres@127.0.0.1:{transaction_pooler.port}/accord"

    for command in (["partners"], ["scheduler", "tick"], ["submit", "-f", "-"]):
        result = accord(transaction_pooler.url, *command, input="")
        assert result.exit_code == 1, result.output
        assert result.stderr == (
            f"accord: the store at {store} is reached through a connection pooler in transaction mode, which "
            "Accord cannot work through (each transaction may run on another server connection): set the "
            "pooler's pool_mode to session, or connect to PostgreSQL directly\n"
        )
