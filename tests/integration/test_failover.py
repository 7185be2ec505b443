"""The primary lost: a team's store on a PostgreSQL primary with a streaming
standby, both private, throw-away servers on 127.0.0.1. Eight writers, the
follower and two schedulers reach them through one multi-host address
(target_session_attrs=read-write); the primary is stopped at once (-m
immediate) in the middle of their batches, the standby promoted, and work
goes on there (`pytest -m failover`).

With synchronous replication nothing acknowledged is lost. With
asynchronous replication the standby may lag: here it is made to (its
sender paused a moment), so what the primary acknowledged in that moment is
lost; a seal taken before says how much of the log still stands, and the
writers' acknowledged facts, submitted again, restore what is missing
without doubles. In both, every task is opened once, no reminder is sent
twice, a scheduler leads on the new primary, and the store verifies."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.delivery import Delivery
from domain.task import FollowUpTask
from tests.helpers import accord, as_json, open_partners, submit_rows, time_limit, visit
from tests.integration.test_deliveries import Inbox, mail_server
from tests.integration.test_faults_load import (
    PARTNERS,
    Crew,
    _fact_types,
    assert_every_task_once,
    assert_sound,
    start_all,
)
from tests.integration.test_faults_postgres_restart import (
    Server,
    acknowledged_by,
    revive_follower,
    server_binaries,
    start_or_skip,
    writers,
)
from workflows.application.compose import build
from workflows.application.follower import Follower
from workflows.cli import main
from workflows.config.settings import Settings
from workflows.scheduler.leader import AdvisoryLock
from workflows.store.database import Page

pytestmark = [pytest.mark.integration, pytest.mark.failover, pytest.mark.slow]

# The writers' time; they stop earlier, once each has written on the new primary.
RUN = 60.0
# How long the writers work on the primary before it is lost.
BEFORE = 3.0
# How long the asynchronous standby is left behind before the primary goes.
LAG = 1.5


@dataclass
class Pair:
    """A primary and its streaming standby, and the address of both."""

    primary: Server
    standby: Server
    synchronous: bool

    @property
    def url(self) -> str:
        hosts = f"127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
        return f"postgresql://postgres@{hosts}/postgres"

    def streaming(self) -> bool:
        """Whether the standby streams from the primary, in the mode asked for."""
        rows = self.primary.sql("SELECT sync_state FROM pg_stat_replication WHERE state = 'streaming'")
        return [row[0] for row in rows] == ["sync" if self.synchronous else "async"]

    def sender(self) -> int:
        """The primary's process sending WAL to the standby."""
        [(pid,)] = self.primary.sql("SELECT pid FROM pg_stat_replication")
        return int(str(pid))


def running_pair(synchronous: bool) -> Iterator[Pair]:
    """A primary and its standby, streaming, the store initialised; both
    stopped and removed afterwards, whatever happened."""
    binaries = server_binaries()
    primary, standby = Server(binaries), Server(binaries)
    start_or_skip(primary)
    start_or_skip(standby, replicating=primary)
    pair = Pair(primary, standby, synchronous=synchronous)
    try:
        if pair.synchronous:
            # On the primary alone: the standby, once promoted, has none to wait for.
            primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
            primary.sql("SELECT pg_reload_conf()")
        with time_limit(30):
            while not pair.streaming():
                time.sleep(0.1)
        result = accord(pair.url, "init")
        assert result.exit_code == 0, result.output
        yield pair
    finally:
        primary.remove()
        standby.remove()


@pytest.fixture(params=["synchronous", "asynchronous"])
def pair(request: pytest.FixtureRequest) -> Iterator[Pair]:
    yield from running_pair(request.param == "synchronous")


@pytest.fixture
def streaming_pair() -> Iterator[Pair]:
    yield from running_pair(False)


@pytest.fixture
def mailbox() -> Iterator[Inbox]:
    """A mail server on 127.0.0.1 that takes every message (test_deliveries' Inbox)."""
    with mail_server() as handler:
        yield handler


