"""The hostile-input suite (`pytest -m hostile`): what the record accepts,
every reader carries, and every output escapes for its medium.

Hypothesis draws a record of every event type (tests/hostile_record.py)
whose text holds the markup of rich, Markdown, HTML, spreadsheets, XML,
email headers and calendars, Unicode of every kind, tabs and line breaks
where text takes them, each field at its bound or within it; with
corrections and retractions, tasks assigned, deferred, completed and
cancelled with hostile text, and rules whose titles and owners take every
field. One over a bound, or a character no output can carry, is refused in
a sentence naming the field, and nothing is stored.

Each record is pushed through every reading command, every report in every
format, every export, a scheduler tick writing its outbox and delivering
to a real SMTP server and a real HTTP receiver, every page of `accord
serve`, and the tables on a pseudo-terminal; each output is read back by
its own parser (tests/parsed.py), and `audit verify` passes. On SQLite and
PostgreSQL, each example on a fresh store.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
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
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from domain.text import ITEMS
from domain.vocabulary import VOCABULARY
from tests.conftest import fresh_postgres_database
from tests.helpers import accord, as_json, stored_count, submit_rows
from tests.hostile_record import (
    ALLOWED,
    BREAKS,
    HELD,
    MEETING,
    PARTNERS,
    REFUSED,
    SKELETON,
    amendments,
    record,
    rules_file,
    text,
    text_fields,
)
from tests.integration.test_deliveries import free_port
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

pytestmark = [pytest.mark.integration, pytest.mark.hostile]

# The same examples on every CI run; new ones elsewhere, where finding one is the point.
CI = bool(os.environ.get("CI"))
HOSTILE: dict[str, Any] = {
    "deadline": None,
    # An example costs seconds: a failure is reported as found, not shrunk for minutes.
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "derandomize": CI,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}
# A Monday, after the digests' hour: reminders, escalations, digests, the
# weekly portfolio report and the briefing of MEETING are all due.
TICK = "2021-08-02T09:00"
FORMATS = ("md", "json", "csv", "html")
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@contextmanager
def fresh_store(db: str, folder: Path) -> Iterator[str]:
    """A new, empty store of the same kind as `db`, for one example."""
    from workflows.compose import build
    from workflows.settings import Settings

    if db.startswith("postgresql:"):
        for url in fresh_postgres_database():
            build(Settings(db=url), init=True).close()
            yield url
        return
    url = str(folder / "accord.db")
    build(Settings(db=url), init=True).close()
    yield url


# -- what enters ----------------------------------------------------------


@st.composite
def refused_lines(draw: st.DrawFn) -> list[tuple[dict[str, Any], str]]:
    """A line a text field of every type, each field one over its bound or
    holding a character it refuses; with the sentence naming the field."""
    lines = []
    for row in SKELETON:
        for field in text_fields(row["type"]):
            place = f"{field.name}.0" if field.listed else field.name
            how = draw(st.sampled_from(["long", "refused", "many"] if field.listed else ["long", "refused"]))
            if how == "many":
                bad: Any = ["x"] * (ITEMS + 1)
                said = f"field '{field.name}': at most {ITEMS} items; this has {ITEMS + 1}"
            elif how == "long":
                bad = "x" * (field.limit + 1)
                said = f"field '{place}': has {field.limit + 1:,} characters: at most {field.limit:,} are taken"
            else:
                refused = draw(st.sampled_from(REFUSED + (BREAKS if field.one_line else [])))
                bad = draw(st.text(ALLOWED, max_size=5)) + refused + draw(st.text(ALLOWED, max_size=5))
                said = f"field '{place}': holds "
            line = {**row, field.name: [bad] if field.listed and how != "many" else bad}
            lines.append((line, said))
    return lines


@settings(**HOSTILE, max_examples=6 if CI else 10)
@given(lines=refused_lines())
def test_text_over_its_bound_or_holding_what_no_output_carries_is_refused_naming_each_field(
    db: str, lines: list[tuple[dict[str, Any], str]]
) -> None:
    before = stored_count(db)

    result = submit_rows(db, *(line for line, _ in lines))

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    said = [line.removeprefix("accord: ") for line in result.stderr.splitlines()]
    for number, (line, sentence) in enumerate(lines, start=1):
        prefix = f"line {number}: {line['type']}: {sentence}"
        assert any(out.startswith(prefix) for out in said), (prefix, said[:5])
    assert stored_count(db) == before


# -- what comes out -------------------------------------------------------


def test_the_record_holds_every_type() -> None:
    assert {row["type"] for row in SKELETON} == set(VOCABULARY)


class Receiver:
    """A webhook receiver: each request's body, its signature checked."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def handler(self, request: Request) -> Response:
        self.bodies.append(Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers)))
        return Response("taken")


