"""Follow-ups reach people: every reminder, escalation and dispatch the
scheduler records is delivered, by email to a real SMTP server and by
webhook to a real HTTP receiver on 127.0.0.1, through servers that accept,
drop the connection after DATA, answer 4xx then accept, answer 5xx, time
out, and a scheduler killed between a send and its receipt. After each:
every logical message reached its receiver, none twice once deduplicated by
its identity (Message-ID, webhook-id), every attempt is in the audit log,
and `audit verify` passes. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from domain.delivery import Delivery
from tests.helpers import accord, as_json, submit_rows, time_limit
from tests.hostile import ESCAPES, record_unchecked
from workflows.application.compose import build
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

ACCORD = str(Path(sys.executable).with_name("accord"))
AUGUST = "2021-08-01T09:00"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# The facts: a partnership opened long ago (its desk-officer task, owned by
# the head of unit, overdue: escalated) and a visit whose follow-up (owned
# by the desk) falls due within a week of AUGUST (reminded).
FACTS = (
    {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-06-01"},
    {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-07-05", "visitors": ["Commissioner Johansson"]},
)


@pytest.fixture(autouse=True)
def limited() -> Iterator[None]:
    with time_limit(120):
        yield


class Inbox:
    """An SMTP server in the test process. Each DATA is answered by the next
    of `answers` ("drop": the connection is closed with no reply, the
    message taken), and the nth DATA of each message by the nth of
    `script`, then "250 OK" for good; `on_data` runs as a message arrives,
    before the answer."""

    def __init__(self) -> None:
        self.received: list[email.message.Message] = []
        self.raw: list[bytes] = []  # each message as it arrived
        self.answers: list[str] = []
        self.script: list[str] = []
        self.tries: Counter[str] = Counter()
        self.on_data: Callable[[], None] | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            tries = self.tries[message["Message-ID"]]
            self.tries[message["Message-ID"]] += 1
            if self.answers:
                answer = self.answers.pop(0)
            else:
                answer = self.script[tries] if tries < len(self.script) else "250 OK"
        if answer.startswith(("250", "drop")):
            self.received.append(message)
            self.raw.append(envelope.content)
        if self.on_data:
            self.on_data()
        if answer == "drop":
            server.transport.close()
            await asyncio.sleep(0.05)
        return answer

    def message_ids(self) -> Counter[str]:
        """Each delivery's id, as often as a message carrying it arrived
        (one email carries every delivery due to its person: X-Accord-Deliveries)."""
        return Counter(delivery for message in self.received for delivery in carried(message))

    def copies(self) -> Counter[str]:
        """Each Message-ID, as often as it arrived."""
        return Counter(str(message["Message-ID"]) for message in self.received)


def carried(message: email.message.Message) -> list[str]:
    """The ids of the deliveries an email carries."""
    return " ".join(str(message["X-Accord-Deliveries"]).split()).split(", ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def mail_server() -> Iterator[Inbox]:
    """An Inbox serving on 127.0.0.1 (its port as `.port`) while in use."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with mail_server() as handler:
        yield handler


