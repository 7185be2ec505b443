"""The policy in the log: the first act a person makes under a policy the
log did not adopt last records a PolicyAdopted with it, and `accord audit
verify` judges each act under the last adopted before it, whatever file
the auditor names. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.partnership import Partnership
from domain.policies import PolicyRecord
from domain.values import Stamp
from tests.forgery import forged, version_of
from tests.helpers import accord, as_json, open_partners, stored_count
from tests.integration.test_approvals import ONE_APPROVAL, ROLES, policy_file, run, submit
from tests.integration.test_approvals import commitment as on_tn_line
from workflows.application.compose import build
from workflows.config.policy import load_policy
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

# The same people, and nothing needs approval.
NO_APPROVAL = ROLES
# Only finance may commit funds; nothing needs approval.
FINANCE_ONLY = ROLES + '\n[permit]\nFundingCommitted = ["finance"]\n'


def commitment(key: str) -> dict[str, str]:
    """A commitment of its own funding line (one line is committed once)."""
    return {**on_tn_line(key), "funding": f"{key}-line"}


def logged(db: str) -> list[dict[str, Any]]:
    return list(as_json(accord(db, "audit", "log", "--json")))


def adoptions(db: str) -> list[dict[str, Any]]:
    return [row for row in logged(db) if row["type"] == "PolicyAdopted"]


def illegal(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 3, result.output
    return list(json.loads(result.stdout)["domain"]["illegal"])


def recorded_around_approval(db: str, policy: str, key: str = "tn-9") -> int:
    """A FundingCommitted recorded by alice's own writer, which goes around
    the approval path (as a user holding a key could): through the
    application's store, signed and chained, but never proposed. Its position."""
    app = build(Settings(db=db, policy=policy))
    try:
        facts = {k: v for k, v in commitment(key).items() if k not in ("type", "id")}
        facts.update(amount={"amount": "1000", "currency": "EUR"}, occurred_on="2021-06")
        event = forged(
            Partnership,
            Partnership.FundingCommitted,
            "TN",
            facts,
            version=version_of(db, Partnership.id_for("TN")) + 1,
            actor="alice",
            key=key,
        )
        app.store_decided(lambda attempt: (None, [event]))
    finally:
        app.close()
    return int(logged(db)[-1]["position"])


def test_the_policy_is_adopted_once_with_the_first_act_under_it_and_again_once_changed(db: str, tmp_path: Path) -> None:
    one, none = policy_file(tmp_path, ONE_APPROVAL, "one.toml"), policy_file(tmp_path, NO_APPROVAL, "none.toml")
    open_partners(db, "TN")
    assert adoptions(db) == []

    submit(db, one, "alice", commitment("tn-1"))
    submit(db, one, "alice", commitment("tn-2"))
    assert run(db, one, "dana", "approve", "tn-1").exit_code == 0
    submit(db, none, "bob", commitment("tn-3"))

    first, second = adoptions(db)
    rows = logged(db)
    proposed = next(row for row in rows if row["type"] == "FactProposed")
    assert (first["actor"], first["position"] + 1) == ("alice", proposed["position"])
    assert second["actor"] == "bob"
    assert rows[rows.index(second) + 1]["type"] == "FundingCommitted"
    assert first["summary"].startswith("Policy 1 adopted (digest ")
    assert first["summary"].endswith(
        "2 roles, 0 restricted types; FundingCommitted needs 1 approval of head-of-unit; "
        "FundingDisbursed needs 1 approval of head-of-unit"
    )
    history = as_json(accord(db, "policy", "history", "--json"))
    assert [(h["number"], h["by"]) for h in history] == [(1, "alice"), (2, "bob")]
    assert history[0]["digest"] == load_policy(one).digest  # type: ignore[union-attr]
    assert history[1]["changes"] == [
        "FundingCommitted no longer needs approval",
        "FundingDisbursed no longer needs approval",
    ]
    shown = accord(db, "policy", "history")
    assert shown.exit_code == 0 and "FundingCommitted no longer needs approval" in shown.output
    assert accord(db, "audit", "verify").exit_code == 0


def test_a_dry_run_adopts_nothing_and_no_policy_adopts_nothing(db: str, tmp_path: Path) -> None:
    one = policy_file(tmp_path, ONE_APPROVAL)
    open_partners(db, "TN")
    before = stored_count(db)
    app = build(Settings(db=db, policy=one))
    try:
        tried = app.submit([_parsed(commitment("tn-1"))], actor="alice", dry_run=True)
        assert [submission.key for submission, _ in tried.proposed] == ["tn-1"]
        assert stored_count(db) == before
        app.submit([_parsed(commitment("tn-1"))], actor="alice")
    finally:
        app.close()

    assert len(adoptions(db)) == 1


