"""The web console's pages, read over HTTP from the application as the
command line reads it: each page of the demo, each as it stood on a date or
as known at a moment, the audit log paged with each event's record and
chain digest, errors as pages, strict security headers, and every free text
escaped. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.helpers import accord, as_json, submit_rows
from workflows.config.settings import Settings
from workflows.web.app import create

pytestmark = pytest.mark.integration

PAGES = [
    "/",
    "/partners/TN",
    "/tasks",
    "/meetings",
    "/meetings/jha-council-2021-06-07",
    "/funding",
    "/changes",
    "/audit",
]
SCRIPT = "<script>window.hacked = 1</script>"
IMAGE = '<img src=x onerror="window.hacked = 2">'


@pytest.fixture
def web(demo_db: str) -> Iterator[TestClient]:
    with TestClient(create(Settings(db=demo_db))) as client:
        yield client


def text(html: str) -> str:
    """What a page says, its tags left out."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", PAGES)
def test_each_page_answers_with_a_strict_policy_and_no_script(web: TestClient, path: str) -> None:
    page = web.get(path)

    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (
        re.findall(r"<script[^>]*>", page.text) == ['<script src="/accord.js" defer>'] and ' style="' not in page.text
    )
    for link in re.findall(r'href="(/[^"#]*)"', page.text):
        assert web.get(unescape(link)).status_code == 200, f"{path} links to {link}"


def test_the_pages_say_what_the_command_line_says(web: TestClient, demo_db: str) -> None:
    tasks = as_json(accord(demo_db, "tasks", "--json"))
    portfolio = text(web.get("/").text)
    partner = text(web.get("/partners/TR").text)
    listed = text(web.get("/tasks?status=open").text)

    assert "Partnership portfolio" in portfolio and "Tunisia (TN)" in portfolio
    assert "Türkiye" in partner and "Open tasks" in partner
    assert all(task["task_id"][:8] in listed for task in tasks[:100])
    owners = re.findall(r'<td class="whole">((?:cabinet|desk:[A-Z]{2}|head-of-unit|finance|analysis|policy-unit))</td>',
                        web.get("/tasks?status=all&owner=cabinet").text)  # fmt: skip
    assert owners and set(owners) == {"cabinet"}


def test_a_meeting_whose_date_has_passed_reads_as_past_on_the_meetings_page(web: TestClient) -> None:
    page = text(web.get("/meetings").text)

    row = re.search(r"Justice and Home Affairs Council.*?(its date has passed|not yet|yes)", page, re.DOTALL)
    assert row is not None and row.group(1) == "its date has passed"


def test_every_page_stands_as_of_a_date_or_as_known_at_a_moment(web: TestClient, demo_db: str) -> None:
    before = as_json(accord(demo_db, "report", "portfolio", "--as-of", "2021-05-01", "--json"))
    then = text(web.get("/?as_of=2021-05-01").text)
    nothing_yet = text(web.get("/?known_at=2001-01-01T09:00").text)

    assert "The record as of 2021-05-01 (what had happened by then)." in then
    assert f"Visits {before['figures']['Visits']} " in re.sub(r"\s+", " ", then)
    assert before["figures"]["Visits"] < as_json(accord(demo_db, "report", "portfolio", "--json"))["figures"]["Visits"]
    assert "as known at 2001-01-01" in nothing_yet and re.search(r"Partnerships\s+0\b", nothing_yet)
    # Links keep the moment.
    assert 'href="/tasks?as_of=2021-05-01"' in web.get("/?as_of=2021-05-01").text
    assert "Back to now" in then


def test_a_bad_moment_or_an_unknown_page_is_one_sentence(web: TestClient) -> None:
    bad = web.get("/?as_of=2021-13-01")
    both = web.get("/?as_of=2021-05-01&known_at=2021-05-01T09:00")
    unknown = web.get("/partners/XX")
    nowhere = web.get("/audit/999999")
    no_page = web.get("/no-such-page")
    posted = web.post("/tasks")

    assert bad.status_code == 400 and "'2021-13-01' is not a date such as 2021-06-07" in text(bad.text)
    assert both.status_code == 400 and "not both" in text(both.text)
    assert unknown.status_code == 404 and "unknown partner 'XX'" in text(unknown.text)
    assert nowhere.status_code == 404 and "nothing is recorded at position 999999" in text(nowhere.text)
    assert no_page.status_code == 404 and "no page of the console is at this address" in text(no_page.text)
    assert posted.status_code == 405 and "this address takes GET, HEAD only" in text(posted.text)
    assert posted.headers["allow"] == "GET, HEAD"