class Hooks:
    """What the webhook receiver was sent: each request's webhook-id, its
    signature checked. The nth request of each message is answered by the
    nth of `script` (an HTTP status, or seconds to wait before answering),
    then 200."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.script: list[int | float] = []

    def handler(self, request: Request) -> Response:
        Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers))
        message = request.headers["webhook-id"]
        tries = self.ids[message]
        self.ids[message] += 1  # taken, even when the answer comes too late to be read
        answer = self.script[tries] if tries < len(self.script) else 200
        if isinstance(answer, float):
            time.sleep(answer)
            answer = 200
        return Response("taken" if answer == 200 else "busy", status=answer)


@pytest.fixture
def hooks(httpserver: HTTPServer) -> Hooks:
    received = Hooks()
    httpserver.expect_request("/hooks/desk-tn", method="POST").respond_with_handler(received.handler)
    return received


@pytest.fixture
def configured(tmp_path: Path, inbox: Inbox, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory (the desk by email and webhook, the head of unit by
    email) and the settings to reach the test's servers."""
    directory = tmp_path / "people.toml"
    directory.write_text(
        f"""
[people."desk:TN"]
name = "Tunisia desk"
email = ["desk-tn@example.eu"]
webhook = "{httpserver.url_for("/hooks/desk-tn")}"

[people."head-of-unit"]
email = ["head.unit@example.eu"]

[route]
escalation = ["head-of-unit"]
portfolio = ["head-of-unit"]
""",
        encoding="utf-8",
    )
    settings = {
        "DIRECTORY": str(directory),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "accord@example.eu",
        "WEBHOOK_SECRET": SECRET,
        # Long enough for a receiver on a loaded machine (at 1 s, a webhook
        # received was at times read as timed out, and left pending).
        "WEBHOOK_TIMEOUT": "3",
        "DELIVERY_BACKOFF": "1",
        "DELIVERY_ATTEMPTS": "3",
        "OUTBOX": str(tmp_path / "outbox"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"ACCORD_{name}", value)
    return directory


def requested(db: str) -> dict[str, list[str]]:
    """The ids of the deliveries requested, by channel."""
    app = build(Settings(db=db))
    try:
        by_channel: dict[str, list[str]] = {"email": [], "webhook": []}
        for event in app.events_of_types([Delivery.DeliveryRequested]):
            by_channel[event.channel].append(str(event.originator_id))
        return by_channel
    finally:
        app.close()


def deliveries(db: str) -> dict[str, dict[str, Any]]:
    return {row["delivery_id"]: row for row in as_json(accord(db, "deliveries", "--json", "--limit", "1000"))}


def logged(db: str, type_name: str) -> list[dict[str, Any]]:
    return list(as_json(accord(db, "audit", "log", "--type", type_name, "--json")))


def assert_each_delivered_once(db: str, inbox: Inbox, hooks: Hooks) -> None:
    """Every requested delivery reached its receiver, once deduplicated by
    its identity; each is delivered, and each attempt is in the audit log;
    the log verifies."""
    wanted = requested(db)
    assert wanted["email"] and wanted["webhook"]
    assert set(inbox.message_ids()) == set(wanted["email"])
    assert set(hooks.ids) == set(wanted["webhook"])
    rows = deliveries(db)
    assert {row["state"] for row in rows.values()} == {"delivered"}
    attempts = sum(row["attempts"] for row in rows.values())
    assert len(logged(db, "Delivered")) + len(logged(db, "DeliveryFailed")) == attempts
    assert len(logged(db, "Delivered")) == len(rows)
    assert accord(db, "audit", "verify").exit_code == 0


def tick(db: str) -> list[dict[str, Any]]:
    return list(as_json(accord(db, "scheduler", "tick", "--at", AUGUST, "--json")))


def deliver_once(db: str) -> list[dict[str, Any]]:
    return list(as_json(accord(db, "deliver", "--once", "--json")))


@pytest.fixture
def store(db: str, configured: Path) -> str:
    assert submit_rows(db, *FACTS).exit_code == 0
    return db


def test_each_reminder_escalation_and_dispatch_reaches_its_people_once(store: str, inbox: Inbox, hooks: Hooks) -> None:
    done = tick(store)

    kinds = Counter(row["action"] for row in done)
    assert kinds["remind"] == 1 and kinds["escalate"] == 1
    assert kinds["deliver"] == sum(len(ids) for ids in requested(store).values())
    assert_each_delivered_once(store, inbox, hooks)
    assert max(inbox.message_ids().values()) == 1 and max(hooks.ids.values()) == 1
    abouts = {(row["about"], row["owner"], row["channel"]) for row in deliveries(store).values()}
    assert {
        ("reminder", "desk:TN", "email"),
        ("reminder", "desk:TN", "webhook"),
        ("escalation", "head-of-unit", "email"),
    } <= abouts

    # One email a person, whatever the tick had for them.
    assert sorted(m["To"] for m in inbox.received) == ["desk-tn@example.eu", "head.unit@example.eu"]
    [reminder] = [m for m in inbox.received if m["To"] == "desk-tn@example.eu"]
    assert "Reminder: Follow up on the visit" in str(reminder["Subject"]) and reminder["From"] == "accord@example.eu"
    parts = {part.get_content_type() for part in reminder.walk()}
    assert {"text/plain", "text/html"} <= parts
    # A second tick, and a pass of the courier, send nothing again.
    assert tick(store) == [] and deliver_once(store) == []
    assert max(inbox.message_ids().values()) == 1 and max(inbox.copies().values()) == 1


def test_a_connection_dropped_after_data_is_sent_again_with_the_same_message_id(
    store: str, inbox: Inbox, hooks: Hooks
) -> None:
    inbox.answers = ["drop"]

    tick(store)
    failed = [row for row in deliveries(store).values() if row["state"] == "pending"]
    assert {(row["attempts"], row["channel"]) for row in failed} == {(1, "email")}
    assert len({row["owner"] for row in failed}) == 1  # the deliveries of the one email dropped
    time.sleep(1.1)
    again = deliver_once(store)

    assert {(row["outcome"], row["attempt"]) for row in again} == {("delivered", 2)}
    assert {row["delivery"] for row in again} == {row["delivery_id"] for row in failed}
    for row in failed:
        assert inbox.message_ids()[row["delivery_id"]] == 2  # received twice,
    assert sorted(inbox.copies().values()) == [1, 2]  # one message by its Message-ID
    assert_each_delivered_once(store, inbox, hooks)


def test_a_server_that_says_try_later_is_tried_again_after_a_backoff(
    store: str, inbox: Inbox, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that the next command comes before the retry is due, on however busy a machine.
    monkeypatch.setenv("ACCORD_DELIVERY_BACKOFF", "5")
    inbox.answers = ["451 4.3.0 mailbox busy, try again later"]

    tick(store)
    waiting = [row for row in deliveries(store).values() if row["state"] == "pending"]
    assert waiting and all("451" in row["last"] and row["due_at"] > row["last_at"] for row in waiting)
    assert deliver_once(store) == []  # not yet due
    due_at = max(datetime.fromisoformat(row["due_at"]) for row in waiting)
    time.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()) + 0.1)
    sent = deliver_once(store)

    assert {(row["outcome"], row["attempt"]) for row in sent} == {("delivered", 2)} and len(sent) == len(waiting)
    assert_each_delivered_once(store, inbox, hooks)


