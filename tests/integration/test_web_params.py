"""Every value the web console reads from a page's address (its query and
its path) is read with its bounds: one it cannot use answers 400 with a
sentence, in the page's usual layout, and nothing answers 500, whatever
text is put there. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from workflows.config.settings import Settings
from workflows.web.app import create

pytestmark = pytest.mark.integration

TOO_FAR = "is not a moment Accord can compute with: give one from 0001-01-02 to 9999-12-30 (UTC)"
# Each hostile value, where it is given, and the sentence the page answers with.
HOSTILE = [
    ("/tasks?page=²", "page must be a whole number from 0 to 100000; got '²'"),
    ("/tasks?page=٣", "page must be a whole number from 0 to 100000; got '٣'"),
    ("/tasks?page=-1", "page must be a whole number from 0 to 100000; got '-1'"),
    ("/tasks?page=100001", "page must be a whole number from 0 to 100000; got '100001'"),
    ("/tasks?status=late", "status must be one of open, overdue, done, cancelled, all; got 'late'"),
    ("/tasks?owner=desk%00TN", "owner holds a control character: 'desk\\x00TN'"),
    ("/tasks?partner=" + "T" * 201, "partner holds at most 200 characters; this one holds 201"),
    ("/tasks?partner=XX", "unknown partner 'XX': not an ISO 3166-1 alpha-2 country code"),
    (
        "/audit?after=9223372036854775807",
        "after must be a whole number from 0 to 9223372036854775806; got '9223372036854775807'",
    ),
    (
        "/audit?after=99999999999999999999",
        "after must be a whole number from 0 to 9223372036854775806; got '99999999999999999999'",
    ),
    ("/audit?type=VisitHappened", "unknown event type 'VisitHappened'; known types: "),
    ("/audit?known_at=0001-01-01T00:00%2B14:00", f"'0001-01-01T00:00+14:00' {TOO_FAR}"),
    (
        "/audit/9223372036854775808",
        "a position must be a whole number from 1 to 9223372036854775807; got '9223372036854775808'",
    ),
    ("/audit/%C2%B2", "a position must be a whole number from 1 to 9223372036854775807; got '²'"),
    ("/?known_at=0001-01-01T00:00%2B14:00", f"'0001-01-01T00:00+14:00' {TOO_FAR}"),
    ("/funding?known_at=9999-12-31T23:00-14:00", f"'9999-12-31T23:00-14:00' {TOO_FAR}"),
    ("/?as_of=9999-12-31", "9999-12-31 is after today ("),
    ("/meetings?known_at=9999-12-30T00:00%2B00:00", "9999-12-30T00:00 (UTC) is in the future: "),
    ("/changes?since=0001-01-01", f"'0001-01-01' {TOO_FAR}"),
    ("/changes?until=9999-12-31T23:59", f"'9999-12-31T23:59' {TOO_FAR}"),
    ("/changes?since=2021-13-01", "'2021-13-01' is not a date and time such as 2021-06-07T09:00"),
    ("/partners/" + "T" * 201, "a partner's code holds at most 200 characters; this one holds 201"),
    ("/meetings/jha%1b[2J", "a meeting's reference holds a control character: 'jha\\x1b[2J'"),
    ("/tasks/" + "a" * 201, "a task's id holds at most 200 characters; this one holds 201"),
    ("/funding?in=XAU", "--in XAU: XAU has no minor unit in ISO 4217"),
    ("/?in=%3Cscript%3E", "--in <SCRIPT>: unknown currency '<SCRIPT>'"),
    ("/funding?in=EUR%00", "in holds a control character: 'EUR\\x00'"),
    (
        "/tasks?status=open&utm_source=mail",
        "this page reads no value named 'utm_source' from its address; it reads status, partner, owner, page, "
        "as_of, known_at",
    ),
    ("/meetings?page=2", "this page reads no value named 'page' from its address; it reads as_of, known_at"),
    ("/funding?" + "x" * 300 + "=1", "this page reads no value named '" + "x" * 40 + "…' from its address"),
]


@pytest.fixture
def web(demo_db: str) -> Iterator[TestClient]:
    with TestClient(create(Settings(db=demo_db)), raise_server_exceptions=False) as client:
        yield client


def sentence(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', page)
    assert found is not None, page
    return unescape(found[1])


@pytest.mark.hostile
@pytest.mark.parametrize(("address", "said"), HOSTILE)
def test_a_value_the_page_cannot_use_answers_400_with_a_sentence(web: TestClient, address: str, said: str) -> None:
    page = web.get(address)

    assert page.status_code == 400
    assert sentence(page.text).startswith(said)
    assert "<h1>Not understood</h1>" in page.text and 'href="/accord.css"' in page.text  # the usual layout


def test_a_page_of_the_audit_log_at_its_last_position_still_answers(web: TestClient) -> None:
    page = web.get("/audit?after=9223372036854775806")

    assert page.status_code == 200


# Every value each page reads from its query.
QUERIES = {
    "/": ["as_of", "known_at"],
    "/partners/TN": ["as_of", "known_at"],
    "/funding": ["as_of", "known_at"],
    "/meetings": ["as_of", "known_at"],
    "/meetings/jha-council-2021-06-07": ["as_of", "known_at"],
    "/tasks": ["status", "partner", "owner", "page", "as_of", "known_at"],
    "/audit": ["after", "partner", "type", "known_at"],
    "/audit/1": ["known_at"],
    "/changes": ["since", "until"],
    "/login": ["next"],
}
# Every page whose path names something: the path with {} where it does.
PATHS = [
    "/partners/{}",
    "/meetings/{}",
    "/tasks/{}",
    "/audit/{}",
    "/record/{}",
    "/audit/{}/correct",
    "/audit/{}/retract",
]
# Text of every kind, and the kinds of text each value is meant to hold, a little off.
ANY = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A[0-9²٣-]{1,25}\Z"),
    st.from_regex(r"\A[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}(T[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?)?\Z"),
    st.sampled_from(
        ["0001-01-01", "9999-12-31", "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "²", "9" * 20, "2" * 63]
    ),
)
EVERY_QUERY = [(path, name) for path, names in QUERIES.items() for name in names]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "name"), EVERY_QUERY)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ANY)
def test_no_value_in_a_query_answers_500(web: TestClient, path: str, name: str, value: str) -> None:
    page = web.get(path, params={name: value})

    assert page.status_code in (200, 400, 404), f"{path}?{name}={value!r}: {page.status_code}"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ANY.filter(lambda value: value not in ("", ".", "..")))
def test_no_value_in_a_path_answers_500(web: TestClient, path: str, value: str) -> None:
    page = web.get(path.format(quote(value, safe="")))

    # A value holding "/" reaches a path of its own (the server routes on the
    # path decoded): one that takes only POST, e.g. /tasks/0/0, answers 405.
    assert page.status_code in (200, 400, 404, 405), f"{path.format(value)!r}: {page.status_code}"
