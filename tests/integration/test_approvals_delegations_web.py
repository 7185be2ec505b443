"""Delegations in the console: the signed-in user's delegations given and
received, a grant from a picker of users and of the roles they hold, a
revocation, refusals said beside their field in the command line's
sentences, and hostile fields refused or kept inert. Each test runs on
SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests import console
from tests.helpers import stored_count
from tests.integration.test_approvals_web import (
    POLICY,
    commit,
    decide,
    propose,
    said_on,
    text_of,
    waiting_position,
)

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Europe/Brussels")).date()
UNTIL = TODAY + timedelta(days=7)


@pytest.fixture
def four_eyes(demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The console on the demo under the approvals page's policy: alice in
    finance, bob head of unit, carol no role."""
    files[1].write_text(POLICY)
    yield from console.client(demo_db, files, monkeypatch)


def grant(web: TestClient, **fields: str) -> Any:
    return post(web, "/delegations", fields)


def revoke(web: TestClient, **fields: str) -> Any:
    return post(web, "/delegations/revoke", fields)


def post(web: TestClient, address: str, fields: dict[str, str]) -> Any:
    """A form of the delegations page posted with its session's token."""
    form = {"csrf": console.token(web.get("/delegations").text), **fields}
    return web.post(address, data=form, follow_redirects=False)


def beside(page: str, field: str) -> str:
    """The refusal said beside a field of the form."""
    found = re.search(rf'<p class="problem" id="{field}-problem">([^<]*)</p>', page)
    return unescape(found[1]) if found else ""


def long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_bob_lets_carol_act_for_him_she_approves_for_him_and_once_revoked_may_not(
    four_eyes: TestClient, demo_db: str
) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    console.sign_in(web, "carol")
    assert 'action="/approvals/' not in web.get("/approvals").text
    console.sign_in(web, "bob")
    empty = web.get("/delegations")
    assert empty.status_code == 200
    assert "bob has given no delegation." in text_of(empty.text)
    assert re.search(r'<select id="f-delegate" name="delegate">\s*<option value="">\(choose\)</option>\s*'
                     r"<option>alice</option><option>carol</option>", empty.text)  # fmt: skip
    assert re.search(r'<select id="f-role" name="role">\s*<option>head-of-unit</option>\s*</select>', empty.text)

    granted = grant(web, delegate="carol", role="head-of-unit", starts_on=TODAY.isoformat(), ends_on=UNTIL.isoformat())

    assert (granted.status_code, granted.headers["location"]) == (303, "/delegations")
    page = web.get("/delegations").text
    window = f"from {TODAY.day} to {long(UNTIL)}" if TODAY.month == UNTIL.month else ""
    assert said_on(page).startswith("Granted: carol may act for bob as head-of-unit from ")
    assert window in said_on(page)
    assert f"carol bob head-of-unit {TODAY.isoformat()} to {UNTIL.isoformat()} in force" in text_of(page)
    console.sign_in(web, "carol")
    received = text_of(web.get("/delegations").text)
    assert "Received by carol (1)" in received and "in force" in received
    assert "The policy in force gives carol no role, so carol has none to delegate." in received
    assert decide(web, waiting_position(web), "approve").status_code == 303  # type: ignore[attr-defined]
    assert "Approved by carol for bob on " in text_of(web.get("/approvals").text)
    audit = text_of(web.get("/audit").text)
    assert "carol may act for bob as head-of-unit from " in audit
    assert "Proposal approved by carol, acting for bob, as head-of-unit" in audit

    console.sign_in(web, "bob")
    revoked = revoke(web, delegate="carol", role="head-of-unit", reason="back early")

    assert revoked.status_code == 303
    page = web.get("/delegations").text
    assert said_on(page).startswith("Revoked: bob's delegation of head-of-unit to carol from ")
    assert re.search(r"head-of-unit \S+ to \S+ revoked on \d{4}-\d{2}-\d{2} \d{2}:\d{2}", text_of(page))
    assert "Revoke carol" not in page
    assert "Delegation revoked by bob, from then on: back early" in text_of(web.get("/audit").text)
    console.sign_in(web, "alice")
    propose(web, "FundingCommitted", partner="TN", funding="tn-other", instrument="NDICI", occurred_on="2021-06",
            amount="EUR 5")  # fmt: skip
    console.sign_in(web, "carol")
    assert 'action="/approvals/' not in web.get("/approvals").text


