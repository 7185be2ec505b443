"""PostgreSQL restarted mid-run: eight writers, the scheduler and a follower
at work on a private, throw-away server that the test stops and starts.
The writers say that the connection was lost, retry, and go on writing;
afterwards nothing acknowledged is lost and the store is sound
(`pytest -m faults`)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.vocabulary import parse
from tests.helpers import accord, open_partners, opened, time_limit
from tests.integration.test_faults_load import PARTNERS, Crew, assert_sound, start_all
from workflows.application.compose import build
from workflows.application.errors import explain
from workflows.config.settings import Settings
from workflows.store import retry

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.slow]

# The server is away for longer than the library retries a read (10 tries,
# each waiting up to connect_timeout=1 s for a connection): every writer meets
# the loss. The writers stop once each has written since the server came
# back, or after RUN seconds.
AWAY = 14.0
RUN = 50.0
WARNING = re.compile(r"^the store at postgresql://\S+: connection lost \(.+\); retrying in 1 s$", re.MULTILINE)
# The same in the scheduler's log, whose lines start with a time and a level.
LOGGED = re.compile(r" WARNING the store at postgresql://\S+: connection lost \(.+\); retrying in 1 s$", re.MULTILINE)


class Server:
    """A PostgreSQL cluster of the test's own, on 127.0.0.1 only, trusting
    every local connection; run as the `postgres` user when the tests run as
    root (initdb refuses root)."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        self.folder = Path(tempfile.mkdtemp(prefix="accord-pg-"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *args: str) -> None:
        command = [*self.as_owner, str(self.binaries / program), *args]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)

    def create(self) -> None:
        self._make_data()
        self.run("initdb", "-D", str(self.data), "--auth=trust", "--username=postgres", "--no-sync")

    def replicate(self, primary: Server) -> None:
        """Make this cluster a streaming standby of `primary` (running): a
        base backup that writes the standby's settings (-R)."""
        self._make_data()
        self.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "--no-sync"),
        )

    def _make_data(self) -> None:
        self.data.mkdir(mode=0o700)
        if self.as_owner:
            shutil.chown(self.data, "postgres")

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        """Run one statement on this server, outside any store; its rows."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def ctl(self, action: str, mode: str = "fast") -> None:
        # Room for every process's pool (up to 15 connections each). fsync
        # off: the restarts here are clean shutdowns, which write everything
        # anyway; the test is about connections, not crashes.
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
        log = str(self.data / "server.log")
        self.run("pg_ctl", action, "-D", str(self.data), "-w", "-m", mode, "-l", log, "-o", options)

    def remove(self) -> None:
        """Stop the server at once, if it runs, and remove its folder."""
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def server_binaries() -> Path:
    """Where Debian's PostgreSQL server programs are; skips the test if
    there are none, or no `postgres` user to run them as."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin to run a private server with")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no 'postgres' user to run a private PostgreSQL server as (initdb refuses root)")
    return Path(found[-1]).parent


def start_or_skip(*servers: Server, replicating: Server | None = None) -> None:
    """Create and start `servers` (standbys of `replicating` if given); skip
    the test, stopping and removing them all, if that cannot be done."""
    try:
        for server in servers:
            if replicating is None:
                server.create()
            else:
                server.replicate(replicating)
            server.ctl("start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        for server in (*servers, *([replicating] if replicating else [])):
            server.remove()
        pytest.skip(f"cannot start a private PostgreSQL server: {_first_line(error)}")


@pytest.fixture
def server() -> Iterator[Server]:
    """A running private server; stopped and removed afterwards, whatever happened."""
    server = Server(server_binaries())
    start_or_skip(server)
    try:
        result = accord(server.url, "init")
        assert result.exit_code == 0, result.output
        yield server
    finally:
        server.remove()


def _first_line(error: BaseException) -> str:
    text = (getattr(error, "stderr", None) or str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


@pytest.fixture
def crew(server: Server, tmp_path: Path) -> Iterator[Crew]:
    open_partners(server.url, *PARTNERS)
    # A second's wait for a connection, so that the library gives up its own
    # retries of a read (10 of them) well within the server's absence.
    team = Crew(server.url + "?connect_timeout=1", tmp_path)
    yield team
    team.kill()


def writers(crew: Crew) -> list[str]:
    return sorted(name for name in crew.processes if name.startswith("writer"))


def acknowledged_by(crew: Crew, name: str) -> int:
    report = crew.report(name)
    return len(report.read_text().splitlines()) if report.exists() else 0


def revive_follower(crew: Crew, deadline: float) -> None:
    """Like any one-shot command, the follower fails when the server goes
    (the scheduler follows the log meanwhile): start it again."""
    if crew.processes["follower"].poll() not in (None, 0):
        crew.start("follower", max(1.0, deadline - time.monotonic()))


def test_writers_report_a_restarted_server_retry_and_lose_nothing_acknowledged(server: Server, crew: Crew) -> None:
    with time_limit(2 * RUN):
        deadline = time.monotonic() + RUN
        start_all(crew, RUN)
        while not all(acknowledged_by(crew, name) for name in writers(crew)):
            time.sleep(0.2)
        server.ctl("restart")
        time.sleep(2)
        server.ctl("stop")
        time.sleep(AWAY)
        server.ctl("start")
        back = {name: acknowledged_by(crew, name) for name in writers(crew)}

        def written_since() -> bool:
            # More than one batch (of at most five facts) each.
            return all(acknowledged_by(crew, name) > back[name] + 5 for name in writers(crew))

        while not written_since() and time.monotonic() < deadline:
            revive_follower(crew, deadline)
            time.sleep(0.5)
        revive_follower(crew, deadline)
        crew.stop_early()
        crew.wait()

        for name in writers(crew):
            assert crew.processes[name].returncode == 0, crew.log(name)
            assert WARNING.search(crew.log(name)), crew.log(name)
        assert written_since(), f"not every writer wrote after the restart: {back}"
        # The scheduler said it in a line a tick, not a traceback.
        assert "Traceback" not in crew.log("scheduler"), crew.log("scheduler")
        assert_sound(crew)


def test_a_scheduler_started_while_the_server_is_away_waits_for_it(server: Server, tmp_path: Path) -> None:
    crew = Crew(server.url + "?connect_timeout=1", tmp_path)
    server.ctl("stop")
    try:
        with time_limit(120):
            crew.start("scheduler", 0)
            while not LOGGED.search(crew.log("scheduler")):
                assert crew.processes["scheduler"].poll() is None, crew.log("scheduler")
                time.sleep(0.2)
            server.ctl("start")
            while "tick as of" not in crew.log("scheduler"):
                assert crew.processes["scheduler"].poll() is None, crew.log("scheduler")
                time.sleep(0.2)
            crew.wait()
    finally:
        crew.kill()


def test_a_server_away_for_longer_than_accord_waits_is_one_sentence_and_exit_status_1(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(db=server.url + "?connect_timeout=1")
    app = build(settings)
    monkeypatch.setattr(retry, "RETRY_FOR", 0.0)
    try:
        server.ctl("stop")
        with time_limit(60), pytest.raises(retry.StoreOutOfReach) as caught:
            app.submit([parse(opened())], "tester")
    finally:
        app.close()
    store = f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    status, message = explain(caught.value, settings)
    assert status == 1
    assert message.startswith(f"lost the connection to the store at {store} and could not get it back in 0 s (")
