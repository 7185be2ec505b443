"""The console serves many people at once (workflows.web.workers): pages
read together are each answered as when read alone; a change made while
others read is seen by the next read; sign-in is throttled however many
attempts come at once, and past a bound is told to wait; a page is kept by
the values it reads, so that another value cannot make it be read again;
a page as of a date is the same read from a replay made for it, from one
kept, or kept itself. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.console import a_task, add_users, sign_in, token
from tests.helpers import accord, as_json
from workflows.application.sessions import ALLOWED
from workflows.config.settings import Settings, Web
from workflows.web import workers
from workflows.web.app import create

pytestmark = pytest.mark.integration

PAGES = [
    "/",
    "/partners/TN",
    "/tasks",
    "/tasks?status=all",
    "/meetings",
    "/funding",
    "/audit",
    "/tasks?as_of=2021-06-30",
    "/?as_of=2021-03-31",
    "/funding?as_of=2021-09-30",
]


def shown(page: str) -> str:
    """A page as a person reads it: the same whichever session asked (its form token left out)."""
    return re.sub(r'name="csrf" value="[^"]+"', "", page)


def at_once(web: TestClient, requests: list[tuple[str, str, dict[str, str] | None]]) -> list[tuple[int, str]]:
    """Each (method, address, form) sent together, from as many threads; each answer's status and text."""

    def sent(request: tuple[str, str, dict[str, str] | None]) -> tuple[int, str]:
        method, address, form = request
        answer = web.request(method, address, data=form, follow_redirects=False)
        return answer.status_code, answer.text

    with ThreadPoolExecutor(len(requests)) as senders:
        return list(senders.map(sent, requests))


def test_pages_read_at_once_are_each_answered_as_when_read_alone(web: TestClient) -> None:
    alone = [shown(web.get(address).text) for address in PAGES]

    together = at_once(web, [("GET", address, None) for address in PAGES * 3])

    assert [status for status, _ in together] == [200] * len(PAGES) * 3
    assert [shown(text) for _, text in together] == alone * 3


def test_a_change_made_while_others_read_is_seen_by_the_next_read(web: TestClient, demo_db: str) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303
    form = {"csrf": token(web.get(f"/tasks/{task}").text), "owner": "desk:MA"}

    answers = at_once(web, [("POST", f"/tasks/{task}/assign", form)] + [("GET", "/tasks", None)] * 8)

    assert [status for status, _ in answers] == [303] + [200] * 8
    assert "desk:MA" in web.get(f"/tasks/{task}").text
    assert f'<a href="/tasks/{task}">' in web.get("/tasks?owner=desk:MA").text
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["owner"] == "desk:MA"


def test_sign_in_is_throttled_however_many_attempts_come_at_once(web: TestClient) -> None:
    form = {"csrf": token(web.get("/login").text), "name": "alice", "password": "not alice's password"}

    answers = at_once(web, [("POST", "/login", form)] * (ALLOWED + 3))

    assert {status for status, _ in answers} <= {401, 429}
    assert sign_in(web, "alice") == 429  # the right password too, for now


def test_past_the_bound_of_sign_ins_at_once_the_next_is_told_to_wait(
    demo_db: str,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users, policy = files
    add_users(users, demo_db, monkeypatch)
    monkeypatch.setattr(workers, "WAITING", 0)  # as if as many were already waiting
    settings = Settings(db=demo_db, policy=str(policy), web=Web(users=str(users)))
    with TestClient(create(settings)) as web:
        form = {"csrf": token(web.get("/login").text), "name": "alice", "password": "alice has a password"}
        answer = web.post("/login", data=form, follow_redirects=False)

    assert answer.status_code == 503
    assert "too many sign-ins at once: try again in a few seconds" in answer.text


def test_a_page_is_kept_by_the_values_it_reads_alone(web: TestClient) -> None:
    console = web.app.state.console  # type: ignore[attr-defined]
    first = shown(web.get("/tasks?status=open&page=0").text)

    same = [
        web.get(address)
        for address in ("/tasks?page=0&status=open", "/tasks?status=%20open&page=0&as_of=", "/tasks?page=0&status=open")
    ]
    refused = web.get("/tasks?status=open&page=0&nonce=1")

    assert [shown(page.text) for page in same] == [first] * 3
    assert refused.status_code == 400
    assert "this page reads no value named 'nonce'" in unescape(refused.text)
    assert [key for key, _, _ in console.kept] == ["/tasks?page=0&status=open"]


def test_a_page_as_of_a_date_is_the_same_replayed_from_a_replay_kept_or_kept(
    web: TestClient,
    demo_db: str,
    files: tuple[Path, Path],
) -> None:
    console = web.app.state.console  # type: ignore[attr-defined]
    read = shown(web.get("/tasks?as_of=2021-06-30").text)
    kept = shown(web.get("/tasks?as_of=2021-06-30").text)
    from_the_replay_kept = shown(web.get("/tasks?as_of=2021-06-30&status=open").text)
    with TestClient(create(Settings(db=demo_db))) as fresh:
        replayed = shown(fresh.get("/tasks?as_of=2021-06-30").text)

    assert "as of 2021-06-30" in read
    assert read == kept == from_the_replay_kept
    assert _main(read) == _main(replayed)
    assert console.replays.count == 1  # one replay made for the three pages


def _main(page: str) -> str:
    """A page's own content, without the header (which says who is signed in)."""
    found = re.search(r"<main.*</main>", page, re.DOTALL)
    assert found is not None
    return found[0]


def test_pages_asking_for_one_moment_at_once_wait_for_one_replay(web: TestClient) -> None:
    console = web.app.state.console  # type: ignore[attr-defined]
    addresses = [
        "/tasks?as_of=2021-06-30",
        "/?as_of=2021-06-30",
        "/funding?as_of=2021-06-30",
        "/meetings?as_of=2021-06-30",
    ]

    answers = at_once(web, [("GET", address, None) for address in addresses * 2])

    assert [status for status, _ in answers] == [200] * len(addresses) * 2
    assert all("as of 2021-06-30" in text for _, text in answers)
    assert console.replays.count == 1
