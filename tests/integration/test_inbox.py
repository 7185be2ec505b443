"""One email a person a tick: a tick that escalates many tasks sends their
owner one message carrying every escalation, reminder and digest due to
them, the digest at the levels the tick left; each task links to its page
in the web console when ACCORD_WEB_URL is set. Owners nothing can reach (a
webhook with no secret to sign it, no address at all) are refused by
`directory check`, and what is sent them is a dead letter at once, saying
why. Through a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.helpers import accord, application, as_json, submit_rows, time_limit
from tests.integration.test_deliveries import FACTS, Inbox, carried, deliveries, mail_server, requested, tick
from workflows.config.settings import Settings
from workflows.web.app import create

pytestmark = pytest.mark.integration

# Partnerships opened long before the tick: each opens a task for the head
# of unit, overdue by more than ACCORD_ESCALATE_AFTER days at the tick.
PARTNERS = ("TN", "MA", "MR", "TR", "RS", "LY", "DZ", "EG", "JO", "LB", "NE", "ML", "SN")
HEAD = """
[people."head-of-unit"]
email = ["head.unit@example.eu"]

[route]
escalation = ["head-of-unit"]
"""
CONSOLE = "https://accord.example.eu/console"


@pytest.fixture(autouse=True)
def limited() -> Iterator[None]:
    with time_limit(180):
        yield


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with mail_server() as handler:
        yield handler


def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, inbox: Inbox, directory: str, **more: str) -> Path:
    """The directory given, and the settings to reach the test's mail server."""
    path = tmp_path / "people.toml"
    path.write_text(directory, encoding="utf-8")
    settings = {
        "DIRECTORY": str(path),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "accord@example.eu",
        "OUTBOX": str(tmp_path / "outbox"),
        **more,
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"ACCORD_{name}", value)
    for name in ("WEBHOOK_SECRET", "WEB_URL"):
        if name not in more:
            monkeypatch.delenv(f"ACCORD_{name}", raising=False)
    return path


def opened(db: str, *partners: str) -> None:
    facts = [{"type": "PartnershipOpened", "partner": code, "occurred_on": "2021-06-01"} for code in partners]
    assert submit_rows(db, *facts).exit_code == 0


def text_of(message: Message) -> str:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    return str(part.get_payload(decode=True).decode())  # type: ignore[union-attr]


def html_of(message: Message) -> str:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/html"]
    return str(part.get_payload(decode=True).decode())  # type: ignore[union-attr]


def task_ids(db: str) -> list[str]:
    with application(db) as app:
        return [row["task_id"] for row in app.reader.tasks.due_by(app.clock.day(app.clock.now()))]


def test_a_tick_escalating_many_tasks_sends_their_owner_one_email_with_the_digest_at_the_new_levels(
    db: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, inbox, HEAD)
    opened(db, *PARTNERS)

    done = tick(db)

    assert sum(row["action"] == "escalate" for row in done) == len(PARTNERS)
    [message] = inbox.received
    assert message["To"] == "head.unit@example.eu"
    assert sorted(carried(message)) == sorted(requested(db)["email"])
    assert {row["state"] for row in deliveries(db).values()} == {"delivered"}
    text = text_of(message)
    assert text.count("# Overdue (escalation level 2):") == len(PARTNERS)
    digest = text[text.index("# Daily digest for head-of-unit") :]
    rows = [line for line in digest.splitlines() if "| OVERDUE |" in line]
    assert len(rows) == len(PARTNERS)
    assert all("| OVERDUE | 2 |" in row for row in rows)  # the levels this tick escalated to
    subject = " ".join(str(message["Subject"]).split())  # unfolded
    assert subject.startswith(f"Accord for head-of-unit, {len(PARTNERS) + 1} items: Overdue (escalation level 2):")
    assert accord(db, "audit", "verify").exit_code == 0