@pytest.fixture
def servers(httpserver: HTTPServer) -> Iterator[tuple[Mailbox, Receiver, HTTPServer]]:
    """A real SMTP server and a real HTTP receiver on 127.0.0.1."""
    receiver = Receiver()
    httpserver.expect_request(re.compile("/hooks/.*"), method="POST").respond_with_handler(receiver.handler)
    with mail_server() as inbox:
        yield inbox, receiver, httpserver


@st.composite
def task_changes(draw: st.DrawFn) -> dict[str, Any]:
    """What people do to tasks, in hostile words: an owner (a name at its
    bound or within), a deferral's reason, a completion's note, a
    cancellation's reason; and which open tasks (by their order) they touch."""
    several = text(2_000, False)
    return {
        "owner": draw(text(200, True).filter(str.strip)),
        "reason": draw(several.filter(str.strip)),
        "note": draw(several),
        "cancel": draw(several.filter(str.strip)),
        "tasks": draw(st.permutations(range(4))),
    }


@st.composite
def hostile(draw: st.DrawFn) -> dict[str, Any]:
    facts = draw(record())
    return {
        "facts": facts,
        "amendments": draw(amendments(facts)),
        "changes": draw(task_changes()),
        # An earlier version's note holds what the checks now refuse, every bit of it.
        "earlier": draw(text(1_000, False))
        + "".join(draw(st.permutations(["\x00", *REFUSED])))
        + draw(text(100, False)),
    }


@settings(**HOSTILE, max_examples=3 if CI else 4)
@given(drawn=hostile())
def test_a_hostile_record_is_carried_by_every_reader_and_escaped_by_every_output(
    db: str,
    servers: tuple[Mailbox, Receiver, HTTPServer],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    drawn: dict[str, Any],
) -> None:
    mailbox, receiver, http = servers
    mailbox.received.clear()
    receiver.bodies.clear()
    folder = tmp_path_factory.mktemp("example")
    configure(monkeypatch, folder, mailbox)
    with fresh_store(db, folder) as store:
        with timed("record"):
            recorded(store, drawn)
            changed(store, drawn["changes"])
        with timed("tick"):
            ticked(store, monkeypatch, folder, http)
            delivered(store, mailbox, receiver)
            outbox_read(folder / "outbox")
        with timed("pages"):
            every_page_answers(store)
        with monkeypatch.context() as reading:
            # Read as the views stand, the quick way (no rules file to check
            # first): replays and simulations name the rules themselves.
            reading.delenv("ACCORD_RULES")
            with timed("read"):
                every_reader_answers(store, folder / "rules.toml")
            with timed("reports"):
                every_report_parses(store, folder / "rules.toml")
            with timed("exports"):
                every_export_parses(store, drawn["facts"], folder)
            with timed("terminal"):
                the_terminal_obeys_nothing(store)
        verified = accord(store, "audit", "verify")
        assert verified.exit_code == 0, verified.output


TIMES: dict[str, float] = {}


@contextmanager
def timed(what: str) -> Iterator[None]:
    """What each part of an example takes, summed (printed with -s)."""
    start = time.monotonic()
    yield
    TIMES[what] = TIMES.get(what, 0.0) + time.monotonic() - start
    if os.environ.get("ACCORD_HOSTILE_TIMES"):
        print(f"{what}: {time.monotonic() - start:.1f} s")