def test_a_refusal_is_a_dead_letter_listed_and_sent_again_when_a_person_says_so(
    store: str, inbox: Inbox, hooks: Hooks
) -> None:
    inbox.answers = ["550 5.1.1 no such mailbox"]

    tick(store)
    dead = list(as_json(accord(store, "deliveries", "--failed", "--json")))
    assert len({row["owner"] for row in dead}) == 1  # the deliveries of the one email refused
    assert all(row["state"] == "dead" and row["attempts"] == 1 and "550" in row["last"] for row in dead)
    assert deliver_once(store) == []  # a dead letter waits for a person
    listing = accord(store, "deliveries", "--failed")
    ids = [row["delivery_id"] for row in dead]
    assert all(delivery[:8] in listing.stdout for delivery in ids)
    retried = as_json(
        accord(store, "deliveries", "retry", *(delivery[:8] for delivery in ids), "--reason", "mailbox made", "--json")
    )
    sent = deliver_once(store)

    assert retried == {"retried": ids}
    assert {(row["outcome"], row["attempt"]) for row in sent} == {("delivered", 2)} and len(sent) == len(ids)
    assert_each_delivered_once(store, inbox, hooks)
    retries = logged(store, "DeliveryRetried")
    assert len(retries) == len(ids) and {retry["actor"] for retry in retries} == {"tester"}


def test_a_webhook_that_fails_then_times_out_then_answers_gets_each_message_once_deduplicated(
    store: str, inbox: Inbox, hooks: Hooks
) -> None:
    hooks.script = [500, 4.0]  # then 200

    tick(store)
    time.sleep(1.1)
    deliver_once(store)  # the second attempts: the receiver is too slow (the timeout is 3 s)
    time.sleep(2.1)
    sent = deliver_once(store)

    assert sent and {(row["channel"], row["attempt"], row["outcome"]) for row in sent} == {("webhook", 3, "delivered")}
    reasons = [row["summary"] for row in logged(store, "DeliveryFailed")]
    assert len(reasons) == 2 * len(sent)
    assert set(hooks.ids.values()) == {3}  # each message sent three times: one, by its webhook-id
    assert_each_delivered_once(store, inbox, hooks)


def test_attempts_run_out_into_dead_letters_and_a_retry_gives_them_a_full_round(
    store: str, inbox: Inbox, hooks: Hooks
) -> None:
    inbox.script = ["451 busy"] * 4  # ACCORD_DELIVERY_ATTEMPTS is 3 here

    tick(store)
    for wait in (1.1, 2.1):  # the backoff doubles
        time.sleep(wait)
        deliver_once(store)

    dead = list(as_json(accord(store, "deliveries", "--failed", "--json")))
    assert len(dead) == len(requested(store)["email"])
    assert {row["attempts"] for row in dead} == {3}
    assert accord(store, "deliveries", "retry", "--all-failed", "--reason", "relay fixed").exit_code == 0
    again = deliver_once(store)  # the fourth attempt: refused, but the round is new, so not dead
    assert {(row["attempt"], row["outcome"]) for row in again} == {(4, "failed")}
    time.sleep(1.1)
    assert {(row["attempt"], row["outcome"]) for row in deliver_once(store)} == {(5, "delivered")}
    assert_each_delivered_once(store, inbox, hooks)


