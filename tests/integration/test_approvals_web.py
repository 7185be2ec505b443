"""Four eyes on money in the console: the approvals page (awaiting me,
awaiting others, decided), its Approve and Reject buttons recorded under
the signed-in user through the application service `accord approve` uses,
refusals said in the domain's sentences, and a proposal's state on its
record's page. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests import console
from tests.helpers import accord, as_json

pytestmark = pytest.mark.integration

POLICY = """\
[roles]
finance = ["alice"]
head-of-unit = ["bob"]

[approval.FundingCommitted]
role = "head-of-unit"

[approval.FundingDisbursed]
role = "head-of-unit"
"""


@pytest.fixture
def four_eyes(demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The console on the demo, alice in finance, bob head of unit, carol
    no role; commitments and disbursements need head-of-unit's approval."""
    files[1].write_text(POLICY)
    yield from console.client(demo_db, files, monkeypatch)


def propose(web: TestClient, type_name: str, **fields: str) -> None:
    """Record a fact through its form, as the signed-in user (the policy makes it a proposal)."""
    page = web.get(f"/record/{type_name}").text
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found is not None
    form = {"csrf": console.token(page), "key": found[1], "action": "record", **fields}
    posted = web.post(f"/record/{type_name}", data=form, follow_redirects=False)
    assert posted.status_code == 303, said_on(posted.text)


def commit(web: TestClient, amount: str = "EUR 7000") -> None:
    propose(
        web,
        "FundingCommitted",
        partner="TN",
        funding="tn-console",
        instrument="NDICI",
        occurred_on="2021-06",
        amount=amount,
    )


def said_on(page: str) -> str:
    """The page's error or banner, as people read it."""
    found = re.search(r'class="(?:error|banner)"[^>]*>([^<]+)<', page)
    return unescape(found[1]) if found else ""


def text_of(page: str) -> str:
    """The page's main text, tags out, spaces folded."""
    main = page[page.index("<main>") :]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def section(page: str, title: str) -> str:
    """The text under one of the page's headings, up to the next."""
    text = text_of(page)
    start = text.index(title)
    following = [text.index(t, start + 1) for t in ("Awaiting others", "Decided (") if t in text[start + 1 :]]
    return text[start : min(following, default=len(text))]


def decide(web: TestClient, position: int, verb: str, reason: str | None = None) -> object:
    page = web.get("/approvals").text
    form = {"csrf": console.token(page)} | ({"reason": reason} if reason is not None else {})
    return web.post(f"/approvals/{position}/{verb}", data=form, follow_redirects=False)


def waiting_position(web: TestClient) -> int:
    """The position of the first proposal the signed-in user may approve."""
    found = re.search(r'action="/approvals/(\d+)/approve"', web.get("/approvals").text)
    assert found is not None
    return int(found[1])


def committed(db: str) -> str | None:
    return as_json(accord(db, "report", "funding", "--json"))["figures"].get("committed EUR")


def test_the_queue_shows_each_user_what_awaits_them_with_the_funding_line_before_and_after(
    four_eyes: TestClient,
) -> None:
    web = four_eyes
    assert console.sign_in(web, "alice") == 303
    commit(web)

    mine = web.get("/approvals")
    assert mine.status_code == 200
    assert "Nothing awaits alice's approval" in section(mine.text, "Awaiting my approval (0)")
    others = section(mine.text, "Awaiting others (1)")
    assert "TN: commitment of EUR 7,000" in others or "EUR 7,000" in others
    assert re.search(r"alice proposed this FundingCommitted on TN \(key form:[^)]+\) and may not approve it", others)
    assert 'action="/approvals/' not in mine.text  # nothing alice may decide: no buttons
    assert "No proposal has been approved or rejected yet." in text_of(mine.text)

    assert console.sign_in(web, "bob") == 303
    waiting = section(web.get("/approvals").text, "Awaiting my approval (1)")
    assert "Proposed by alice on " in waiting
    assert "Waits for head-of-unit: 0 of 1 approval." in waiting
    assert "Now not committed yet" in waiting
    assert "Once approved EUR 7,000 EUR 0 EUR 7,000" in waiting
    assert "No proposal awaits anyone else's approval." in text_of(web.get("/approvals").text)

    assert console.sign_in(web, "carol") == 303
    page = web.get("/approvals").text
    assert "Nothing awaits carol's approval" in text_of(page)
    assert "carol may not approve this FundingCommitted" in section(page, "Awaiting others (1)")