class Mailbox:
    """An SMTP server's receiving end: each message as it came over the wire."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 OK"


@contextmanager
def mail_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


def configure(monkeypatch: pytest.MonkeyPatch, folder: Path, mailbox: Mailbox) -> None:
    """The rules (every field in a title or an owner), the outbox, and the
    servers to deliver to, as settings."""
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
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"ACCORD_{name}", value)
    monkeypatch.delenv("ACCORD_DIRECTORY", raising=False)


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
    assign, defer, complete, cancel = (tasks[index]["task_id"] for index in changes["tasks"])
    later = (date.fromisoformat(tasks[changes["tasks"][1]]["due_on"]) + timedelta(days=30)).isoformat()
    for command in (
        ["task", "assign", "--", assign, changes["owner"]],
        ["task", "defer", defer, "--to", later, f"--reason={changes['reason']}"],
        ["task", "complete", complete, f"--note={changes['note']}"],
        ["task", "cancel", cancel, f"--reason={changes['cancel']}"],
    ):
        result = accord(store, *command)
        assert result.exit_code == 0, (command[:2], result.output)


def ticked(store: str, monkeypatch: pytest.MonkeyPatch, folder: Path, http: HTTPServer) -> None:
    """A directory naming every owner the record holds (hostile names as
    TOML keys), each by email and webhook; then the scheduler's tick."""
    owners = sorted({task["owner"] for task in as_json(accord(store, "tasks", "--json", "--status", "all"))})
    people = {owner: number for number, owner in enumerate(["head-of-unit", *owners])}
    lines = [f"[route]\nescalation = {json.dumps(owners[:2], ensure_ascii=False)}"]
    lines += [f"portfolio = {json.dumps(owners[:2], ensure_ascii=False)}", 'briefing = ["head-of-unit"]']
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
    """Every delivery delivered; every email read by the email package,
    every webhook's JSON verified."""
    rows = as_json(accord(store, "deliveries", "--json", "--limit", "100000"))
    states = {row["state"] for row in rows}
    assert states == {"delivered"}, [row for row in rows if row["state"] != "delivered"][:3]
    by_channel = {channel: sum(row["channel"] == channel for row in rows) for channel in ("email", "webhook")}
    assert len(mailbox.received) == by_channel["email"] and len(receiver.bodies) == by_channel["webhook"]
    for message in mailbox.received:
        email_read(message)
    for body in receiver.bodies:
        assert body["type"].startswith("accord.") and body["data"]["delivery"]


def outbox_read(outbox: Path) -> None:
    """Each dispatch's files: names a file system takes, Markdown that
    matches its JSON twin."""
    written = sorted(outbox.rglob("*.json"))
    assert written
    for path in written:
        assert len(path.name.encode()) <= 255
        report = json.loads(path.read_text(encoding="utf-8"))
        markdown_matches(path.with_suffix(".md").read_text(encoding="utf-8"), report)


# Nothing of the record may reach a pipe as a control (but tab and line feed) either.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def answered(store: str, *command: str) -> str:
    """What a command printed, after checking that it answered and, unless
    it printed JSON (raw, for machines), printed no escape."""
    result = accord(store, *command)
    assert result.exit_code == 0, (command, result.output[-2000:])
    if not {"--json", "json", "csv", "events", "html"} & set(command):
        found = CONTROLS.search(result.output)
        assert not found, (
            command,
            f"{found and found[0]!r} reached the output: {result.output[found and found.start() - 60 :][:120]!r}",
        )
    return result.stdout