@pytest.fixture
def crew(pair: Pair, tmp_path: Path, mailbox: Inbox) -> Iterator[Crew]:
    open_partners(pair.url, *PARTNERS)
    # A second's wait for each connection, as in the restart test.
    team = Crew(pair.url + "?connect_timeout=1", tmp_path)
    # One desk is reached by email: the schedulers deliver its reminders
    # and escalations through the failover too.
    directory = tmp_path / "people.toml"
    directory.write_text('[people."desk:TN"]\nemail = ["desk-tn@example.eu"]\n', encoding="utf-8")
    team.env.update(
        ACCORD_DIRECTORY=str(directory),
        ACCORD_SMTP_HOST="127.0.0.1",
        ACCORD_SMTP_PORT=str(mailbox.port),  # type: ignore[attr-defined]
        ACCORD_SMTP_SECURITY="none",
        ACCORD_DELIVERY_BACKOFF="1",
    )
    yield team
    team.kill()


def seal(db: str) -> str:
    head = as_json(accord(db, "audit", "seal", "--json"))
    return str(head["digest"])


def facts_by_key(db: str) -> Counter[str]:
    """How many times each writer's fact is stored, by its key."""
    app = build(Settings(db=db))
    try:
        return Counter(event.key for event in app.events_of_types(_fact_types()) if "-" in event.key)
    finally:
        app.close()


def follow_ups(db: str) -> tuple[int, Counter[tuple[str, str]]]:
    """The tasks opened, and each reminder and escalation with how many times it was recorded."""
    app = build(Settings(db=db))
    try:
        app.refresh()
        [row] = app.views.db.query(f"SELECT count(*) AS n FROM {app.views.table('tasks')}")
        sent = Counter(
            (str(event.originator_id), str(event.key))
            for event in app.events_of_types([FollowUpTask.ReminderSent, FollowUpTask.TaskEscalated])
        )
        return int(row["n"]), sent
    finally:
        app.close()