def test_bob_approves_alices_commitment_once_and_it_counts_the_second_press_said_plainly(
    four_eyes: TestClient, demo_db: str
) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    before = committed(demo_db)
    console.sign_in(web, "bob")
    position = waiting_position(web)

    approved = decide(web, position, "approve")

    assert approved.status_code == 303 and approved.headers["location"] == "/approvals"  # type: ignore[attr-defined]
    page = web.get("/approvals").text
    assert said_on(page).startswith("Approved and recorded as a fact: ")
    assert before is None and committed(demo_db) == "7000"
    decided = section(page, "Decided (1)")
    assert "Approved by bob on " in decided
    again = decide(web, position, "approve")
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert re.search(
        r"this FundingCommitted on TN \(key form:[^)]+\) is already approved: nothing changed", said_on(again.text)
    )  # type: ignore[attr-defined]
    assert committed(demo_db) == "7000"

    # The proposal's page says where it stands; the fact's page, who approved it.
    proposal_page = text_of(web.get(f"/audit/{position}").text)
    assert "proposed by alice on " in proposal_page and "Approved by bob on " in proposal_page
    assert "Recorded as a fact when approved." in proposal_page
    [fact] = re.findall(r'href="(/audit/\d+)"', web.get("/audit?type=FundingCommitted").text)
    fact_page = web.get(fact).text
    assert re.search(r"Approved by bob on \d+ \w+ \d{4}, proposed by alice on \d+ \w+ \d{4}\.", text_of(fact_page))
    assert 'href="/approvals"' in fact_page


def test_a_disbursement_proposed_on_a_line_shows_the_line_as_it_is_and_as_it_would_be(four_eyes: TestClient) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    console.sign_in(web, "bob")
    decide(web, waiting_position(web), "approve")
    console.sign_in(web, "alice")

    propose(web, "FundingDisbursed", partner="TN", funding="tn-console", occurred_on="2021-07", amount="EUR 2500")

    console.sign_in(web, "bob")
    waiting = section(web.get("/approvals").text, "Awaiting my approval (1)")
    assert "Now EUR 7,000 EUR 0 EUR 7,000" in waiting
    assert "Once approved EUR 7,000 EUR 2,500 EUR 4,500" in waiting


def test_a_rejection_needs_a_reason_and_then_stays_in_the_log_never_counting(
    four_eyes: TestClient, demo_db: str
) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    console.sign_in(web, "bob")
    position = waiting_position(web)

    without = decide(web, position, "reject")
    blank = decide(web, position, "reject", "   ")

    for refused in (without, blank):
        assert refused.status_code == 400  # type: ignore[attr-defined]
        assert said_on(refused.text).startswith("say why you reject it")  # type: ignore[attr-defined]
    assert waiting_position(web) == position  # still awaiting bob

    rejected = decide(web, position, "reject", "the decision is not signed")

    assert rejected.status_code == 303  # type: ignore[attr-defined]
    page = web.get("/approvals").text
    assert said_on(page).startswith("Rejected: ") and "never counts" in said_on(page)
    assert "Rejected by bob on " in section(page, "Decided (1)")
    assert "the decision is not signed" in section(page, "Decided (1)")
    assert committed(demo_db) is None
    proposal_page = text_of(web.get(f"/audit/{position}").text)
    assert "the decision is not signed" in proposal_page and "never counts" in proposal_page


