"""What the hostile-input suite (test_hostile.py) found beyond issue 31's
list, each as a sentence of its own: a fact the record accepted that a
reader or an output could not carry. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from tests.helpers import accord, as_json, open_partners, stored_count, submit_rows

pytestmark = [pytest.mark.integration, pytest.mark.hostile]


def envelope(share: str) -> dict[str, object]:
    return {
        "type": "FundingEnvelopeSet",
        "instrument": "NDICI-Global Europe",
        "occurred_on": "2021-06",
        "amount": "EUR 7950000000",
        "share": share,
        "first_year": 2021,
        "last_year": 2027,
    }


def test_a_share_of_a_ten_millionth_is_read_back_and_exported_as_it_was_written(db: str) -> None:
    assert submit_rows(db, envelope("0.0000001")).exit_code == 0

    status = as_json(accord(db, "projections", "status", "--json"))
    exported = accord(db, "export", "events")

    assert [reader["name"] for reader in status if reader["failed"]] == []
    assert exported.exit_code == 0, exported.output
    assert [json.loads(line)["share"] for line in exported.stdout.splitlines()] == ["0.0000001"]
    assert accord(db, "audit", "verify").exit_code == 0


def test_a_task_seen_as_of_a_date_never_links_back_to_now_to_another_task(db: str) -> None:
    from starlette.testclient import TestClient

    from workflows.config.settings import Settings
    from workflows.web.app import create

    # The later visit recorded first: a replay as of June holds the May visit
    # alone, so the partnership's events are numbered afresh there, and its
    # task's id is, now, the July visit's task's.
    july = {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-07-01", "visitors": ["Commissioner"]}
    may = {**july, "occurred_on": "2021-05-01"}
    opened = {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01"}
    assert submit_rows(db, opened, july, may).exit_code == 0

    with TestClient(create(Settings(db=db))) as client:
        listed = client.get("/tasks?status=all&as_of=2021-06-01").text
        seen = {}
        for task in re.findall(r'href="(/tasks/[^"?]+\?as_of=[^"]*)"', listed):
            then = client.get(unescape(task)).text
            back = unescape(re.findall(r'href="([^"]*)">Back to now<', then)[0])
            now = client.get(back)
            seen[heading(then)] = (back, now.status_code, heading(now.text))

    assert any("1 May 2021" in title for title in seen), seen
    for title, (back, status, shown) in seen.items():
        assert status == 200
        assert shown == title or not back.startswith("/tasks/"), f"{title!r} links back to now to {shown!r}"


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    return unescape(found[1]).strip() if found else ""


def test_an_owner_of_240_characters_is_refused_from_the_command_line_and_the_consoles_form_naming_it(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 31: such an owner, assigned from the console's form, made every
    scheduler tick fail (its digest's file name too long); it is refused."""
    from starlette.testclient import TestClient

    from workflows.config.settings import Settings, Web
    from workflows.web.app import create

    open_partners(db, "TN")  # its desk officer is to be named: a task
    [task] = as_json(accord(db, "tasks", "--json"))
    owner = "desk:" + "x" * 235
    users, policy = tmp_path / "users.toml", tmp_path / "policy.toml"
    policy.write_text('[roles]\ndesks = ["alice"]\n')
    monkeypatch.setenv("ACCORD_USERS", str(users))
    assert accord(db, "users", "add", "alice", "--password-stdin", input="alice has a password").exit_code == 0
    before = stored_count(db)

    typed = accord(db, "task", "assign", task["task_id"], owner)
    with TestClient(create(Settings(db=db, policy=str(policy), web=Web(users=str(users))))) as web:
        form = {"csrf": csrf(web.get("/login").text), "name": "alice", "password": "alice has a password"}
        assert web.post("/login", data=form, follow_redirects=False).status_code == 303
        page = web.get(f"/tasks/{task['task_id']}").text
        posted = web.post(f"/tasks/{task['task_id']}/assign", data={"csrf": csrf(page), "owner": owner})

    said = "field 'owner': has 240 characters: at most 200 are taken"
    assert typed.exit_code == 2 and said in typed.stderr
    assert posted.status_code == 400 and said in unescape(posted.text)
    assert stored_count(db) == before


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_an_html_report_shows_the_escapes_of_an_earlier_record_and_hands_none_to_a_terminal(db: str) -> None:
    from tests.integration.test_poisoned_facts import store_as_an_earlier_version

    open_partners(db, "TN")
    note = {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-02-01", "text": "x"}
    store_as_an_earlier_version(db, note, key="old-note", stored={"text": "clear \x1b[2J\x1b]0;owned\x07 \x9b31m"})

    page = accord(db, "report", "partnership", "TN", "--format", "html")

    assert page.exit_code == 0, page.output
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", page.stdout)
    assert "clear \\x1b[2J\\x1b]0;owned\\x07 \\x9b31m" in unescape(page.stdout)