def test_the_primary_lost_mid_batch_work_goes_on_on_the_promoted_standby(
    pair: Pair, crew: Crew, mailbox: Inbox, capsys: pytest.CaptureFixture[str]
) -> None:
    began = time.monotonic()
    with time_limit(3 * RUN):
        deadline = time.monotonic() + RUN
        start_all(crew, RUN, schedulers=2)
        while not all(acknowledged_by(crew, name) for name in writers(crew)):
            time.sleep(0.2)
        time.sleep(BEFORE)
        kept, sealed = crew.acknowledged(), ""
        if not pair.synchronous:
            # Everything acknowledged so far is at or before this head, and
            # once the standby has replayed it, there; then it falls behind.
            kept, sealed = crew.acknowledged(), seal(pair.url)
            caught_up(pair)
            sender = pair.sender()
            os.kill(sender, signal.SIGSTOP)
            time.sleep(LAG)
            # A head the standby never got; then the sender goes with the primary.
            gone = seal(pair.url)
            os.kill(sender, signal.SIGKILL)
        acknowledged_on_primary = len(crew.acknowledged())
        pair.primary.ctl("stop", mode="immediate")
        [(promoted,)] = pair.standby.sql("SELECT pg_promote()")
        assert promoted is True
        lost_at = time.monotonic()
        logs = {name: len(crew.log(name)) for name in ("scheduler", "scheduler-2")}
        back = {name: acknowledged_by(crew, name) for name in writers(crew)}

        def written_since() -> bool:
            return all(acknowledged_by(crew, name) > back[name] + 5 for name in writers(crew))

        while not written_since() and time.monotonic() < deadline:
            revive_follower(crew, deadline)
            time.sleep(0.5)
        revive_follower(crew, deadline)
        stood_aside = held_from_the_schedulers(pair.url, crew)
        crew.stop_early()
        crew.wait()

    for name in writers(crew):
        assert crew.processes[name].returncode == 0, crew.log(name)
    assert written_since(), f"not every writer wrote on the promoted standby: {back}"
    # The schedulers act on the new primary, under the lock taken there:
    # while the test held it, each let its ticks pass.
    after = {name: crew.log(name)[size:] for name, size in logs.items()}
    assert any("tick as of" in text for text in after.values()), after
    assert all(stood_aside.values()), stood_aside
    for name in logs:
        assert "Traceback" not in crew.log(name), crew.log(name)

    acknowledged = crew.acknowledged()
    stored = facts_by_key(pair.url)
    present = len(acknowledged & set(stored))
    missing = acknowledged - set(stored)
    if pair.synchronous:
        assert not missing, f"{len(missing)} acknowledged facts are missing"
    else:
        # The log stands up to the seal taken before the standby fell
        # behind: what is missing was acknowledged after it.
        verified = accord(pair.url, "audit", "verify", "--head", sealed, "--no-views")
        assert verified.exit_code == 0, verified.output
        assert f"the log extends the sealed head {sealed}" in verified.output
        assert missing, "the standby was left behind, yet nothing acknowledged was lost"
        assert not missing & kept
        # The head sealed on the primary while the standby lagged is gone, and said so.
        refused = accord(pair.url, "audit", "verify", "--head", gone, "--no-views")
        assert refused.exit_code != 0
        assert f"the sealed head {gone} is not in the chain: the log no longer extends it" in refused.output
        restore(crew, pair.url)
        stored = facts_by_key(pair.url)
    assert [key for key, times in stored.items() if times > 1] == []
    assert_sound(crew, lost=bool(missing))
    tasks, sent = follow_ups(pair.url)
    assert [sent_twice for sent_twice, times in sent.items() if times > 1] == []
    # Each delivery recorded as delivered once; a message sent again (its
    # receipt lost with the connection) carries the same Message-ID.
    delivered = Counter(str(event.originator_id) for event in events_of(pair.url, Delivery.Delivered))
    assert delivered, "the schedulers delivered nothing"
    assert [twice for twice, times in delivered.items() if times > 1] == []
    assert set(delivered) <= set(mailbox.message_ids())

    with capsys.disabled():
        print(
            f"\nfailover ({'synchronous' if pair.synchronous else 'asynchronous'}): "
            f"{acknowledged_on_primary} facts acknowledged by the primary, {len(acknowledged)} in all; "
            f"{present} present after the failover, {len(missing)} missing"
            + (" (restored from the writers' files)" if missing else "")
            + f"; {tasks} tasks, {sum(sent.values())} reminders and escalations, "
            f"{len(delivered)} delivered by email ({sum(mailbox.message_ids().values())} messages received); "
            f"work went on {time.monotonic() - lost_at:.0f} s after the primary was lost; "
            f"{time.monotonic() - began:.0f} s in all"
        )


def held_from_the_schedulers(db: str, crew: Crew) -> dict[str, bool]:
    """Take the schedulers' lock on the store's primary (the new one) for a
    few ticks: whether each scheduler said it let its ticks pass."""
    names = sorted(name for name in crew.processes if name.startswith("scheduler"))
    lock = AdvisoryLock(db)
    try:
        with lock.turn(wait=True):
            sizes = {name: len(crew.log(name)) for name in names}
            time.sleep(3)
            return {name: "another scheduler acts on this tick" in crew.log(name)[sizes[name] :] for name in names}
    finally:
        lock.close()


def events_of(db: str, cls: type) -> list[Any]:
    app = build(Settings(db=db))
    try:
        return list(app.events_of_types([cls]))
    finally:
        app.close()


def restore(crew: Crew, db: str) -> None:
    """Submit every writer's acknowledged facts again: what is stored
    already stores nothing, what was lost is stored."""
    for name in writers(crew):
        path = Path(f"{crew.report(name)}.jsonl")
        result = accord(db, "submit", "--file", str(path), "--json")
        assert result.exit_code == 0, result.output
        json.loads(result.stdout)


