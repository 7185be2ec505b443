"""Reading on a hot standby (ACCORD_READ_DB): every command that only reads,
and the web console, read the log and the views there as they stand,
saying how far behind the primary the standby is; nothing is written
there (a standby refuses every write, so a command that tried would fail).
What records still goes to the primary (ACCORD_DB), and a change made on a
page of the console is shown on the page read next from the standby. A
private primary and streaming standby, as in the failover suite."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eventsourcing.cipher import AESCipher
from starlette.testclient import TestClient

from tests.helpers import accord, as_json, open_partners
from tests.integration.test_failover import Pair, caught_up, running_pair
from workflows import rules
from workflows.cli import main
from workflows.config.settings import Settings, Web
from workflows.web.app import create

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# A standby may have received WAL it has not replayed yet at the moment it is
# asked, whatever the test waited for: its primary writes some of its own
# accord (a snapshot of running transactions every 15 s), and says so.
READING = re.compile(
    r"accord: reading the standby at \S+: as of its primary's transaction of \S+, \d+\.\d s ago"
    r"(, and has received more it is still replaying)?"
)

# Every command that only reads, with the demo's partners and meetings.
READERS = [
    ["partners", "--json"],
    ["partner", "show", "TN", "--json"],
    ["tasks", "--json"],
    ["report", "portfolio", "--json"],
    ["report", "partnership", "MA", "--json"],
    ["report", "funding", "--json"],
    ["report", "portfolio", "--format", "html"],
    ["report", "partnership", "TN", "--as-of", "2021-07-01", "--json"],
    ["audit", "log", "--json"],
    ["audit", "seal", "--json"],
    ["audit", "replay", "--as-of", "2021-07-01", "--partner", "TN", "--json"],
    ["export", "events"],
    ["export", "iati"],
    ["export", "ics"],
    ["projections", "status", "--json"],
    ["rules", "simulate", str(Path(rules.__file__).parent / "default.toml"), "--json"],
    ["scheduler", "status", "--json"],
]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """The demo recorded on the primary, its views brought up to date there
    (as a scheduler's tick does), and replayed by the standby."""
    for pair in running_pair(synchronous=False):
        # No background writes on the primary (autovacuum analysing what the
        # demo wrote): each read below finds the standby with all replayed.
        pair.primary.sql("ALTER SYSTEM SET autovacuum = off")
        pair.primary.sql("SELECT pg_reload_conf()")
        assert accord(pair.url, "demo").exit_code == 0
        assert accord(pair.url, "scheduler", "tick").exit_code == 0
        caught_up(pair)
        yield pair


def on_standby(pair: Pair, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["--db", pair.primary.url, *args], env={"ACCORD_READ_DB": pair.standby.url, **(env or {})}
    )


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_command_that_reads_reads_the_standby_as_the_primary_would_show_it(pair: Pair, args: list[str]) -> None:
    on_primary = accord(pair.primary.url, *args)
    assert on_primary.exit_code == 0, on_primary.output
    caught_up(pair)
    read = on_standby(pair, *args)

    assert read.exit_code == 0, read.output
    assert READING.fullmatch(read.stderr.strip()), read.stderr
    assert this_moment(read.stdout) == this_moment(on_primary.stdout)


def this_moment(text: str) -> str:
    """Text with the moments of today as one: the two commands run a second
    or so apart, and a replay's tasks are opened, and a calendar stamped, as
    it runs (2026-12-04T14:46:04, or 20261204T144604Z in a calendar)."""
    today = datetime.now(UTC).date()
    return re.sub(rf"({today.isoformat()}|{today:%Y%m%d})T[0-9:.]+Z?", "(today)", text)


def partners(result: Result) -> set[str]:
    assert result.exit_code == 0, result.output
    return {row["code"] for row in json.loads(result.stdout)}


def test_the_views_are_read_as_they_stand_there_while_the_standby_is_behind(pair: Pair) -> None:
    pair.standby.sql("SELECT pg_wal_replay_pause()")
    try:
        open_partners(pair.primary.url, "EG")
        assert accord(pair.primary.url, "scheduler", "tick").exit_code == 0
        assert "EG" not in partners(on_standby(pair, "partners", "--json"))
        assert "EG" in partners(accord(pair.primary.url, "partners", "--json"))
    finally:
        pair.standby.sql("SELECT pg_wal_replay_resume()")
    caught_up(pair)
    assert "EG" in partners(on_standby(pair, "partners", "--json"))


def test_audit_verify_builds_views_to_compare_so_it_verifies_the_primary(pair: Pair) -> None:
    verified = on_standby(pair, "audit", "verify", "--json")

    assert verified.exit_code == 0, verified.output
    assert "standby" not in verified.stderr
    assert as_json(verified)["sound"] is True


def test_a_standby_of_no_accord_store_or_another_key_is_refused_in_a_sentence(pair: Pair) -> None:
    keyed = on_standby(pair, "report", "portfolio", env={"ACCORD_CIPHER_KEY": AESCipher.create_key(32)})
    assert keyed.exit_code == 1
    assert "(ACCORD_READ_DB) cannot be read: it holds no Accord store, or one written with another" in keyed.stderr
    elsewhere = pair.standby.url.rsplit("/", 1)[0] + "/template1"
    empty = CliRunner().invoke(main, ["--db", pair.primary.url, "tasks"], env={"ACCORD_READ_DB": elsewhere})
    assert empty.exit_code == 1
    assert "/template1 (ACCORD_READ_DB) cannot be read: it holds no Accord store" in empty.stderr


def test_the_console_reads_the_standby_and_records_a_change_on_the_primary(pair: Pair, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[roles]\ndesks = ["alice"]\n')
    settings = Settings(
        db=pair.primary.url, read_db=pair.standby.url, policy=str(policy), web=Web(web_user_header="X-Remote-User")
    )
    with TestClient(create(settings), headers={"X-Remote-User": "alice"}) as web:
        portfolio = web.get("/")
        assert portfolio.status_code == 200
        assert re.search(r'class="banner" role="status">Reading the standby at \S+: as of', portfolio.text)
        ref = re.search(r'href="/tasks/([0-9a-f-]{36})"', web.get("/tasks").text)
        assert ref is not None
        page = web.get(f"/tasks/{ref[1]}").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None

        changed = web.post(f"/tasks/{ref[1]}/assign", data={"csrf": token[1], "owner": "omar"})

        assert changed.status_code == 200, changed.text
        assert "Task assigned." in changed.text
        assert "<dt>Owner</dt><dd>omar</dd>" in changed.text
    [shown] = as_json(accord(pair.primary.url, "task", "show", ref[1], "--json"))
    assert shown["owner"] == "omar"
