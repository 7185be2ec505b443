"""What the hostile-input suite (test_hostile.py) found beyond issue 31's
list, each as a sentence of its own: a fact the record accepted that a
reader or an output could not carry. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.helpers import accord, as_json, submit_rows

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

    from workflows.settings import Settings
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

    assert any("2021-05" in title for title in seen), seen
    for title, (back, status, shown) in seen.items():
        assert status == 200
        assert shown == title or not back.startswith("/tasks/"), f"{title!r} links back to now to {shown!r}"


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    return unescape(found[1]).strip() if found else ""