def test_an_event_that_follows_none_stored_is_refused_as_a_lost_race(db: str) -> None:
    """What a writer decided on a lost primary's later events, stored on the
    promoted standby, would leave a gap no replay gets past: refused, the
    writer reloads and decides again (as after any lost race)."""
    if not db.startswith("postgresql://"):
        pytest.skip("the asynchronous standby's hazard: PostgreSQL's recorder")
    open_partners(db, "TN")
    app = build(Settings(db=db))
    try:
        [stored] = [n for n in app.recorder.select_notifications(start=None, limit=10) if "Partnership" in n.topic]
        ahead = StoredEvent(stored.originator_id, stored.originator_version + 2, stored.topic, stored.state)
        with pytest.raises(IntegrityError, match=f"has no version {stored.originator_version + 1} here to follow"):
            app.recorder.insert_events([ahead])
        following = StoredEvent(stored.originator_id, stored.originator_version + 1, stored.topic, stored.state)
        assert app.recorder.insert_events([following, ahead])
    finally:
        app.close()


def test_read_commands_read_the_views_on_the_standby_as_they_stand_saying_how_far_behind(
    streaming_pair: Pair,
) -> None:
    primary, standby = streaming_pair.url, streaming_pair.standby.url
    open_partners(primary, "TN", "MA")
    assert accord(primary, "partners").exit_code == 0  # the views brought up to date, on the primary
    caught_up(streaming_pair)
    runner = CliRunner()

    read = runner.invoke(main, ["--db", primary, "partners", "--json"], env={"ACCORD_READ_DB": standby})

    assert read.exit_code == 0, read.output
    assert [row["code"] for row in json.loads(read.stdout)] == ["MA", "TN"]
    shown = f"postgresql://postgres@127.0.0.1:{streaming_pair.standby.port}/postgres"
    assert re.fullmatch(
        rf"accord: reading the standby at {shown}: as of its primary's transaction of \S+, \d+\.\d s ago\n",
        read.stderr,
    ), read.stderr

    # Replay paused: what the primary records since is not there yet, and it says so.
    streaming_pair.standby.sql("SELECT pg_wal_replay_pause()")
    open_partners(primary, "LY")
    assert accord(primary, "partners").exit_code == 0
    while not streaming_pair.standby.sql("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")[0][0]:
        time.sleep(0.1)
    behind = runner.invoke(main, ["--db", primary, "partners", "--json"], env={"ACCORD_READ_DB": standby})
    assert behind.exit_code == 0, behind.output
    assert [row["code"] for row in json.loads(behind.stdout)] == ["MA", "TN"]
    assert ", and has received more it is still replaying\n" in behind.stderr
    # Commands that record still go to ACCORD_DB.
    assert "LY" in accord(primary, "partners").stdout
    # No scheduler has run on this store: its bookkeeping, never made, is read as empty.
    status = runner.invoke(main, ["--db", primary, "scheduler", "status", "--json"], env={"ACCORD_READ_DB": standby})
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["last tick"] == "never"


def caught_up(pair: Pair) -> None:
    """Wait until the standby has replayed all the primary has written."""
    [(written,)] = pair.primary.sql("SELECT pg_current_wal_lsn()::text")
    # Not time_limit: it may run under one, whose timer a second would end.
    deadline = time.monotonic() + 30
    while not pair.standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn")[0][0]:
        assert time.monotonic() < deadline, f"the standby has not replayed up to {written} in 30 s"
        time.sleep(0.05)