def test_verify_accepts_a_direct_commitment_once_the_policy_in_force_needs_no_approval(db: str, tmp_path: Path) -> None:
    one, none = policy_file(tmp_path, ONE_APPROVAL, "one.toml"), policy_file(tmp_path, NO_APPROVAL, "none.toml")
    open_partners(db, "TN")
    submit(db, one, "alice", commitment("tn-1"))
    assert run(db, one, "dana", "approve", "tn-1").exit_code == 0

    direct = submit(db, none, "alice", commitment("tn-2"))

    assert direct.exit_code == 0 and "as a proposal" not in direct.output
    verified = accord(db, "--policy", one, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_verify_names_a_commitment_recorded_around_the_approval_the_policy_in_force_needed(
    db: str, tmp_path: Path
) -> None:
    one, none = policy_file(tmp_path, ONE_APPROVAL, "one.toml"), policy_file(tmp_path, NO_APPROVAL, "none.toml")
    open_partners(db, "TN")
    submit(db, one, "alice", commitment("tn-1"))
    assert run(db, one, "dana", "approve", "tn-1").exit_code == 0
    adopted = adoptions(db)[0]["position"]

    position = recorded_around_approval(db, one)

    found = illegal(accord(db, "--policy", none, "audit", "verify", "--json"))
    assert found == [
        {
            "position": position,
            "problem": f"FundingCommitted on partnership TN by alice: the policy in force then (adopted at position "
            f"{adopted}) records a FundingCommitted only once head-of-unit approves it, and no approval of its "
            "proposal was recorded with it",
        }
    ]


def test_an_approval_by_a_holder_of_the_role_then_is_judged_under_the_policy_of_then(db: str, tmp_path: Path) -> None:
    then = policy_file(tmp_path, ONE_APPROVAL.replace('["dana", "erik"]', '["bob"]'), "then.toml")
    now = policy_file(tmp_path, ONE_APPROVAL, "now.toml")
    open_partners(db, "TN")
    submit(db, then, "alice", commitment("tn-1"))
    submit(db, then, "alice", commitment("tn-2"))
    assert run(db, then, "bob", "approve", "tn-1").exit_code == 0

    refused = run(db, now, "bob", "approve", "tn-2")
    assert refused.exit_code != 0
    assert run(db, now, "dana", "approve", "tn-2").exit_code == 0

    assert [row["changes"] for row in as_json(accord(db, "policy", "history", "--json"))][1] == [
        "head-of-unit: dana, erik added",
        "head-of-unit: bob removed",
    ]
    for settings in (then, now):
        verified = accord(db, "--policy", settings, "audit", "verify")
        assert verified.exit_code == 0, verified.output


def test_a_store_recorded_before_the_log_kept_its_policy_is_judged_under_the_settings_as_before(
    db: str, tmp_path: Path
) -> None:
    open_partners(db, "TN")
    direct = accord(db, "submit", "--file", "-", input=json.dumps(commitment("tn-1")), actor="carol")
    assert direct.exit_code == 0, direct.output
    assert adoptions(db) == []
    position = logged(db)[-1]["position"]

    approvals = accord(db, "--policy", policy_file(tmp_path, ONE_APPROVAL, "one.toml"), "audit", "verify")
    finance = accord(db, "--policy", policy_file(tmp_path, FINANCE_ONLY, "finance.toml"), "audit", "verify", "--json")

    assert approvals.exit_code == 0, approvals.output
    [finding] = illegal(finance)
    assert finding["position"] == position
    assert finding["problem"].startswith("carol may not record FundingCommitted: the policy (")


def test_two_writers_adopting_the_same_policy_at_once_adopt_it_once(db: str, tmp_path: Path) -> None:
    one = policy_file(tmp_path, ONE_APPROVAL)
    open_partners(db, "TN")
    apps = [build(Settings(db=db, policy=one)) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(
                pool.map(
                    lambda pair: pair[1].submit([_parsed(commitment(f"tn-{pair[0]}"))], actor="alice"),
                    enumerate(apps),
                )
            )
    finally:
        for app in apps:
            app.close()

    assert len(adoptions(db)) == 1
    assert accord(db, "audit", "verify").exit_code == 0


def test_a_writer_whose_policy_another_replaced_meanwhile_adopts_its_own_again(db: str, tmp_path: Path) -> None:
    one, none = policy_file(tmp_path, ONE_APPROVAL, "one.toml"), policy_file(tmp_path, NO_APPROVAL, "none.toml")
    open_partners(db, "TN")
    first, second = build(Settings(db=db, policy=one)), build(Settings(db=db, policy=none))
    try:
        first.submit([_parsed(commitment("tn-1"))], actor="alice")
        second.submit([_parsed(commitment("tn-2"))], actor="bob")
        first.submit([_parsed(commitment("tn-3"))], actor="alice")
    finally:
        first.close()
        second.close()

    assert [(row["actor"], row["key"]) for row in adoptions(db)] == [
        ("alice", "policy/1"),
        ("bob", "policy/2"),
        ("alice", "policy/3"),
    ]
    assert accord(db, "audit", "verify").exit_code == 0


def _parsed(row: dict[str, str]) -> Any:
    from domain.vocabulary import parse

    return parse({"occurred_on": "2021-07", **row})


@pytest.mark.hostile
def test_a_policy_beyond_what_the_log_holds_is_refused_in_a_sentence_and_nothing_is_stored(
    db: str, tmp_path: Path
) -> None:
    many = "\n".join(f'role-{n} = ["alice"]' for n in range(60))
    huge = policy_file(tmp_path, f'[roles]\n{many}\nfinance = ["alice"]\n', "huge.toml")
    crowd = ", ".join(f'"person-{n}"' for n in range(250))
    crowded = policy_file(tmp_path, f"[roles]\nfinance = [{crowd}]\n", "crowded.toml")
    odd = policy_file(tmp_path, '[roles]\n"fin\\u0007ance" = ["alice"]\n', "odd.toml")
    open_partners(db, "TN")
    before = stored_count(db)

    refusals = [
        accord(db, "--policy", path, "submit", "--file", "-", input=json.dumps(commitment("tn-1")))
        for path in (huge, crowded, odd)
    ]

    assert [result.exit_code for result in refusals] == [2, 2, 2], [r.output for r in refusals]
    assert (
        "cannot be recorded in the log" in refusals[0].output and "at most 50 roles; this has 61" in refusals[0].output
    )
    assert "at most 200 people in one role; this has 250" in refusals[1].output
    assert "a control character (U+0007)" in refusals[2].output
    assert stored_count(db) == before


@pytest.mark.hostile
def test_verify_names_an_adoption_whose_digest_is_not_its_policys(db: str, tmp_path: Path) -> None:
    open_partners(db, "TN")
    app = build(Settings(db=db))
    try:
        stamp_facts = {"number": 1, "digest": "0" * 64, "roles": {"finance": ["mallory"]}, "permit": {}, "approval": {}}
        event = forged(PolicyRecord, PolicyRecord.PolicyAdopted, "1", stamp_facts, version=1, actor="mallory", key="p")
        app.store_decided(lambda attempt: (None, [event]))
    finally:
        app.close()

    [finding] = illegal(accord(db, "audit", "verify", "--json"))
    assert finding["problem"].startswith("PolicyAdopted on policy adoption ")
    assert finding["problem"].endswith("by mallory: its digest 0000000000000000… is not that of the policy it holds")


# Only head-of-unit's acts may adopt another policy.
GUARDED = ONE_APPROVAL + '\n[permit]\nPolicyAdopted = ["head-of-unit"]\n'


def test_where_the_policy_in_force_says_who_adopts_another_only_they_do_and_verify_names_another(
    db: str, tmp_path: Path
) -> None:
    guarded = policy_file(tmp_path, GUARDED, "guarded.toml")
    looser = policy_file(tmp_path, GUARDED.replace('["dana", "erik"]', '["dana", "erik", "alice"]'), "looser.toml")
    open_partners(db, "TN")

    first = submit(db, guarded, "alice", commitment("tn-1"))
    assert first.exit_code == 2
    assert "alice may not record PolicyAdopted: the policy (" in first.output
    assert "so this act would adopt it" in first.output and "`accord policy adopt`" in first.output
    assert run(db, guarded, "dana", "policy", "adopt").exit_code == 0
    assert "nothing recorded" in run(db, guarded, "dana", "policy", "adopt").output
    assert submit(db, guarded, "alice", commitment("tn-1")).exit_code == 0
    assert submit(db, looser, "alice", commitment("tn-2")).exit_code == 2
    assert accord(db, "audit", "verify").exit_code == 0

    app = build(Settings(db=db))
    try:
        policy = load_policy(looser)
        assert policy is not None
        stamp = Stamp("alice", datetime.now(UTC), "policy/2")
        forged_adoption = PolicyRecord.adopt(2, policy.digest, policy.parts(), stamp)
        app.store_decided(lambda attempt: (None, list(forged_adoption.collect_events())))
    finally:
        app.close()

    [finding] = illegal(accord(db, "audit", "verify", "--json"))
    assert finding["position"] == logged(db)[-1]["position"]
    assert finding["problem"].startswith("alice may not record PolicyAdopted: the policy (adopted at position ")
    assert finding["problem"].endswith(") permits it to head-of-unit only")