def test_the_audit_log_pages_and_shows_each_event_with_its_digest(web: TestClient, demo_db: str) -> None:
    notes = [
        {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-06-01", "text": f"note {n}"}
        for n in range(120)
    ]
    assert submit_rows(demo_db, *notes).exit_code == 0
    log = as_json(accord(demo_db, "audit", "log", "--json"))
    seal = as_json(accord(demo_db, "audit", "seal", "--json"))

    first = web.get("/audit").text
    more = re.search(r'href="(/audit\?after=(\d+)[^"]*)"', first)
    assert more is not None and int(more[2]) == log[99]["position"]
    second = text(web.get(unescape(more[1])).text)
    assert str(log[100]["position"]) in second and "partnership note added" in second
    last = web.get(f"/audit/{seal['position']}").text
    assert seal["digest"] in last
    assert f"Partnership note added at position {seal['position']}" in text(last)
    visits = text(web.get("/audit?type=VisitHeld").text)
    assert "visit held" in visits and "partnership opened" not in visits


def test_the_audit_page_says_each_event_as_the_command_lines_table_does(web: TestClient, demo_db: str) -> None:
    held = as_json(accord(demo_db, "audit", "log", "--type", "MeetingHeld", "--json"))[0]
    moment = datetime.fromisoformat(held["recorded_at"]).astimezone(ZoneInfo("Europe/Brussels"))

    page = " ".join(text(web.get("/audit?type=MeetingHeld").text).split())

    assert (
        f"{moment:%Y-%m-%d %H:%M:%S} Europe/Brussels tester meeting held "
        "Counter-smuggling conference hosted by Italy with North African countries of July 2020 "
    ) in page


def test_html_and_script_in_free_text_stay_text(web: TestClient, demo_db: str) -> None:
    result = submit_rows(
        demo_db,
        {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-06-01", "text": SCRIPT},
        {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-06-02", "visitors": [IMAGE], "notes": SCRIPT},
    )
    assert result.exit_code == 0, result.output

    for path in ["/", "/partners/TN", "/audit?type=VisitHeld", "/audit?type=PartnershipNoteAdded"]:
        page = web.get(path).text
        assert SCRIPT not in page and IMAGE not in page, path
        assert "<img src=x" not in page and "<script>" not in page, path
    assert SCRIPT in text(web.get("/audit?type=PartnershipNoteAdded").text)


def test_what_changed_between_two_moments_is_grouped_by_kind(web: TestClient, demo_db: str) -> None:
    log = as_json(accord(demo_db, "audit", "log", "--json"))
    [visit, other, *_] = [row for row in log if row["type"] == "VisitHeld"]
    time.sleep(1.1)  # recorded_at is kept to the second
    since = datetime.now(UTC).isoformat(timespec="seconds")
    time.sleep(1.1)
    partner = visit["subject"]
    fixed = accord(demo_db, "correct", visit["key"], "--partner", partner, "--set", "place=Tunis", "--reason", "typo")
    dropped = accord(demo_db, "retract", other["key"], "--partner", other["subject"], "--reason", "recorded twice")
    note = {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-06-01", "text": "x"}
    noted = submit_rows(demo_db, note)
    assert fixed.exit_code == dropped.exit_code == noted.exit_code == 0, fixed.output + dropped.output

    page = web.get("/changes", params={"since": since}).text
    counts = dict(re.findall(r"<h2>([^<(]+) \((\d+)\)</h2>", page))

    assert counts["Facts corrected"] == counts["Facts retracted"] == counts["Facts recorded"] == "1"
    assert counts["Funding moved"] == "0"
    assert "place now Tunis" in text(page)
    before = web.get("/changes", params={"since": "2000-01-01T00:00", "until": since}).text
    assert re.search(r"<h2>Facts corrected \(0\)</h2>", before)


def test_a_task_page_says_where_the_task_stands_and_the_fact_it_follows_up(web: TestClient, demo_db: str) -> None:
    tasks = as_json(accord(demo_db, "tasks", "--status", "all", "--json"))
    [jha] = [row for row in tasks if row["rule"] == "meeting-scheduled-prepare-briefing" and "7 June" in row["title"]]

    page = text(web.get(f"/tasks/{jha['task_id']}").text)

    assert re.search(r"Status\s+Overdue by [0-9,]+ days \(due 31 May 2021\)", page)
    assert re.search(r"Follows up\s+Justice and Home Affairs Council set for 7 June 2021", page)
    assert "OVERDUE" not in page and "True" not in page