def test_a_snapshot_of_a_version_the_log_lacks_is_not_kept(db: str) -> None:
    """A snapshot of events lost with a primary, stored on the promoted
    standby, would have every load start from facts the log does not hold."""
    if not db.startswith("postgresql://"):
        pytest.skip("the asynchronous standby's hazard: PostgreSQL's snapshot store")
    open_partners(db, "TN")
    app = build(Settings(db=db))
    try:
        assert app.snapshots is not None
        [stored] = [n for n in app.recorder.select_notifications(start=None, limit=10) if "Partnership" in n.topic]
        recorder = app.snapshots.recorder
        lacking = StoredEvent(stored.originator_id, stored.originator_version + 5, stored.topic, stored.state)
        held = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, stored.state)
        recorder.insert_events([lacking])
        assert recorder.select_events(stored.originator_id) == []
        recorder.insert_events([held])
        assert [s.originator_version for s in recorder.select_events(stored.originator_id)] == [
            stored.originator_version
        ]
    finally:
        app.close()


@pytest.mark.parametrize("moment", ["the views' read", "the follower's read", "the follower's write"])
def test_a_page_read_on_the_lost_primary_is_read_again_on_the_promoted_standby(
    streaming_pair: Pair, moment: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader of the log (the views, the follower) reads a page on the
    primary, which is lost before the page's rows and position are written
    (or, for the follower, just after: the standby never gets them); the
    standby promoted lacks the page's last events and hands their positions
    to new ones. Written there, the page (or the next, read on from where
    the follower stood on the lost primary) would stand for events the log
    no longer holds and its position skip those new ones for ever: the
    write finds the log changed under it and the page is read again."""
    pair = streaming_pair
    open_partners(pair.url, "TN", "MA", "LY", "EG")
    app = build(Settings(db=pair.url))
    try:
        app.refresh()
        caught_up(pair)
        held = app.views.db.head()
        sender = pair.sender()
        os.kill(sender, signal.SIGSTOP)
        # On the primary alone: more than the 32 positions a sequence is
        # logged ahead, so the promoted standby gives some of them again.
        lost = [visit(partner, day) for partner in ("TN", "MA") for day in range(1, 29)]
        assert submit_rows(pair.url, *lost).exit_code == 0
        lost_head = app.views.db.head()
        follower = Follower(app, app.rules, app.views)
        db, events = app.views.db, app.events
        read, put = db.page, events.put

        def lose_the_primary() -> None:
            os.kill(sender, signal.SIGKILL)
            pair.primary.ctl("stop", mode="immediate")
            assert pair.standby.sql("SELECT pg_promote()") == [(True,)]
            later = [visit(partner, day) for partner in ("LY", "EG") for day in range(1, 29)]
            assert submit_rows(pair.url, *later).exit_code == 0
            # The pool's connections to the lost primary, replaced by ones to the new.
            db.recorder.datastore.pool.check()

        def read_then_lose_the_primary(start: int, stop: int, topics: Sequence[str], limit: int) -> Page:
            page = read(start, stop, topics, limit)
            if moment == "the views' read" or topics == follower.topics:
                db.page = read  # type: ignore[method-assign]
                lose_the_primary()
            return page

        def write_then_lose_the_primary(domain_events: Sequence[Any], **kwargs: Any) -> Any:
            recordings = put(domain_events, **kwargs)
            events.put = put  # type: ignore[method-assign]
            lose_the_primary()
            return recordings

        if moment == "the follower's write":
            events.put = write_then_lose_the_primary  # type: ignore[method-assign]
        else:
            db.page = read_then_lose_the_primary  # type: ignore[method-assign]
        with caplog.at_level("WARNING"):
            if moment == "the views' read":
                app.views.catch_up()
            else:
                follower.run()
        assert (db.page, events.put) == (read, put), "the primary was not lost"
        # The hazard was there: positions of the lost events given again to others.
        between = f"notification_id BETWEEN {held + 1} AND {lost_head}"
        [(reused,)] = pair.standby.sql(f"SELECT count(*) FROM accord_events WHERE {between}")
        assert reused
        assert "the store changed server" in caplog.text
        app.refresh()
        assert_every_task_once(app)
    finally:
        app.close()
    visits = {row["code"]: row["visits"] for row in as_json(accord(pair.url, "partners", "--json"))}
    assert visits == {"TN": 0, "MA": 0, "LY": 28, "EG": 28}
    verified = accord(pair.url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
