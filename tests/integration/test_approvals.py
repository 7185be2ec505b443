"""Four eyes on money: a fact the policy's [approval] section names is
recorded as a proposal, counts nowhere until another person holding the
role (or their delegate, within the window) approves it, and never counts
once rejected. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests import console
from tests.helpers import accord, as_json, jsonl, keyed, open_partners, opened, stored_count, visit
from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.application.submission import Rejected
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

ROLES = """\
[roles]
finance = ["alice", "bob"]
head-of-unit = ["dana", "erik"]
"""

ONE_APPROVAL = (
    ROLES
    + """
[approval.FundingCommitted]
role = "head-of-unit"

[approval.FundingDisbursed]
role = "head-of-unit"
"""
)

TWO_APPROVALS = (
    ROLES
    + """
[approval.FundingCommitted]
role = "head-of-unit"
approvals = 2
"""
)


def business_today() -> date:
    """Today as Accord judges an act: in its business zone (Europe/Brussels
    by default), not the machine's (they differ an hour or two a night)."""
    return datetime.now(ZoneInfo("Europe/Brussels")).date()


def policy_file(tmp_path: Path, text: str, name: str = "policy.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def policy(tmp_path: Path) -> str:
    return policy_file(tmp_path, ONE_APPROVAL)


def commitment(key: str = "tn-1", amount: str = "EUR 1000") -> dict[str, str]:
    return {
        "type": "FundingCommitted",
        "id": key,
        "partner": "TN",
        "funding": "tn-line",
        "instrument": "NDICI",
        "amount": amount,
        "occurred_on": "2021-06",
    }


def disbursement(key: str, amount: str) -> dict[str, str]:
    return {"type": "FundingDisbursed", "id": key, "partner": "TN", "funding": "tn-line", "amount": amount}


def submit(db: str, policy: str, actor: str, *rows: dict[str, str]) -> Any:
    dated = [{"occurred_on": "2021-07", **row} for row in rows]
    return accord(db, "--policy", policy, "submit", "--file", "-", input=jsonl(dated), actor=actor)


def run(db: str, policy: str, actor: str, *args: str) -> Any:
    return accord(db, "--policy", policy, *args, actor=actor)


def committed(db: str) -> str | None:
    """The funding report's EUR committed (None: no line counts)."""
    figures = as_json(accord(db, "report", "funding", "--json"))["figures"]
    return figures.get("committed EUR")


def disbursed(db: str) -> str | None:
    return as_json(accord(db, "report", "funding", "--json"))["figures"].get("disbursed EUR")


def follow_ups(db: str) -> list[str]:
    return [task["title"] for task in as_json(accord(db, "tasks", "--json")) if "disbursement" in task["title"]]


def tn_events(db: str) -> int:
    [tn] = as_json(accord(db, "partners", "--json"))
    return int(tn["events"])


def approvals(db: str, policy: str, actor: str) -> dict[str, list[dict[str, Any]]]:
    result = run(db, policy, actor, "approvals", "--json")
    assert result.exit_code == 0, result.output
    shown: dict[str, list[dict[str, Any]]] = as_json(result)
    return shown


def iati_activities(db: str, tmp_path: Path) -> int | str:
    """How many IATI activities an export writes, or why it writes none."""
    result = accord(db, "export", "iati", "-o", str(tmp_path / "funding.xml"), "--json")
    return int(json.loads(result.stdout)["activities"]) if result.exit_code == 0 else result.stderr.strip()


def test_a_proposal_counts_nowhere_until_another_head_of_unit_approves_it(db: str, policy: str, tmp_path: Path) -> None:
    open_partners(db, "TN")
    events_before = tn_events(db)

    proposed = submit(db, policy, "alice", commitment())

    assert proposed.exit_code == 0, proposed.output
    assert proposed.stdout == (
        "recorded FundingCommitted on TN (key tn-1) as a proposal awaiting approval by head-of-unit: "
        "it counts nowhere until approved (`accord approvals`)\n"
    )
    assert (committed(db), follow_ups(db), tn_events(db)) == (None, [], events_before)
    assert iati_activities(db, tmp_path) == (
        "accord: nothing to export: no funding or envelope is recorded (IATI needs one activity)"
    )
    [waiting] = approvals(db, policy, "dana")["awaiting_me"]
    assert (waiting["key"], waiting["proposer"], waiting["status"]) == ("tn-1", "alice", "proposed")
    assert approvals(db, policy, "alice")["awaiting_others"][0]["key"] == "tn-1"

    approved = run(db, policy, "dana", "approve", "tn-1")

    assert approved.exit_code == 0, approved.output
    assert approved.stdout == "approved this FundingCommitted on TN (key tn-1): recorded as a fact\n"
    assert committed(db) == "1000"
    assert len(follow_ups(db)) == 1
    assert tn_events(db) == events_before + 1
    assert iati_activities(db, tmp_path) == 1
    [decided] = approvals(db, policy, "dana")["decided"]
    assert decided["approved_by"] == [{"by": "dana", "for": None}]


def test_the_same_key_proposes_once_and_once_approved_is_already_recorded(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    count = stored_count(db)

    again = submit(db, policy, "alice", commitment())

    assert again.stdout == "already recorded: FundingCommitted on TN (key tn-1)\n"
    assert stored_count(db) == count
    assert run(db, policy, "dana", "approve", "tn-1").exit_code == 0
    after = submit(db, policy, "alice", commitment())
    assert after.stdout == "already recorded: FundingCommitted on TN (key tn-1)\n"


def test_the_proposer_may_not_approve_their_own_proposal(db: str, tmp_path: Path) -> None:
    # dana holds the role, so only the separation of duties refuses her.
    policy = policy_file(tmp_path, ONE_APPROVAL)
    open_partners(db, "TN")
    submit(db, policy, "dana", commitment())
    count = stored_count(db)

    refused = run(db, policy, "dana", "approve", "tn-1")

    assert refused.exit_code == 2
    assert refused.stderr == "accord: dana proposed this FundingCommitted on TN (key tn-1) and may not approve it\n"
    assert stored_count(db) == count
    assert committed(db) is None


def test_the_proposers_delegate_may_not_approve_it(db: str, policy: str) -> None:
    open_partners(db, "TN")
    today = business_today()
    granted = run(
        db, policy, "dana", "delegate", "--to", "bob", "--role", "head-of-unit",
        "--from", str(today - timedelta(days=1)), "--until", str(today + timedelta(days=30)),
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    submit(db, policy, "dana", commitment())

    refused = run(db, policy, "bob", "approve", "tn-1")

    assert refused.exit_code == 2
    assert refused.stderr.startswith("accord: bob acts for dana (head-of-unit, from ")
    assert refused.stderr.endswith("who proposed this FundingCommitted on TN (key tn-1): bob may not approve it\n")
    assert committed(db) is None


def test_a_delegate_approves_for_the_holder_within_the_window_and_not_after(db: str, policy: str) -> None:
    open_partners(db, "TN")
    today = business_today()
    past = run(
        db, policy, "erik", "delegate", "--to", "bob", "--role", "head-of-unit",
        "--from", "2026-03-01", "--until", "2026-03-14",
    )  # fmt: skip
    assert past.exit_code == 0, past.output
    assert past.stdout == "bob may act for erik as head-of-unit from 1 to 14 March 2026\n"
    submit(db, policy, "alice", commitment())

    late = run(db, policy, "bob", "approve", "tn-1")

    assert late.exit_code == 2
    assert late.stderr == (
        f"accord: bob acts for erik only from 1 to 14 March 2026; today is {today.day} {today:%B %Y}\n"
    )
    current = run(
        db, policy, "erik", "delegate", "--to", "bob", "--role", "head-of-unit",
        "--until", str(today + timedelta(days=10)),
    )  # fmt: skip
    assert current.exit_code == 0, current.output
    approved = run(db, policy, "bob", "approve", "tn-1")
    assert approved.exit_code == 0, approved.output
    [decided] = approvals(db, policy, "bob")["decided"]
    assert decided["approved_by"] == [{"by": "bob", "for": "erik"}]
    assert committed(db) == "1000"


def test_a_revoked_delegation_lets_the_delegate_act_no_more(db: str, policy: str) -> None:
    open_partners(db, "TN")
    today = business_today()
    grant = ["delegate", "--to", "bob", "--role", "head-of-unit", "--until", str(today + timedelta(days=10))]
    assert run(db, policy, "erik", *grant).exit_code == 0
    revoked = run(db, policy, "erik", "delegate", "--revoke", "--to", "bob", "--role", "head-of-unit")
    assert revoked.exit_code == 0, revoked.output
    submit(db, policy, "alice", commitment())

    refused = run(db, policy, "bob", "approve", "tn-1")

    assert refused.exit_code == 2
    assert "was revoked; bob may not approve this FundingCommitted" in refused.stderr


def test_someone_outside_the_role_may_not_approve_nor_delegate_it(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())

    refused = run(db, policy, "bob", "approve", "tn-1")
    delegated = run(db, policy, "bob", "delegate", "--to", "carol", "--role", "head-of-unit", "--until", "2030-01-01")

    assert refused.exit_code == 2
    assert refused.stderr == (
        "accord: bob may not approve this FundingCommitted on TN (key tn-1): it needs the approval of "
        "head-of-unit, which bob neither holds nor holds for anyone today\n"
    )
    assert delegated.exit_code == 2
    assert delegated.stderr == (
        "accord: bob may not delegate head-of-unit: the policy in force does not give it to bob (who holds finance)\n"
    )


def test_two_approvals_by_two_people_when_the_policy_asks_for_two(db: str, tmp_path: Path) -> None:
    policy = policy_file(tmp_path, TWO_APPROVALS)
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())

    first = run(db, policy, "dana", "approve", "tn-1")
    twice = run(db, policy, "dana", "approve", "tn-1")

    assert first.stdout == "approved this FundingCommitted on TN (key tn-1): 1 of the 2 approvals it needs\n"
    assert committed(db) is None
    assert twice.exit_code == 2
    assert twice.stderr == (
        "accord: dana already approved this FundingCommitted on TN (key tn-1): it needs 2 different people's approval\n"
    )
    second = run(db, policy, "erik", "approve", "tn-1")
    assert second.stdout == "approved this FundingCommitted on TN (key tn-1): recorded as a fact\n"
    assert committed(db) == "1000"


def test_a_rejected_proposal_stays_in_the_log_and_never_counts(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    position = approvals(db, policy, "dana")["awaiting_me"][0]["position"]

    rejected = run(db, policy, "dana", "reject", str(position), "--reason", "the decision is not signed")
    late = run(db, policy, "erik", "approve", "tn-1")

    assert rejected.stdout == (
        "rejected this FundingCommitted on TN (key tn-1): it stays in the log and never counts\n"
    )
    assert late.exit_code == 2
    assert late.stderr == "accord: this FundingCommitted on TN (key tn-1) is already rejected: nothing changed\n"
    assert (committed(db), follow_ups(db)) == (None, [])
    [decided] = approvals(db, policy, "erik")["decided"]
    assert decided["status"] == "rejected"


def test_two_disbursements_that_fit_alone_but_not_together_the_second_approval_is_refused(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    run(db, policy, "dana", "approve", "tn-1")
    proposed = submit(db, policy, "alice", disbursement("pay-1", "EUR 600"), disbursement("pay-2", "EUR 600"))
    assert proposed.exit_code == 0, proposed.output
    assert run(db, policy, "dana", "approve", "pay-1").exit_code == 0
    count = stored_count(db)

    refused = run(db, policy, "erik", "approve", "pay-2")

    assert refused.exit_code == 2
    assert refused.stderr == (
        "accord: approving this FundingDisbursed on TN (key pay-2) would break the record: disbursing EUR 600 on "
        "funding 'tn-line' would exceed its commitment of EUR 1,000 (EUR 600 disbursed, EUR 400 remain); "
        "nothing was stored\n"
    )
    assert stored_count(db) == count
    assert disbursed(db) == "600"
    assert [p["key"] for p in approvals(db, policy, "erik")["awaiting_me"]] == ["pay-2"]


def test_a_correction_of_an_amount_awaits_approval_and_one_of_a_visit_does_not(db: str, tmp_path: Path) -> None:
    policy = policy_file(
        tmp_path,
        ONE_APPROVAL + '\n[approval.FactCorrected]\nrole = "head-of-unit"\nof = ["FundingCommitted"]\n',
    )
    open_partners(db, "TN")
    assert submit(db, policy, "alice", commitment(), visit("TN", id="v-1")).exit_code == 0
    assert run(db, policy, "dana", "approve", "tn-1").exit_code == 0
    fix = ["correct", "tn-1", "--partner", "TN", "--set", "amount=EUR 900", "--reason", "the decision says 900"]

    proposed = run(db, policy, "alice", *fix)
    visit_fixed = run(
        db,
        policy,
        "alice",
        "correct",
        "v-1",
        "--partner",
        "TN",
        "--set",
        "occurred_on=2021-05-02",
        "--reason",
        "a day late",
    )

    assert proposed.exit_code == 0, proposed.output
    assert "as a proposal awaiting approval by head-of-unit" in proposed.stdout
    assert visit_fixed.stdout.startswith("recorded FactCorrected on TN")
    assert committed(db) == "1000"
    [waiting] = approvals(db, policy, "dana")["awaiting_me"]
    assert run(db, policy, "dana", "approve", str(waiting["position"])).exit_code == 0
    assert committed(db) == "900"


def test_what_approving_would_change_on_the_line_is_the_domains_decision_on_a_copy(db: str, tmp_path: Path) -> None:
    policy = policy_file(
        tmp_path,
        ONE_APPROVAL + '\n[approval.FactCorrected]\nrole = "head-of-unit"\nof = ["FundingCommitted"]\n'
        '\n[approval.FactRetracted]\nrole = "head-of-unit"\nof = ["FundingCommitted"]\n',
    )
    open_partners(db, "TN")
    other = {**commitment("tn-2", "EUR 50"), "funding": "tn-other"}
    submit(db, policy, "alice", commitment(amount="EUR 1000"), other)
    run(db, policy, "dana", "approve", "tn-1")
    run(db, policy, "dana", "approve", "tn-2")
    payments = [disbursement("pay-1", "EUR 100"), disbursement("pay-2", "EUR 800"), disbursement("pay-3", "EUR 800")]
    submit(db, policy, "alice", *payments)
    run(db, policy, "dana", "approve", "pay-3")
    run(db, policy, "alice", "correct", "tn-1", "--partner", "TN", "--set", "amount=EUR 900", "--reason", "as signed")
    run(db, policy, "bob", "retract", "tn-2", "--partner", "TN", "--reason", "never signed")
    app = build(Settings(db=db, policy=policy))
    try:
        changes = {
            listed.proposal.key: app.line_changes(listed.proposal)
            for listed in app.proposals()
            if listed.proposal.status == "proposed"
        }
    finally:
        app.close()

    [paid] = changes.pop("pay-1")
    before, after = paid.before, paid.after
    assert paid.funding == "tn-line" and before is not None and after is not None
    assert (before.disbursed, after.disbursed, after.remaining) == (800, 900, 100)
    [too_much] = changes.pop("pay-2")
    assert too_much.after is None and too_much.before is not None and too_much.before.remaining == 200
    assert too_much.why == (
        "disbursing EUR 800 on funding 'tn-line' would exceed its commitment of EUR 1,000 (EUR 800 disbursed, "
        "EUR 200 remain)"
    )
    [[fixed], [retracted]] = changes.values()
    assert fixed.before is not None and fixed.after is not None
    assert (fixed.funding, fixed.before.committed, fixed.after.committed) == ("tn-line", 1000, 900)
    assert fixed.after.remaining == 100
    assert (retracted.funding, retracted.after, retracted.why) == ("tn-other", None, "")


def test_the_audit_log_says_the_chain_of_proposal_and_approval(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    run(db, policy, "dana", "approve", "tn-1")

    rows = {row["type"]: row for row in as_json(accord(db, "audit", "log", "--json"))}

    assert rows["FactProposed"]["summary"] == (
        "Proposed, awaiting the approval of head-of-unit: Funding of EUR 1,000 committed to Tunisia under NDICI "
        "(tn-line)"
    )
    assert (rows["FactProposed"]["actor"], rows["FactProposed"]["key"]) == ("alice", "tn-1")
    assert (rows["FactApproved"]["actor"], rows["FactApproved"]["summary"]) == (
        "dana",
        "Proposal approved by dana as head-of-unit",
    )
    assert (rows["FundingCommitted"]["actor"], rows["FundingCommitted"]["key"]) == ("alice", "tn-1")


def test_the_audit_log_says_each_link_of_the_chain_who_for_whom_the_reason_and_the_window(
    db: str, tmp_path: Path
) -> None:
    policy = policy_file(tmp_path, TWO_APPROVALS)
    open_partners(db, "TN")
    today = business_today()
    until = today + timedelta(days=9)
    grant = ["delegate", "--to", "bob", "--role", "head-of-unit", "--from", str(today), "--until", str(until)]
    assert run(db, policy, "erik", *grant).exit_code == 0
    submit(db, policy, "alice", commitment(), commitment("tn-2", "EUR 5"))
    assert run(db, policy, "bob", "approve", "tn-1").exit_code == 0
    assert run(db, policy, "dana", "approve", "tn-1").exit_code == 0
    assert run(db, policy, "bob", "reject", "tn-2", "--reason", "a typing error").exit_code == 0
    revoked = run(
        db, policy, "erik", "delegate", "--revoke", "--to", "bob", "--role", "head-of-unit", "--reason", "back early"
    )
    assert revoked.exit_code == 0, revoked.output

    rows = as_json(accord(db, "audit", "log", "--json"))
    logged = [
        (row["actor"], row["summary"])
        for row in rows
        if not row["type"].startswith("Task") and row["type"] not in ("PartnershipOpened", "PolicyAdopted")
    ]

    # The policy is adopted with the first act under it: erik's grant.
    [adopted] = [row for row in rows if row["type"] == "PolicyAdopted"]
    assert adopted["actor"] == "erik"
    assert adopted["summary"].startswith("Policy 1 adopted (digest ")
    assert adopted["summary"].endswith("FundingCommitted needs 2 approvals of head-of-unit")
    assert logged == [
        ("erik", f"bob may act for erik as head-of-unit from {long(today)} to {long(until)}"),
        ("alice", "Proposed, awaiting 2 approvals of head-of-unit: Funding of EUR 1,000 committed to Tunisia under "
         "NDICI (tn-line)"),
        ("alice", "Proposed, awaiting 2 approvals of head-of-unit: Funding of EUR 5 committed to Tunisia under NDICI "
         "(tn-line)"),
        ("bob", "Proposal approved by bob, acting for erik, as head-of-unit"),
        ("dana", "Proposal approved by dana as head-of-unit"),
        ("alice", "Funding of EUR 1,000 committed to Tunisia under NDICI (tn-line)"),
        ("bob", "Proposal rejected by bob, acting for erik: a typing error"),
        ("erik", "Delegation revoked by erik, from then on: back early"),
    ]  # fmt: skip


def long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_the_first_of_two_approvals_leaves_the_approval_task_open_and_the_second_closes_it(
    db: str, tmp_path: Path
) -> None:
    policy = policy_file(tmp_path, TWO_APPROVALS)
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    title = "Approve or reject the FundingCommitted proposed on TN"

    assert run(db, policy, "dana", "approve", "tn-1").exit_code == 0
    after_one = approval_tasks(db)
    assert run(db, policy, "erik", "approve", "tn-1").exit_code == 0

    assert after_one == [(title, "head-of-unit", "open")]
    assert approval_tasks(db) == [(title, "head-of-unit", "done")]
    assert accord(db, "audit", "verify").exit_code == 0


def test_a_policy_without_an_approval_section_records_at_once_as_before(db: str, tmp_path: Path) -> None:
    policy = policy_file(tmp_path, ROLES + '\n[permit]\nFundingCommitted = ["finance"]\n')
    open_partners(db, "TN")

    recorded = submit(db, policy, "alice", commitment())

    assert recorded.stdout == "recorded FundingCommitted on TN (key tn-1)\n"
    assert committed(db) == "1000"
    assert approvals(db, policy, "dana") == {"awaiting_me": [], "awaiting_others": [], "decided": []}


def test_audit_verify_passes_on_a_store_with_proposals_approvals_rejections_and_delegations(
    db: str, policy: str
) -> None:
    open_partners(db, "TN")
    today = business_today()
    assert (
        run(db, policy, "erik", "delegate", "--to", "bob", "--role", "head-of-unit", "--until", str(today)).exit_code
        == 0
    )
    submit(db, policy, "alice", commitment())
    submit(db, policy, "alice", commitment("tn-2", "EUR 5"))
    assert run(db, policy, "bob", "approve", "tn-1").exit_code == 0
    assert run(db, policy, "dana", "reject", "tn-2", "--reason", "a typing error").exit_code == 0
    assert run(db, policy, "erik", "delegate", "--revoke", "--to", "bob", "--role", "head-of-unit").exit_code == 0

    verified = accord(db, "audit", "verify")

    assert verified.exit_code == 0, verified.output
    logged = [row["type"] for row in as_json(accord(db, "audit", "log", "--json"))]
    for kind in ("DelegationGranted", "FactProposed", "FactApproved", "FactRejected", "DelegationRevoked"):
        assert kind in logged
    assert logged.index("FactApproved") + 1 == logged.index("FundingCommitted")


def test_on_a_signed_store_approvals_are_signed_and_a_schedulers_key_may_not_sign_one(
    db: str, admin: Path, tmp_path: Path, policy: str
) -> None:
    def as_holder(key: Path, actor: str, *args: str, rows: list[dict[str, str]] | None = None) -> Any:
        return keyed(db, "--actor", actor, "--policy", policy, *args, key=key, input=jsonl(rows) if rows else None)

    person, scheduler = tmp_path / "person.key", tmp_path / "scheduler.key"
    assert keyed(db, "keys", "new", str(person), "--holder", "finance unit", key=admin).exit_code == 0
    made = keyed(db, "keys", "new", str(scheduler), "--holder", "the scheduler", "--role", "scheduler", key=admin)
    assert made.exit_code == 0, made.output
    assert as_holder(person, "alice", "submit", "--file", "-", rows=[opened("TN")]).exit_code == 0
    dated = {**commitment(), "occurred_on": "2021-07"}
    assert as_holder(person, "alice", "submit", "--file", "-", rows=[dated]).exit_code == 0
    before = stored_count(db)

    forged = as_holder(scheduler, "dana", "approve", "tn-1")

    assert forged.exit_code == 2, forged.output
    assert "is a scheduler's, which may not sign FactApproved" in forged.output
    assert stored_count(db) == before
    assert as_holder(person, "dana", "approve", "tn-1").exit_code == 0
    verified = keyed(db, "audit", "verify", "--json", key=person)
    assert verified.exit_code == 0, verified.output
    found = json.loads(verified.stdout)
    assert found["signatures"]["problems"] == [] and found["signatures"]["signed"] == found["records"]


def test_audit_verify_judges_an_approval_under_the_policy_the_log_adopted_then_not_the_one_named_now(
    db: str, tmp_path: Path
) -> None:
    """The log records the policy each act was made under (PolicyAdopted):
    bob held head-of-unit then, and the auditor's file names it otherwise
    now. A store recorded before the log kept its policy is judged under
    the settings' (tests/integration/test_policy_log.py)."""
    then = policy_file(
        tmp_path, ONE_APPROVAL.replace('head-of-unit = ["dana", "erik"]', 'head-of-unit = ["bob"]'), "then.toml"
    )
    open_partners(db, "TN")
    submit(db, then, "alice", commitment())
    assert run(db, then, "bob", "approve", "tn-1").exit_code == 0

    under_then = accord(db, "--policy", then, "audit", "verify")
    under_now = accord(db, "--policy", policy_file(tmp_path, ONE_APPROVAL, "now.toml"), "audit", "verify", "--json")

    assert under_then.exit_code == 0, under_then.output
    assert under_now.exit_code == 0, under_now.output


def test_concurrent_approvals_of_two_proposals_on_one_line_are_judged_one_at_a_time(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    run(db, policy, "dana", "approve", "tn-1")
    submit(db, policy, "alice", disbursement("pay-1", "EUR 600"), disbursement("pay-2", "EUR 600"))
    apps = [build(Settings(db=db, policy=policy)) for _ in range(2)]
    start = threading.Barrier(2)

    def approve(app: Accord, key: str, actor: str) -> str:
        start.wait()
        try:
            return app.approve(key, actor).status
        except Rejected as refused:
            return str(refused)
        finally:
            app.close()

    with ThreadPoolExecutor(2) as approvers:
        outcomes = list(approvers.map(approve, apps, ["pay-1", "pay-2"], ["dana", "erik"]))

    assert sorted(outcome == "approved" for outcome in outcomes) == [False, True]
    [refused] = [outcome for outcome in outcomes if outcome != "approved"]
    assert "would break the record: disbursing EUR 600 on funding 'tn-line' would exceed its commitment" in refused
    assert disbursed(db) == "600"


@pytest.mark.hostile
def test_hostile_references_and_reasons_are_refused_in_a_sentence_and_store_nothing(db: str, policy: str) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment())
    count = stored_count(db)

    past_any_position = run(db, policy, "dana", "approve", "9" * 30)
    long_reason = run(db, policy, "dana", "reject", "tn-1", "--reason", "x" * 100_000)
    two_lines = run(db, policy, "dana", "delegate", "--to", "bo\nb", "--role", "head-of-unit", "--until", "2030-01-01")

    assert past_any_position.stderr == (
        f"accord: no proposal is recorded under key or at position '{'9' * 30}' (`accord approvals` lists them)\n"
    )
    assert long_reason.stderr == (
        "accord: field 'reason': has 100,000 characters: at most 2,000 are taken; nothing was stored\n"
    )
    assert two_lines.stderr == (
        "accord: field 'delegate': holds a line break at character 3: it is one line; nothing was stored\n"
    )
    assert {past_any_position.exit_code, long_reason.exit_code, two_lines.exit_code} == {2}
    assert stored_count(db) == count


@pytest.fixture
def four_eyes_console(demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The console on the demo, under a policy whose commitments need head-of-unit's approval."""
    files[1].write_text(
        '[roles]\nfinance = ["alice"]\nhead-of-unit = ["bob"]\n\n[approval.FundingCommitted]\nrole = "head-of-unit"\n'
    )
    yield from console.client(demo_db, files, monkeypatch)


def test_a_commitment_recorded_in_the_console_is_proposed_and_said_so(
    four_eyes_console: TestClient, demo_db: str, files: tuple[Path, Path]
) -> None:
    web = four_eyes_console
    assert console.sign_in(web, "alice") == 303
    page = web.get("/record/FundingCommitted").text
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found is not None
    form = {"csrf": console.token(page), "key": found[1], "action": "record"}
    form |= {"partner": "TN", "funding": "tn-console", "instrument": "NDICI", "occurred_on": "2021-06"}
    before = committed(demo_db)

    posted = web.post("/record/FundingCommitted", data={**form, "amount": "EUR 7000"}, follow_redirects=False)

    assert posted.status_code == 303 and posted.headers["location"] == "/audit"
    assert "Proposed, awaiting approval by head-of-unit" in unescape(web.get("/audit").text)
    assert committed(demo_db) == before
    [waiting] = approvals(demo_db, str(files[1]), "bob")["awaiting_me"]
    assert (waiting["proposer"], waiting["submission"]["funding"]) == ("alice", "tn-console")
    [task] = [t for t in as_json(accord(demo_db, "tasks", "--json")) if t["source_type"] == "FactProposed"]
    page = web.get(f"/tasks/{task['task_id']}")
    assert page.status_code == 200
    assert "Approve or reject the FundingCommitted proposed on TN" in unescape(page.text)


def approval_tasks(db: str) -> list[tuple[str, str, str]]:
    tasks = as_json(accord(db, "tasks", "--status", "all", "--json"))
    return [(t["title"], t["owner"], t["status"]) for t in tasks if t["source_type"] == "FactProposed"]


def test_a_proposal_opens_an_approval_task_for_its_role_which_its_approval_or_rejection_closes(
    db: str, policy: str
) -> None:
    open_partners(db, "TN")
    submit(db, policy, "alice", commitment(), commitment("tn-2", "EUR 5"))
    title = "Approve or reject the FundingCommitted proposed on TN"

    assert approval_tasks(db) == [(title, "head-of-unit", "open")] * 2
    run(db, policy, "dana", "approve", "tn-1")
    run(db, policy, "erik", "reject", "tn-2", "--reason", "a typing error")

    assert approval_tasks(db) == [(title, "head-of-unit", "done")] * 2
    assert accord(db, "audit", "verify").exit_code == 0
