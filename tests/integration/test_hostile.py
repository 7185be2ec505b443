"""The hostile-input suite (`pytest -m hostile`), what comes out: what the
record accepts, every reader carries, and every output escapes for its
medium.

Hypothesis draws a record of every event type (tests/hostile_record.py)
whose text holds the markup of rich, Markdown, HTML, spreadsheets, XML,
email headers and calendars, Unicode of every kind, tabs and line breaks
where text takes them, each field at its bound or within it; with
corrections and retractions, tasks assigned, deferred, completed and
cancelled in hostile words, rules whose titles and owners take every text
field, and a note an earlier version stored with every control the checks
now refuse. (What the checks refuse: test_hostile_entry.py.)

Each record is pushed through a scheduler tick writing its outbox and
delivering to a real SMTP server and a real HTTP receiver, every page of
`accord serve`, every reading command, every report in every format, every
export, and the tables on pseudo-terminals; each output is read back by its
own parser (tests/parsed.py), and `audit verify` passes. On SQLite and
PostgreSQL, each example on a fresh store.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from html import unescape
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given, settings
from pytest_httpserver import HTTPServer

from domain.vocabulary import VOCABULARY
from tests.conftest import fresh_postgres_database
from tests.helpers import accord, as_json, keyed
from tests.hostile_record import HELD, HOSTILE, MEETING, PARTNERS, SKELETON, hostile, rules_file, text_fields
from tests.integration.test_poisoned_facts import store_as_an_earlier_version
from tests.parsed import (
    calendar_entries,
    csv_rows,
    email_read,
    html_is_inert,
    iati_valid,
    json_lines,
    markdown_matches,
    terminal_clean,
)
from tests.receivers import SECRET, Mailbox, Receiver, mail_server, on_terminals

pytestmark = [pytest.mark.integration, pytest.mark.hostile]

# A Monday, after the digests' hour: reminders, escalations, digests, the
# weekly portfolio report and the briefing of MEETING are all due.
TICK = "2021-08-02T09:00"
# Where the console is said to be: each task an email names links there.
CONSOLE = "https://accord.example.eu/console"
TASK_PAGE = re.compile(re.escape(CONSOLE) + r"/tasks/([^\s<>\"')]+)")


def test_the_record_holds_every_type() -> None:
    assert {row["type"] for row in SKELETON} == set(VOCABULARY)


@pytest.fixture
def servers(httpserver: HTTPServer) -> Iterator[tuple[Mailbox, Receiver]]:
    """A real SMTP server and a real HTTP receiver on 127.0.0.1."""
    with mail_server() as mailbox:
        yield mailbox, Receiver(httpserver)


@pytest.mark.slow
@settings(**HOSTILE, max_examples=4)
@given(drawn=hostile())
def test_a_hostile_record_is_carried_by_every_reader_and_escaped_by_every_output(
    db: str,
    servers: tuple[Mailbox, Receiver],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    drawn: dict[str, Any],
) -> None:
    mailbox, receiver = servers
    mailbox.received.clear()
    receiver.bodies.clear()
    folder = tmp_path_factory.mktemp("example")
    rules = configured(monkeypatch, folder, mailbox)
    with fresh_store(db, folder) as store:
        recorded(store, drawn)
        changed(store, drawn["changes"])
        ticked(store, monkeypatch, folder, receiver.server)
        delivered(store, mailbox, receiver)
        outbox_read(folder / "outbox")
        every_page_answers(store)
        with monkeypatch.context() as reading:
            # Read as the views stand, the quick way (no rules file to check
            # first): replays and simulations name the rules themselves.
            reading.delenv("ACCORD_RULES")
            every_reader_answers(store, rules)
            every_report_parses(store, rules)
            every_export_parses(store, drawn["facts"], folder)
            for written in on_terminals(
                store, ["tasks", "--status", "all"], ["partner", "show", "TN"], ["audit", "log"], ["search", "tunisia"]
            ):
                terminal_clean(written)
        printed_within_its_margins(store, folder)
        a_partner_is_named_or_refused(store, drawn["changes"]["owner"])
        verified = accord(store, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        proofs_hold(store, folder)
        signed_sealed_and_proven(store, drawn["changes"]["owner"], folder)


def signed_sealed_and_proven(store: str, holder: str, folder: Path) -> None:
    """The record signed from here on: a key enrolled for a holder of a
    hostile name and listed on a terminal; a signed seal, checked with no
    store and appended to a seals file the log verifies against; the facts
    of the IATI export (every_export_parses) proven and held to the export."""
    admin, seal, seals, proofs = (folder / name for name in ("admin.key", "seal.json", "seals.jsonl", "iati.jsonl"))
    iati = folder / "iati.xml"
    made = keyed(store, "init", "--admin-key", str(admin))  # made here: no key is given to make it
    assert made.exit_code == 0, made.output
    for command in (
        ["keys", "new", str(folder / "holder.key"), "--holder", holder],
        ["audit", "seal", "--json", "-o", str(seal)],
        ["audit", "seal", "--append", str(seals)],
        ["audit", "prove", "--iati", str(iati), "--seal", str(seal), "-o", str(proofs)],
    ):
        done = keyed(store, *command, key=admin)
        assert done.exit_code == 0, (command, done.output[-2000:])
    assert holder in [key["holder"] for key in json.loads(answered(store, "keys", "list", "--json"))]
    [listed] = on_terminals(store, ["keys", "list"])
    terminal_clean(listed)
    assert answered(store, "audit", "check-seal", str(seal)).startswith("the seal ")
    said = answered(store, "audit", "check-proof", str(proofs), "--seal", str(seal), "--iati", str(iati))
    assert f"transactions of {iati} is a fact they prove, as it reports it" in said, said
    verified = keyed(store, "audit", "verify", "--seals", str(seals), key=admin)
    assert verified.exit_code == 0, verified.output[-2000:]


def proofs_hold(store: str, folder: Path) -> None:
    """A seal of the record, and proofs of a few of its records, each
    holding against it with no store, the fact each shows being what its
    stored bytes hold."""
    seal = folder / "seal.json"
    answered(store, "audit", "seal", "--json", "-o", str(seal))
    logged = [row["position"] for row in json.loads(answered(store, "audit", "log", "--json"))]
    for position in logged[:: max(1, len(logged) // 4)]:
        proof = folder / f"proof-{position}.json"
        answered(store, "audit", "prove", str(position), "--seal", str(seal), "-o", str(proof))
        said = answered(store, "audit", "check-proof", str(proof), "--seal", str(seal))
        assert said.startswith(f"the proof holds: position {position} "), said
        assert said.endswith("the fact it shows is what its stored bytes hold\n"), said


@contextmanager
def fresh_store(db: str, folder: Path) -> Iterator[str]:
    """A new, empty store of the same kind as `db`, for one example."""
    from workflows.application.compose import build
    from workflows.config.settings import Settings

    if db.startswith("postgresql:"):
        for url in fresh_postgres_database():
            build(Settings(db=url), init=True).close()
            yield url
        return
    url = str(folder / "accord.db")
    build(Settings(db=url), init=True).close()
    yield url


def configured(monkeypatch: pytest.MonkeyPatch, folder: Path, mailbox: Mailbox) -> Path:
    """The rules (every text field in a title or an owner), the outbox, and
    the servers to deliver to, as settings; the rules file."""
    rules = folder / "rules.toml"
    rules.write_text(rules_file(), encoding="utf-8")
    settings = {
        "RULES": str(rules),
        "OUTBOX": str(folder / "outbox"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "Accord <accord@example.eu>",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_TIMEOUT": "5",
        "DELIVERY_ATTEMPTS": "1",
        "WEB_URL": CONSOLE,
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"ACCORD_{name}", value)
    monkeypatch.delenv("ACCORD_DIRECTORY", raising=False)
    return rules


def submitted(store: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`submit --file -` of rows written as UTF-8 (U+2028 and all, as people's files hold them)."""
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    receipt: dict[str, Any] = as_json(accord(store, "submit", "--file", "-", "--json", input=lines))
    return receipt