def test_refusals_are_said_beside_their_field_in_the_command_lines_sentences(
    four_eyes: TestClient, demo_db: str
) -> None:
    web = four_eyes
    console.sign_in(web, "bob")
    count = stored_count(demo_db)
    later, earlier = UNTIL.isoformat(), TODAY.isoformat()

    themselves = grant(web, delegate="bob", role="head-of-unit", ends_on=later)
    not_held = grant(web, delegate="carol", role="finance", ends_on=later)
    backwards = grant(web, delegate="carol", role="head-of-unit", starts_on=later, ends_on=earlier)
    no_end = grant(web, delegate="carol", role="head-of-unit")
    nobody = grant(web, role="head-of-unit", ends_on=later)
    stranger = grant(web, delegate="mallory", role="head-of-unit", ends_on=later)
    nothing = revoke(web, delegate="carol", role="head-of-unit")
    console.sign_in(web, "alice")
    outside = grant(web, delegate="carol", role="head-of-unit", ends_on=later)

    assert beside(themselves.text, "delegate") == "bob cannot delegate to themselves"
    assert beside(not_held.text, "role") == (
        "bob may not delegate finance: the policy in force does not give it to bob (who holds head-of-unit)"
    )
    assert beside(backwards.text, "ends_on") == (
        f"a delegation ends ({earlier}) before it begins ({later}); nothing was stored"
    )
    assert beside(no_end.text, "ends_on") == ("name the last day the delegate may act (YYYY-MM-DD); nothing was stored")
    assert beside(nobody.text, "delegate") == "choose who may act for you; nothing was stored"
    assert beside(stranger.text, "delegate") == (
        "'mallory' is not one of the console's users: choose one; nothing was stored"
    )
    assert beside(nothing.text, "revoke") == "bob has no delegation of head-of-unit to carol to revoke"
    assert beside(outside.text, "role") == (
        "alice may not delegate head-of-unit: the policy in force does not give it to alice (who holds finance)"
    )
    for refused in (themselves, not_held, backwards, no_end, nobody, stranger, nothing, outside):
        assert refused.status_code == 400
        assert 'aria-invalid="true"' in refused.text or "revoke-problem" in refused.text
    # What was typed stays in the form.
    assert f'value="{later}"' in backwards.text
    assert stored_count(demo_db) == count


def test_a_form_without_the_sessions_token_or_signed_out_changes_nothing(four_eyes: TestClient, demo_db: str) -> None:
    web = four_eyes
    console.sign_in(web, "bob")
    count = stored_count(demo_db)

    forged = web.post("/delegations", data={"delegate": "carol", "role": "head-of-unit", "ends_on": UNTIL.isoformat()})
    web.post("/logout", data={"csrf": console.token(web.get("/delegations").text)})
    signed_out = web.get("/delegations", follow_redirects=False)

    assert forged.status_code == 403
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/login?next=/delegations")
    assert stored_count(demo_db) == count


@pytest.mark.hostile
def test_hostile_delegation_fields_are_refused_beside_them_and_store_nothing(
    four_eyes: TestClient, demo_db: str
) -> None:
    web = four_eyes
    console.sign_in(web, "bob")
    count = stored_count(demo_db)
    later = UNTIL.isoformat()

    markup = grant(web, delegate="<script>alert(1)</script>", role="head-of-unit", ends_on=later)
    nul = grant(web, delegate="car\x00ol", role="head-of-unit", ends_on=later)
    huge = grant(web, delegate="c" * 200_000, role="head-of-unit", ends_on=later)
    huge_role = grant(web, delegate="carol", role="r" * 200_000, ends_on=later)
    broken_day = grant(web, delegate="carol", role="head-of-unit", ends_on=f"{later}\n{later}")
    broken_start = grant(web, delegate="carol", role="head-of-unit", starts_on="2027-03\n-01", ends_on=later)
    huge_reason = revoke(web, delegate="carol", role="head-of-unit", reason="x" * 200_000)
    nul_revoke = revoke(web, delegate="car\x00ol", role="head-of-unit")

    assert beside(markup.text, "delegate") == (
        "'<script>alert(1)</script>' is not one of the console's users: choose one; nothing was stored"
    )
    assert "<script>alert(1)" not in markup.text
    assert beside(nul.text, "delegate") == ("the delegate holds a control character: 'car\\x00ol'; nothing was stored")
    assert beside(huge.text, "delegate") == (
        "the delegate holds at most 200 characters; this one holds 200,000; nothing was stored"
    )
    assert beside(huge_role.text, "role") == (
        "the role holds at most 200 characters; this one holds 200,000; nothing was stored"
    )
    assert beside(broken_day.text, "ends_on").startswith("the last day must be a day written YYYY-MM-DD")
    assert beside(broken_start.text, "starts_on").startswith("the first day must be a day written YYYY-MM-DD")
    assert beside(huge_reason.text, "revoke") == (
        "the reason has 200,000 characters: at most 2,000 are taken; nothing was stored"
    )
    assert beside(nul_revoke.text, "revoke").startswith("the delegate holds a control character")
    for refused in (markup, nul, huge, huge_role, broken_day, broken_start, huge_reason, nul_revoke):
        assert refused.status_code == 400
        assert "c" * 201 not in refused.text and "x" * 2001 not in refused.text
    assert stored_count(demo_db) == count


@pytest.mark.hostile
def test_hostile_rejection_reasons_in_the_console_are_refused_or_kept_as_inert_text(
    four_eyes: TestClient, demo_db: str
) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    console.sign_in(web, "bob")
    position = waiting_position(web)
    count = stored_count(demo_db)

    nul = decide(web, position, "reject", "not\x00signed")
    huge = decide(web, position, "reject", "x" * 200_000)
    refused_count = stored_count(demo_db)
    markup = decide(web, position, "reject", '<img src=x onerror="alert(1)"> not signed')

    assert nul.status_code == 400  # type: ignore[attr-defined]
    assert said_on(nul.text) == (  # type: ignore[attr-defined]
        "field 'reason': holds a NUL character (U+0000) at character 4, which no output can carry; nothing was stored"
    )
    assert huge.status_code == 400  # type: ignore[attr-defined]
    assert said_on(huge.text) == (  # type: ignore[attr-defined]
        "the reason has 200,000 characters: at most 2,000 are taken; nothing was stored"
    )
    assert "x" * 2001 not in huge.text  # type: ignore[attr-defined]
    assert refused_count == count
    assert markup.status_code == 303  # type: ignore[attr-defined]
    page = web.get("/approvals").text
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=" in page
    assert '<img src=x onerror="alert(1)"> not signed' in text_of(page)