def test_a_scheduler_killed_between_a_send_and_its_receipt_sends_it_again_after_a_restart(
    store: str, inbox: Inbox, hooks: Hooks, tmp_path: Path
) -> None:
    env = {**os.environ, "ACCORD_TICK": "0.5"}
    command = [ACCORD, "--db", store, "--actor", "operator", "scheduler", "run"]
    log = tmp_path / "scheduler.log"
    with log.open("wb") as stderr:
        first = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    killed = threading.Event()

    def kill_the_sender() -> None:
        if not killed.is_set():
            killed.set()
            first.send_signal(signal.SIGKILL)

    inbox.on_data = kill_the_sender  # the message taken, its reply never read
    assert first.wait(timeout=60) == -signal.SIGKILL
    inbox.on_data = None
    taken = list(inbox.message_ids())
    assert {deliveries(store)[delivery]["state"] for delivery in taken} == {"pending"}  # no receipt: sent again

    with log.open("ab") as stderr:
        second = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = deliveries(store)
            if rows and {row["state"] for row in rows.values()} == {"delivered"}:
                break
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, log.read_text()

    assert {inbox.message_ids()[delivery] for delivery in taken} == {2}
    assert_each_delivered_once(store, inbox, hooks)


def test_without_a_directory_nothing_is_requested_and_the_scheduler_works_as_before(
    db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ACCORD_DIRECTORY", raising=False)
    monkeypatch.setenv("ACCORD_OUTBOX", str(tmp_path / "outbox"))
    assert submit_rows(db, *FACTS).exit_code == 0

    done = tick(db)

    assert done and not [row for row in done if row["action"] == "deliver"]
    assert requested(db) == {"email": [], "webhook": []}
    assert "no deliveries yet" in accord(db, "deliveries").stdout


def test_the_json_of_a_pass_names_each_outcome(store: str, inbox: Inbox, hooks: Hooks) -> None:
    inbox.answers = ["451 busy"]
    tick(store)
    time.sleep(1.1)

    rows = deliver_once(store)

    assert rows
    for row in rows:
        assert set(row) == {"delivery", "about", "owner", "channel", "attempt", "outcome", "said", "retry_at"}
        assert json.dumps(row)


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_passes_run_at_once_on_postgresql_never_send_one_delivery_twice(
    store: str, inbox: Inbox, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACCORD_SMTP_HOST")  # the tick requests; no email goes until the passes
    tick(store)
    monkeypatch.setenv("ACCORD_SMTP_HOST", "127.0.0.1")
    time.sleep(1.1)
    command = [ACCORD, "--db", store, "deliver", "--once", "--json"]

    passes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [json.loads(process.communicate(timeout=60)[0]) for process in passes]

    sent = [row["delivery"] for rows in outcomes for row in rows if row["channel"] == "email"]
    assert sorted(sent) == sorted(requested(store)["email"])  # each by one pass
    assert max(inbox.message_ids().values()) == 1
    assert_each_delivered_once(store, inbox, hooks)


def test_a_person_removed_from_the_directory_is_told_nothing_more(
    store: str, inbox: Inbox, hooks: Hooks, configured: Path
) -> None:
    inbox.script = ["451 busy"]
    tick(store)
    configured.write_text(configured.read_text().replace('email = ["desk-tn@example.eu"]\n', ""))
    time.sleep(1.1)

    again = deliver_once(store)

    removed = [row for row in again if row["owner"] == "desk:TN" and row["channel"] == "email"]
    assert removed and {row["outcome"] for row in removed} == {"dead"}
    assert all("no email address in the directory" in row["said"] for row in removed)
    assert not any("desk-tn@example.eu" in row["summary"] for row in logged(store, "DeliveryRequested"))


def test_a_briefing_reaches_the_people_briefings_go_to_with_its_page_attached(
    store: str, inbox: Inbox, hooks: Hooks, configured: Path
) -> None:
    configured.write_text(configured.read_text().replace("[route]\n", '[route]\nbriefing = ["head-of-unit"]\n'))
    meeting = {
        "type": "MeetingScheduled",
        "meeting": "jha-council-2021-08-05",
        "occurred_on": "2021-07-01",
        "body": "Justice and Home Affairs Council",
        "held_on": "2021-08-05",
        "partners": ["TN"],
    }
    assert submit_rows(store, meeting).exit_code == 0

    tick(store)

    [briefing] = [m for m in inbox.received if "Briefing:" in str(m["Subject"])]
    assert briefing["To"] == "head.unit@example.eu"
    [page] = [part for part in briefing.walk() if part.get_filename()]
    assert page.get_filename() == "briefing-jha-council-2021-08-05.html"
    assert b"Justice and Home Affairs Council" in page.get_payload(decode=True)
    assert_each_delivered_once(store, inbox, hooks)


# What the record holds, in a subject and a body

# A commitment whose task falls due within a week of AUGUST (60 days after it
# was recorded, for want of a date): reminded to the desk at the tick.
COMMITMENT = {
    "type": "CommitmentRecorded",
    "partner": "TN",
    "occurred_on": "2021-06-06",
    "commitment": "c1",
    "party": "eu",
    "description": "the commitment",
}


def parsed(inbox: Inbox) -> list[EmailMessage]:
    """Every message received, parsed as a mail reader does (the email package's current policy)."""
    return [BytesParser(policy=default).parsebytes(raw) for raw in inbox.raw]  # type: ignore[misc]


def test_a_line_break_and_controls_in_a_description_give_a_one_line_subject_and_every_delivery_goes(
    store: str, inbox: Inbox, hooks: Hooks
) -> None:
    description = f"promised\nNote: forged <b>bold</b> & co {ESCAPES} {'w' * 300}"
    record_unchecked(store, COMMITMENT, description=description)

    done = tick(store)

    assert sum(row["action"] == "deliver" for row in done) == sum(len(ids) for ids in requested(store).values())
    assert_each_delivered_once(store, inbox, hooks)
    messages = parsed(inbox)
    [reminder] = [m for m in messages if "promised" in str(m["Subject"])]
    subject = str(reminder["Subject"])
    assert "Reminder: Agree a date for, then verify, the commitment by the EU (Tunisia): promised" in subject
    assert subject.endswith("...") and len(subject) == 200
    assert not any(char in subject for char in "\r\n\x1b\x07\x9b\x7f")
    assert reminder["Note"] is None  # no header of its own
    for raw in inbox.raw:
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # RFC 5322
    html = reminder.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "<b>bold" not in html
    text = reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The task's title was made from the description (domain.text.fit): its controls are gone.
    assert "\x1b" not in text and "Note: forged" in text


def test_a_delivery_that_cannot_be_composed_is_a_dead_letter_and_the_others_are_sent(
    store: str, inbox: Inbox, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No text Accord takes breaks composing any more: a page that cannot be
    # made of one report stands for whatever could.
    from workflows.delivery import compose

    made = compose.report_body

    def page(report: Any) -> list[str]:
        if "poison" in report.title:
            raise ValueError("the page of a poisoned report cannot be made")
        return made(report)

    monkeypatch.setattr(compose, "report_body", page)
    assert submit_rows(store, {**COMMITMENT, "description": "poison"}).exit_code == 0

    done = tick(store)

    dead = list(as_json(accord(store, "deliveries", "--failed", "--json")))
    assert {row["channel"] for row in dead} == {"email", "webhook"} and {row["owner"] for row in dead} == {"desk:TN"}
    for row in dead:
        assert row["state"] == "dead" and row["attempts"] == 1
        assert row["last"] == (
            "the message could not be composed: ValueError: the page of a poisoned report cannot be made"
        )
    delivered = [row for row in deliveries(store).values() if row["state"] == "delivered"]
    assert len(delivered) == sum(len(ids) for ids in requested(store).values()) - 2
    assert sum(row["action"] == "deliver" for row in done) == len(delivered) + 2
    assert not any("poison" in str(message["Subject"]) for message in inbox.received)
    assert any("Reminder: Follow up on the visit" in str(message["Subject"]) for message in inbox.received)
    listing = accord(store, "deliveries", "--failed", "--wide")
    assert "the message could not be composed" in listing.stdout
    assert accord(store, "audit", "verify").exit_code == 0