def recorded(store: str, drawn: dict[str, Any]) -> None:
    facts = submitted(store, drawn["facts"])
    assert len(facts["recorded"]) == len(drawn["facts"]) and not facts["already"]
    amended = submitted(store, drawn["amendments"])
    assert len(amended["recorded"]) == len(drawn["amendments"])
    earlier = {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-07-22", "text": "x"}
    store_as_an_earlier_version(store, earlier, key="earlier-note", stored={"text": drawn["earlier"]})


def changed(store: str, changes: dict[str, Any]) -> None:
    """A task assigned to a hostile owner, one deferred, one completed and
    one cancelled, each saying why in hostile words."""
    tasks = sorted(as_json(accord(store, "tasks", "--json")), key=lambda task: task["task_id"])
    assign, defer, complete, cancel = (tasks[index] for index in changes["tasks"])
    later = (date.fromisoformat(defer["due_on"]) + timedelta(days=30)).isoformat()
    for command in (
        ["task", "assign", "--", assign["task_id"], changes["owner"]],
        ["task", "defer", defer["task_id"], "--to", later, f"--reason={changes['reason']}"],
        ["task", "complete", complete["task_id"], f"--note={changes['note']}"],
        ["task", "cancel", cancel["task_id"], f"--reason={changes['cancel']}"],
    ):
        result = accord(store, *command)
        assert result.exit_code == 0, (command[:2], result.output)


def ticked(store: str, monkeypatch: pytest.MonkeyPatch, folder: Path, http: HTTPServer) -> None:
    """A directory naming every owner the record holds (hostile names as
    TOML keys), each by email and webhook; then the scheduler's tick."""
    owners = sorted({task["owner"] for task in as_json(accord(store, "tasks", "--json", "--status", "all"))})
    people = {owner: number for number, owner in enumerate(["head-of-unit", *owners])}
    routed = json.dumps(owners[:2], ensure_ascii=False)
    lines = ["[route]", f"escalation = {routed}", f"portfolio = {routed}", 'briefing = ["head-of-unit"]']
    for owner, number in people.items():
        lines += [
            f"[people.{json.dumps(owner, ensure_ascii=False)}]",
            f'email = ["person-{number}@example.eu"]',
            f'webhook = "{http.url_for(f"/hooks/{number}")}"',
        ]
    directory = folder / "people.toml"
    directory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert set(tomllib.loads(directory.read_text(encoding="utf-8"))["people"]) == set(people)
    monkeypatch.setenv("ACCORD_DIRECTORY", str(directory))
    checked = accord(store, "directory", "check")
    assert checked.exit_code == 0, checked.output

    done = accord(store, "scheduler", "tick", "--at", TICK, "--json")

    assert done.exit_code == 0, done.output
    kinds = {row["action"] for row in json.loads(done.stdout)}
    assert {"remind", "escalate", "digest", "portfolio", "briefing", "deliver"} <= kinds, kinds


def delivered(store: str, mailbox: Mailbox, receiver: Receiver) -> None:
    """Every delivery delivered; every email read by the email package (its
    HTML inert), every webhook's JSON verified."""
    rows = as_json(accord(store, "deliveries", "--json", "--limit", "100000"))
    assert {row["state"] for row in rows} == {"delivered"}, [row for row in rows if row["state"] != "delivered"][:3]
    by_channel = Counter(row["channel"] for row in rows)
    assert len(receiver.bodies) == by_channel["webhook"]
    carried = []
    tasks = {row["task_id"] for row in as_json(accord(store, "tasks", "--status", "all", "--json"))}
    for received in mailbox.received:
        message = email_read(received)
        carried += str(message["X-Accord-Deliveries"]).split(", ")
        for part in message.walk():
            if part.get_content_type() == "text/html":
                html_is_inert(part.get_content())
            if part.get_content_maintype() == "text":
                # Each link is to a task's page, by its id: nothing of the record's text in it.
                assert set(TASK_PAGE.findall(part.get_content())) <= tasks
    for body in receiver.bodies:
        assert body["type"].startswith("accord.") and body["data"]["delivery"]
    # One email a person, carrying each of their deliveries once.
    assert sorted(carried) == sorted(row["delivery_id"] for row in rows if row["channel"] == "email")


def outbox_read(outbox: Path) -> None:
    """Each dispatch's files: names a file system takes, Markdown that
    matches its JSON twin."""
    written = sorted(outbox.rglob("*.json"))
    assert written
    for path in written:
        assert len(path.name.encode()) <= 255
        report = json.loads(path.read_text(encoding="utf-8"))
        markdown_matches(path.with_suffix(".md").read_text(encoding="utf-8"), report)


# Pages that are not the record's: they sign in and out, or stream.
NOT_PAGES = re.compile(r"^/(login|logout|events|accord\.(css|js))\b")
# Pages of a kind seen (the tasks, the events...): enough to meet every kind
# of fact; fewer of a kind as of a date or as known at a moment (each a replay).
MOST_OF_A_KIND = 12
MOST_REPLAYED = 3


def every_page_answers(store: str) -> None:
    """Every kind of page `accord serve` links to, from the portfolio and
    each list, as it stands, as of a date and as known at a moment: each
    answers 200 and runs nothing of its data."""
    from starlette.testclient import TestClient

    from workflows.config.settings import load
    from workflows.web.app import create

    settings, _ = load({"db": store})
    now = quote(datetime.now(UTC).isoformat(timespec="minutes"))
    start = ["/", "/tasks?status=all", "/meetings", "/funding", "/changes?since=2000-01-01T00:00", "/audit"]
    start += ["/?as_of=2021-07-01", f"/?known_at={now}", "/audit?type=FactCorrected", "/search?q=tunisia"]
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    waiting = [(path, "") for path in start]
    with TestClient(create(settings)) as client:
        while waiting:
            path, referrer = waiting.pop(0)
            address = urlsplit(path)
            kind = re.sub(r"^(/[^/]+)/.+", r"\1/*", address.path) + "?" + ",".join(sorted(parse_qs(address.query)))
            most = MOST_REPLAYED if re.search("as_of|known_at", kind) else MOST_OF_A_KIND
            if path in seen or kinds[kind] >= most:
                continue
            seen.add(path)
            kinds[kind] += 1
            page = client.get(path)
            assert page.status_code == 200, (path, "linked from", referrer, text_of(page.text)[-300:])
            html_is_inert(page.text, ("/accord.js",))
            links = (unescape(link) for link in re.findall(r'href="(/[^"#]*)"', page.text))
            waiting += [(link, path) for link in links if not NOT_PAGES.match(link) and link not in seen]
    assert {"/tasks/*?", "/partners/*?", "/meetings/*?", "/audit/*?"} <= set(kinds), kinds


def text_of(page: str) -> str:
    """What a page says, its tags left out."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


# Nothing of the record reaches a pipe as a control (but tab and line feed)
# either, but in JSON and CSV: for machines, the record's text as it is.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
RAW = {"--json", "json", "csv", "events"}


def printed_within_its_margins(store: str, folder: Path) -> None:
    """The portfolio printed (where Chromium is at hand): no table of the
    record's text runs into the page's margins."""
    if shutil.which("chromium") is None:
        return
    import pymupdf

    from tests.integration.test_printed_pages import _inked_margin

    printed = folder / "portfolio.pdf"
    assert accord(store, "report", "portfolio", "--format", "pdf", "-o", str(printed)).exit_code == 0
    with pymupdf.open(printed) as document:
        assert [side for page in document for side in _inked_margin(page)] == []


def a_partner_is_named_or_refused(store: str, text: str) -> None:
    """Hostile text where a partner is asked (a code, or a country's name):
    refused in a sentence that shows, not obeys, what was typed."""
    result = accord(store, "report", "partnership", text, "--format", "json")
    assert result.exit_code in (0, 2), result.output[-2000:]
    if result.exit_code == 2:
        assert "partner" in result.output
        found = CONTROLS.search(result.output)
        assert found is None, f"{found[0]!r} reached the output: {result.output!r}"


def answered(store: str, *command: str) -> str:
    """What a command printed, after checking that it answered and printed
    no control (unless for machines)."""
    result = accord(store, *command)
    assert result.exit_code == 0, (command, result.output[-2000:])
    found = None if RAW & set(command) else CONTROLS.search(result.output)
    assert found is None, (command, f"{found[0]!r} reached the output: {result.output[found.start() - 60 :][:120]!r}")
    return result.stdout


SHIPPED = str(files("workflows.rules").joinpath("default.toml"))


def every_reader_answers(store: str, rules: Path) -> None:
    tasks = json.loads(answered(store, "tasks", "--json", "--status", "all"))
    in_force = ["--rules", str(rules)]
    for command in (
        ["tasks", "--status", "all", "--limit", "0"],
        ["tasks", "--status", "all", "--wide"],
        ["partners"],
        ["partners", "--json"],
        *(["partner", "show", code, *extra] for code in PARTNERS for extra in ([], ["--json"])),
        ["audit", "log"],
        ["audit", "log", "--json"],
        ["audit", "log", "--wide"],
        ["search", "tunisia", "--limit", "500"],
        ["search", "tunisia", "--json"],
        ["projections", "status"],
        ["scheduler", "status"],
        ["scheduler", "tick", "--at", TICK, "--dry-run"],
        ["deliveries", "--limit", "1000"],
        ["directory", "show"],
        [*in_force, "rules", "show"],
        [*in_force, "rules", "simulate", SHIPPED],
        [*in_force, "rules", "simulate", SHIPPED, "--json"],
    ):
        answered(store, *command)
    # A few (a command costs a PostgreSQL store a third of a second): all are in the tables.
    for task in tasks[:: max(1, len(tasks) // 6)]:
        answered(store, "task", "show", task["task_id"])
    readers = json.loads(answered(store, "projections", "status", "--json"))
    assert [reader["name"] for reader in readers if reader["failed"]] == []


REPORTS = [
    ["report", "portfolio"],
    ["report", "partnership", "TN"],
    ["report", "funding"],
    ["report", "results"],
    ["report", "results", "--partner", "TN"],
    *(["report", "briefing", meeting] for meeting in (MEETING, HELD)),
]


def every_report_parses(store: str, rules: Path) -> None:
    """Each report in each format, read back: JSON, Markdown against its
    JSON twin, CSV cell by cell, HTML inert. A replay follows its facts
    again, by the rules in force."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    replays = [["audit", "replay", "--as-of", "2021-07-01", "--partner", "TN"]]
    replays += [["audit", "replay", "--known-at", now, "--partner", "MA"]]
    for command in [*REPORTS, *(["--rules", str(rules), *replay] for replay in replays)]:
        report = json.loads(answered(store, *command, "--format", "json"))
        markdown_matches(answered(store, *command, "--format", "md"), report)
        rows = csv_rows(answered(store, *command, "--format", "csv"))
        assert len(rows) == sum(len(table["rows"]) for table in report["tables"])
        html_is_inert(answered(store, *command, "--format", "html"))


def every_export_parses(store: str, facts: list[dict[str, Any]], folder: Path) -> None:
    """Events as JSON lines holding every text as it was submitted; IATI XML
    valid against the schema; iCalendar read by `icalendar`, its to-dos
    titled as the tasks are."""
    exported = {line.get("id"): line for line in json_lines(answered(store, "export", "events"))}
    for fact in facts:
        line = exported[fact["id"]]
        for field in text_fields(fact["type"]):
            given = fact.get(field.name, [] if field.listed else "")
            assert line.get(field.name, given) == (list(given) if field.listed else given), (fact["type"], field.name)
    iati = folder / "iati.xml"
    answered(store, "export", "iati", "-o", str(iati))
    assert len(iati_valid(iati.read_bytes()).findall("iati-activity")) >= 2
    entries = calendar_entries(answered(store, "export", "ics").encode())
    titles = sorted(task["title"] for task in json.loads(answered(store, "tasks", "--json")))
    assert sorted(str(todo["SUMMARY"]) for todo in entries["VTODO"]) == titles
    assert entries["VEVENT"]