def every_reader_answers(store: str, rules: Path) -> None:
    tasks = json.loads(answered(store, "tasks", "--json", "--status", "all"))
    for command in (
        ["tasks", "--status", "all", "--limit", "0"],
        ["tasks", "--status", "all", "--wide"],
        ["partners"],
        ["partners", "--json"],
        *(["partner", "show", code, *extra] for code in PARTNERS for extra in ([], ["--json"])),
        ["audit", "log"],
        ["audit", "log", "--json"],
        ["audit", "log", "--wide"],
        ["projections", "status"],
        ["scheduler", "status"],
        ["scheduler", "tick", "--at", TICK, "--dry-run"],
        ["deliveries", "--limit", "1000"],
        ["directory", "show"],
        ["--rules", str(rules), "rules", "show"],
        ["--rules", str(rules), "rules", "simulate", SHIPPED],
        ["--rules", str(rules), "rules", "simulate", SHIPPED, "--json"],
    ):
        answered(store, *command)
    # A few (a command costs a PostgreSQL store a third of a second): all are in the tables.
    for task in tasks[:: len(tasks) // 6]:
        answered(store, "task", "show", task["task_id"])
    readers = json.loads(answered(store, "projections", "status", "--json"))
    assert [reader["name"] for reader in readers if reader["failed"]] == []


SHIPPED = str(files("workflows.rules").joinpath("default.toml"))
REPORTS = [
    ["report", "portfolio"],
    ["report", "partnership", "TN"],
    ["report", "funding"],
    *(["report", "briefing", meeting] for meeting in (MEETING, HELD)),
    ["audit", "replay", "--as-of", "2021-07-01", "--partner", "TN"],
]


def every_report_parses(store: str, rules: Path) -> None:
    """Each report in each format, read back: JSON, Markdown against its
    JSON twin, CSV cell by cell, HTML inert."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for command in [*REPORTS, ["audit", "replay", "--known-at", now, "--partner", "MA"]]:
        if "replay" in command:  # it follows its facts again, by the rules in force
            command = ["--rules", str(rules), *command]
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


# Pages that are not the record's: they sign in and out, or stream.
NOT_PAGES = re.compile(r"^/(login|logout|events|accord\.(css|js))\b")
# Pages of a kind seen (the tasks, the events...): enough to meet every kind
# of fact; fewer of a kind as of a date or as known at a moment (each a replay).
MOST_OF_A_KIND = 12
MOST_REPLAYED = 3


def every_page_answers(store: str) -> None:
    """Every page `accord serve` links to, from the portfolio and each
    list, as it stands, as of a date and as known at a moment: each answers
    200 and runs nothing of its data."""
    from starlette.testclient import TestClient

    from workflows.settings import load
    from workflows.web.app import create

    settings, _ = load({"db": store}, os.environ)
    now = quote(datetime.now(UTC).isoformat(timespec="minutes"))
    start = ["/", "/tasks?status=all", "/meetings", "/funding", "/changes?since=2000-01-01T00:00", "/audit"]
    start += ["/?as_of=2021-07-01", f"/?known_at={now}", "/audit?type=FactCorrected"]
    with TestClient(create(settings)) as client:
        seen: set[str] = set()
        kinds: Counter[str] = Counter()
        waiting = [(path, "") for path in start]
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
            assert page.status_code == 200, (path, referrer, text_of(page.text)[-300:])
            html_is_inert(page.text, ("/accord.js",))
            links = (unescape(link) for link in re.findall(r'href="(/[^"#]*)"', page.text))
            waiting += [(link, path) for link in links if not NOT_PAGES.match(link) and link not in seen]
    assert len(seen) > 20
    if os.environ.get("ACCORD_HOSTILE_TIMES"):
        print(f"{len(seen)} pages: {dict(kinds)}")


def text_of(page: str) -> str:
    """What a page says, its tags left out."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def the_terminal_obeys_nothing(store: str) -> None:
    """The tables as a terminal shows them: nothing but Accord's own styles reaches it."""
    for written in on_terminals(
        store,
        ["tasks", "--status", "all", "--limit", "0"],
        ["partner", "show", "TN"],
        ["audit", "log"],
    ):
        terminal_clean(written)


ACCORD = str(Path(sys.executable).with_name("accord"))


def on_terminals(store: str, *commands: list[str]) -> list[bytes]:
    """What each command writes to a terminal of its own (a pseudo-terminal
    of the test's, 160 columns, its pager `cat`), the commands run at once;
    each must succeed."""
    env = {**os.environ, "ACCORD_DB": store, "COLUMNS": "160", "PAGER": "cat", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    running = []
    for command in commands:
        leader, follower = pty.openpty()
        running.append(
            (leader, subprocess.Popen([ACCORD, *command], stdin=follower, stdout=follower, stderr=follower, env=env))
        )
        os.close(follower)
    written = []
    for leader, process in running:
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the command ended: its terminal is gone
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        output = b"".join(chunks)
        assert process.wait(timeout=60) == 0, output.decode(errors="replace")[-2000:]
        written.append(output)
    return written