def test_an_email_writes_its_dates_and_partners_as_the_command_lines_sentences_do(
    db: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, inbox, HEAD)
    opened(db, "TN")

    tick(db)

    [message] = inbox.received
    text, html = text_of(message), html_of(message)
    assert "This task of head-of-unit was due on 15 June 2021 and is not done." in text
    assert "- **due on**: 15 June 2021\n" in text and "- **partner**: Tunisia\n" in text
    assert "1 August 2021: open tasks overdue or due within 7 days." in text
    assert "| 15 June 2021 | OVERDUE | 2 | Tunisia |" in text
    assert "15 June 2021" in html
    assert not re.search(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b", text + html)
    # A task by the prefix the command line shows and takes (`accord task show`), not its whole id.
    assert re.search(r"^- \*\*task\*\*: [0-9a-f]{8}$", text, re.MULTILINE)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text)


def test_each_task_links_to_its_page_in_the_console_when_its_address_is_set(
    db: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, inbox, HEAD, WEB_URL=CONSOLE + "/")
    opened(db, "TN", "MA")

    tick(db)

    [message] = inbox.received
    text, html = text_of(message), html_of(message)
    for task in task_ids(db):
        page = f"{CONSOLE}/tasks/{task}"
        # In the escalation and in the digest's row, as text and as a link.
        assert text.count(f"<{page}>") == 2
        assert html.count(f'href="{page}"') == 2
    assert "open the task" in html
    assert accord(db, "config").stdout.count(CONSOLE) == 1
    # Each link is the path the console serves the task's page at.
    with TestClient(create(Settings(db=db))) as console:
        for task in task_ids(db):
            page = console.get(f"/tasks/{task}")
            assert page.status_code == 200 and task[:8] in page.text


def test_without_the_consoles_address_no_email_carries_a_link(
    db: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, inbox, HEAD)
    opened(db, "TN")

    tick(db)

    [message] = inbox.received
    assert "/tasks/" not in text_of(message) and "href" not in html_of(message)


WEBHOOK_ONLY = """
[people."desk:TN"]
webhook = "https://chat.example.eu/hooks/desk-tn"

[people."head-of-unit"]
email = ["head.unit@example.eu"]
"""
UNSIGNED = (
    "desk:TN has a webhook, but no secret to sign it with is set (ACCORD_WEBHOOK_SECRET): "
    "webhooks are never sent unsigned"
)


def test_a_webhook_with_no_secret_to_sign_it_is_refused_and_what_is_sent_to_it_is_dead_at_once(
    db: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = configure(monkeypatch, tmp_path, inbox, WEBHOOK_ONLY)
    assert submit_rows(db, *FACTS).exit_code == 0  # a visit: its follow-up, the desk's, is reminded

    checked = accord(db, "directory", "check")
    tick(db)

    assert checked.exit_code == 2
    assert f"{path}: {UNSIGNED}; set one (`accord directory new-secret`) or remove the webhook" in checked.stderr
    hooked = [row for row in deliveries(db).values() if row["channel"] == "webhook"]
    assert hooked and all(row["owner"] == "desk:TN" for row in hooked)
    for row in hooked:
        assert (row["state"], row["attempts"], row["last"]) == ("dead", 1, UNSIGNED)
    assert [m["To"] for m in inbox.received] == ["head.unit@example.eu"]  # the others are told as before


NO_ADDRESS = """
[people."head-of-unit"]
name = "Head of unit"

[people."desk:TN"]
email = ["desk-tn@example.eu"]

[route]
escalation = ["head-of-unit"]
"""


def test_a_person_with_no_address_is_refused_and_what_is_sent_to_them_is_dead_at_once(
    db: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = configure(monkeypatch, tmp_path, inbox, NO_ADDRESS)
    opened(db, "TN")

    checked = accord(db, "directory", "check")
    tick(db)

    assert checked.exit_code == 2
    said = "head-of-unit has no email address and no webhook: nothing reaches them; give one"
    assert f"{path}: {said}" in checked.stderr
    rows = list(deliveries(db).values())
    assert rows and {row["owner"] for row in rows} == {"head-of-unit"}
    for row in rows:
        assert (row["state"], row["attempts"]) == ("dead", 1)
        assert row["last"] == "head-of-unit has no email address in the directory"
    assert list(as_json(accord(db, "deliver", "--once", "--json"))) == []  # set aside, not tried again
    assert not [m for m in inbox.received if re.search("head", str(m["To"]))]