def test_alice_may_not_approve_her_own_proposal_and_the_page_says_so(four_eyes: TestClient, demo_db: str) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    found = re.search(r'href="/audit/(\d+)"', web.get("/approvals").text)
    assert found is not None

    refused = decide(web, int(found[1]), "approve")

    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert re.fullmatch(
        r"alice proposed this FundingCommitted on TN \(key form:[^)]+\) and may not approve it",
        said_on(refused.text),  # type: ignore[attr-defined]
    )
    assert committed(demo_db) is None
    proposal_page = text_of(web.get(f"/audit/{found[1]}").text)
    assert "Awaiting approval: 0 of 1 so far; it counts nowhere until approved." in proposal_page


def test_someone_signed_out_is_sent_to_sign_in_and_changes_nothing(four_eyes: TestClient, demo_db: str) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    found = re.search(r'href="/audit/(\d+)"', web.get("/approvals").text)
    assert found is not None
    form = {"csrf": console.token(web.get("/approvals").text)}
    web.post("/logout", data=form)

    page = web.get("/approvals", follow_redirects=False)
    posted = web.post(f"/approvals/{found[1]}/approve", data=form, follow_redirects=False)

    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/approvals")
    assert (posted.status_code, posted.headers["location"]) == (303, "/login?next=/approvals")
    assert committed(demo_db) is None


def test_without_an_approval_section_the_page_says_nothing_needs_approval(web: TestClient) -> None:
    console.sign_in(web, "alice")

    page = text_of(web.get("/approvals").text)

    assert "The policy in force names no fact that needs approval" in page
    assert "Nothing awaits alice's approval" in page and "No proposal awaits anyone else's approval." in page


def test_a_proposed_correction_or_retraction_of_an_amount_shows_the_line_as_it_is_and_as_it_would_be(
    four_eyes: TestClient, demo_db: str, files: tuple[Path, Path]
) -> None:
    policy = str(files[1])
    files[1].write_text(
        POLICY + '\n[approval.FactCorrected]\nrole = "head-of-unit"\nof = ["FundingCommitted", "FundingDisbursed"]\n'
        '\n[approval.FactRetracted]\nrole = "head-of-unit"\nof = ["FundingDisbursed"]\n'
    )
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web)
    console.sign_in(web, "bob")
    decide(web, waiting_position(web), "approve")
    console.sign_in(web, "alice")
    propose(web, "FundingDisbursed", partner="TN", funding="tn-console", occurred_on="2021-07", amount="EUR 2500")
    console.sign_in(web, "bob")
    decide(web, waiting_position(web), "approve")
    decided = as_json(accord(demo_db, "--policy", policy, "approvals", "--json"))["decided"]
    keys = {p["type"]: p["key"] for p in decided}

    def amend(*args: str) -> None:
        reason = ["--partner", "TN", "--reason", "the decision says so"]
        done = accord(demo_db, "--policy", policy, *args, *reason, actor="alice")
        assert "as a proposal awaiting approval by head-of-unit" in done.stdout, done.output

    amend("correct", keys["FundingCommitted"], "--set", "amount=EUR 9000")
    amend("retract", keys["FundingDisbursed"])

    waiting = section(web.get("/approvals").text, "Awaiting my approval (2)")
    # The correction raises the commitment; the retraction takes the disbursement away.
    assert "Now EUR 7,000 EUR 2,500 EUR 4,500 Once approved EUR 9,000 EUR 2,500 EUR 6,500" in waiting
    assert "Now EUR 7,000 EUR 2,500 EUR 4,500 Once approved EUR 7,000 EUR 0 EUR 7,000" in waiting


def test_a_proposed_commitment_shows_on_no_page_of_the_portfolio_until_approved(four_eyes: TestClient) -> None:
    web = four_eyes
    console.sign_in(web, "alice")
    commit(web, "EUR 7777")
    web.get("/record")  # the banner saying it was proposed, read once
    pages = ("/", "/partners/TN", "/funding")

    for address in pages:
        page = web.get(address)
        assert page.status_code == 200
        assert "tn-console" not in page.text and "7,777" not in text_of(page.text), address

    console.sign_in(web, "bob")
    assert decide(web, waiting_position(web), "approve").status_code == 303  # type: ignore[attr-defined]

    shown = {address: text_of(web.get(address).text) for address in pages}
    for address, text in shown.items():
        assert "tn-console" in text and "7,777" in text, address
