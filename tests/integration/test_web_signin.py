"""Signing in to the web console and changing tasks from their pages: a
user the policy gives a role changes what it permits, under their own name;
anyone else reads; every form carries the session's token, and one without
it changes nothing; a reverse proxy's header can say who is signed in.
Sessions are kept on the server: signing out, removing a user or a new
password ends them at once; sign-in is throttled. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.console import a_task, add_users, said, sign_in, token
from tests.helpers import accord, as_json
from workflows.application.sessions import ALLOWED
from workflows.config.settings import Delivery, Settings, Web
from workflows.web.app import create

pytestmark = pytest.mark.integration


def test_a_user_with_a_role_changes_a_task_under_their_own_name(web: TestClient, demo_db: str) -> None:
    task = a_task(web)
    assert "Sign in</a> to change it" in web.get(f"/tasks/{task}").text

    assert sign_in(web, "alice") == 303
    page = web.get(f"/tasks/{task}").text
    assert "Signed in as <strong>alice</strong>" in page and page.count(f'action="/tasks/{task}/') == 4
    # Whom to give it to, picked from the owners tasks have and the policy's roles and people.
    offered = re.findall(r'<option value="([^"]+)">', page[page.index('<datalist id="owners-known">') :])
    assert {"desk:TN", "alice"} <= set(offered)
    done = web.post(f"/tasks/{task}/assign", data={"csrf": token(page), "owner": "desk:MA"})

    assert done.status_code == 200 and said(done.text) == "Task assigned."
    row = as_json(accord(demo_db, "task", "show", task, "--json"))[0]
    assert row["owner"] == "desk:MA"
    [event] = [e for e in as_json(accord(demo_db, "audit", "log", "--type", "TaskAssigned", "--json"))]
    assert event["actor"] == "alice"

    deferred = web.post(f"/tasks/{task}/defer", data={"csrf": token(page), "to": "2031-01-15", "reason": "waits"})
    # Its story, in the order recorded: opened by Accord, assigned and deferred by alice, with why.
    story = re.findall(
        r'<tr><td class="whole"><a href="/audit/(\d+)">([^<]*)</a></td><td>([^<]*)</td><td>([^<]*)</td></tr>',
        deferred.text,
    )
    assert [(who, what) for _, _, who, what in story][1:] == [
        ("alice", "Task assigned to desk:MA"),
        ("alice", "Task deferred to 15 January 2031: waits"),
    ]
    assert story[0][2] == "accord" and story[0][3].startswith("Task opened for ")
    assert all(when.endswith(" Europe/Brussels") for _, when, _, _ in story)
    # Each step links to its record in the log; the fact it follows up too.
    log = {e["position"]: e for e in as_json(accord(demo_db, "audit", "log", "--json"))}
    assert [log[int(position)]["type"] for position, *_ in story] == ["TaskOpened", "TaskAssigned", "TaskDeferred"]
    [source] = re.findall(r'<dd><a href="/audit/(\d+)">', deferred.text)
    assert log[int(source)]["type"] == row["source_type"]
    # The due date as it stands is explained by the deferral, with the date the rule had set.
    [due] = re.findall(r'<p class="subtitle">Due date: ([^<]*)</p>', deferred.text)
    assert due.startswith("deferred to 15 January 2031 by alice on ") and ": waits; the rule had set " in due
    assert row["basis"] in due


def test_the_domain_and_the_policy_refuse_in_a_sentence_and_nothing_changes(web: TestClient, demo_db: str) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303
    page = web.get(f"/tasks/{task}").text

    earlier = web.post(f"/tasks/{task}/defer", data={"csrf": token(page), "to": "2000-01-01", "reason": "later"})
    no_reason = web.post(f"/tasks/{task}/cancel", data={"csrf": token(page), "reason": ""})

    assert earlier.status_code == 400 and "a deferral must move the due date after" in said(earlier.text)
    assert no_reason.status_code == 400
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


def test_a_deferral_to_a_day_that_is_not_a_date_answers_400_on_the_tasks_page(web: TestClient, demo_db: str) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303
    page = web.get(f"/tasks/{task}").text

    deferred = web.post(f"/tasks/{task}/defer", data={"csrf": token(page), "to": "next week", "reason": "later"})

    assert deferred.status_code == 400 and said(deferred.text) == "'next week' is not a date such as 2021-09-30"
    assert f'action="/tasks/{task}/defer"' in deferred.text  # the task's own page, to try again
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


def test_a_change_of_a_task_that_does_not_exist_answers_404_in_a_sentence(web: TestClient) -> None:
    assert sign_in(web, "alice") == 303
    page = web.get("/tasks").text

    changed = web.post("/tasks/ffff0000/complete", data={"csrf": token(page), "note": "done"})
    too_long = web.post(f"/tasks/{'f' * 201}/complete", data={"csrf": token(page), "note": "done"})

    assert changed.status_code == 404 and said(changed.text) == "no task has an id starting 'ffff0000'"
    assert too_long.status_code == 400
    assert said(too_long.text) == "a task's id holds at most 200 characters; this one holds 201"


def test_anyone_without_a_role_reads_and_a_role_may_change_only_what_the_policy_permits(
    web: TestClient, demo_db: str
) -> None:
    task = a_task(web)
    assert sign_in(web, "carol") == 303  # a user in no role
    page = web.get(f"/tasks/{task}").text
    assert "your name has no role in the policy" in page and f'action="/tasks/{task}/' not in page
    refused = web.post(f"/tasks/{task}/complete", data={"csrf": token(page), "note": "done"})
    assert refused.status_code == 403 and "carol has no role in the policy" in said(refused.text)

    web.post("/logout", data={"csrf": token(page)})
    assert sign_in(web, "bob") == 303  # a reader: may not cancel
    page = web.get(f"/tasks/{task}").text
    cancelled = web.post(f"/tasks/{task}/cancel", data={"csrf": token(page), "reason": "moot"})
    assert cancelled.status_code == 400 and "TaskCancelled" in said(cancelled.text)
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


def test_a_form_without_the_sessions_token_changes_nothing(web: TestClient, demo_db: str) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303

    forged = web.post(f"/tasks/{task}/complete", data={"csrf": "guessed", "note": "done"})
    bare = web.post(f"/tasks/{task}/complete", data={"note": "done"})
    no_login = web.post("/login", data={"name": "alice", "password": "alice has a password"})

    assert forged.status_code == bare.status_code == no_login.status_code == 403
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


def test_a_form_left_open_after_signing_out_elsewhere_asks_to_sign_in_again_and_changes_nothing(
    web: TestClient, demo_db: str
) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303
    page = web.get(f"/tasks/{task}").text
    assert web.post("/logout", data={"csrf": token(page)}).status_code == 200  # as in another tab

    stale = web.post(f"/tasks/{task}/complete", data={"csrf": token(page), "note": "done"}, follow_redirects=False)

    assert stale.status_code == 303 and stale.headers["location"] == f"/login?next=/tasks/{task}"
    assert "You are signed out (in another tab, or your session ended)" in web.get(stale.headers["location"]).text
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


def test_a_wrong_password_or_an_unknown_name_does_not_sign_in(web: TestClient) -> None:
    assert sign_in(web, "alice", "not the password") == 401
    assert sign_in(web, "mallory", "mallory has a password") == 401
    assert "Signed in as" not in web.get("/").text


def test_behind_a_proxy_that_signs_people_in_its_header_says_who(
    demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(db=demo_db, policy=str(files[1]), web=Web(web_user_header="X-Remote-User"))
    with TestClient(create(settings)) as web:
        task = a_task(web)
        page = web.get(f"/tasks/{task}", headers={"X-Remote-User": "alice"}).text
        assert "Signed in as <strong>alice</strong>" in page
        done = web.post(
            f"/tasks/{task}/complete",
            data={"csrf": token(page), "note": "sent"},
            headers={"X-Remote-User": "alice"},
        )
        assert said(done.text) == "Task completed."
        assert "Signed in as" not in web.get("/").text  # no header, no one


def complete(web: TestClient, task: str, form_token: str) -> int:
    """Post the task's completion with a form's token; the status code answered."""
    return web.post(
        f"/tasks/{task}/complete", data={"csrf": form_token, "note": "sent"}, follow_redirects=False
    ).status_code


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(web: TestClient, demo_db: str) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303
    # Another tab, or a stolen copy: the cookie and a form's token, as they were.
    form_token = token(web.get(f"/tasks/{task}").text)
    kept = httpx.Cookies(web.cookies)
    assert web.post("/logout", data={"csrf": form_token}, follow_redirects=False).status_code == 303

    # The old cookie is sent again: signed out, it is asked to sign in, and nothing changes.
    web.cookies = kept
    assert "Signed in as" not in web.get("/").text
    assert complete(web, task, form_token) == 303
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


@pytest.mark.parametrize("change", ["removed", "new password"])
def test_a_removed_user_or_a_new_password_ends_the_users_sessions_at_once(
    web: TestClient, demo_db: str, change: str
) -> None:
    task = a_task(web)
    assert sign_in(web, "alice") == 303
    assert "Signed in as <strong>alice</strong>" in web.get("/").text
    form_token = token(web.get(f"/tasks/{task}").text)

    if change == "removed":
        assert accord(demo_db, "users", "remove", "alice").exit_code == 0
    else:
        added = accord(demo_db, "users", "add", "alice", "--password-stdin", input="a new one, long enough")
        assert added.exit_code == 0, added.output

    assert "Signed in as" not in web.get("/").text
    assert complete(web, task, form_token) == 303
    assert as_json(accord(demo_db, "task", "show", task, "--json"))[0]["status"] == "open"


def test_sign_in_is_throttled_by_name_and_by_address_with_a_sentence(web: TestClient) -> None:
    for _ in range(ALLOWED):
        assert sign_in(web, "alice", "not the password") == 401

    # The right password waits too: the name has failed too often in a row.
    form = {"csrf": token(web.get("/login").text), "name": "alice", "password": "alice has a password"}
    throttled = web.post("/login", data=form, follow_redirects=False)
    assert throttled.status_code == 429
    assert "too many failed sign-ins for alice: try again in 2 seconds" in unescape(throttled.text)
    # Another name from the same address waits as well (the address failed as often).
    assert sign_in(web, "bob") == 429


def test_the_session_cookie_is_sent_over_tls_only_where_the_console_is_reached_over_it(
    demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    users, policy = files
    add_users(users, demo_db, monkeypatch)
    for url, secure in (("https://accord.example.eu", True), ("http://localhost:8000", False)):
        delivery = Delivery(web_url=url)
        settings = Settings(db=demo_db, policy=str(policy), web=Web(users=str(users)), delivery=delivery)
        with TestClient(create(settings), base_url=url) as web:
            form = {"csrf": token(web.get("/login").text), "name": "alice", "password": "alice has a password"}
            signed = web.post("/login", data=form, follow_redirects=False)
            assert ("secure" in signed.headers["set-cookie"].lower()) is secure


def test_sessions_that_cannot_be_kept_are_said_as_a_page_and_no_one_is_signed_in(
    web: TestClient, files: tuple[Path, Path]
) -> None:
    users, _ = files
    Path(f"{users}.sessions").mkdir()  # in the way of the sessions' file

    answered = web.post(
        "/login",
        data={"csrf": token(web.get("/login").text), "name": "alice", "password": "alice has a password"},
    )

    assert answered.status_code == 503
    assert f"the console's sessions cannot be kept in {users}.sessions" in unescape(answered.text)
    assert "Signed in as" not in web.get("/").text
