"""Who may record what: a policy file checked on every submission and task
change. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import accord, as_json, jsonl, open_partners, stored_count, visit

pytestmark = pytest.mark.integration

POLICY = """\
[roles]
finance = ["alice", "bob"]
cabinet = ["carol"]

[permit]
FundingCommitted = ["finance"]
FundingDisbursed = ["finance"]
TaskCancelled = ["cabinet"]
"""


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return str(path)


def funding(ref: str = "tn-1") -> dict[str, str]:
    return {
        "type": "FundingCommitted",
        "partner": "TN",
        "funding": ref,
        "instrument": "NDICI",
        "amount": "EUR 1000",
        "occurred_on": "2021-06",
    }


def submit(db: str, policy: str, actor: str, *rows: dict[str, str]) -> object:
    return accord(db, "--policy", policy, "submit", "--file", "-", input=jsonl(rows), actor=actor)


def test_an_actor_outside_the_role_is_refused_naming_the_rule_and_nothing_is_stored(db: str, policy: str) -> None:
    open_partners(db, "TN")
    before = stored_count(db)

    result = submit(db, policy, "dave", visit("TN"), funding("tn-1"), funding("tn-2"))

    assert result.exit_code == 2
    assert "dave may not record FundingCommitted: the policy" in result.stderr
    assert "permits it to finance only" in result.stderr
    assert result.stderr.count("may not record") == 2  # each refused line named
    assert "nothing was stored" in result.stderr
    assert stored_count(db) == before


def test_an_actor_in_the_role_records_and_anyone_records_what_the_policy_does_not_list(db: str, policy: str) -> None:
    open_partners(db, "TN")

    assert submit(db, policy, "alice", funding()).exit_code == 0
    assert submit(db, policy, "dave", visit("TN")).exit_code == 0


def test_task_changes_are_checked_too(db: str, policy: str) -> None:
    open_partners(db, "TN")
    [task] = as_json(accord(db, "tasks", "--json"))
    cancel = ["--policy", policy, "task", "cancel", task["task_id"], "--reason", "moot"]

    refused = accord(db, *cancel, actor="dave")
    allowed = accord(db, *cancel, actor="carol")

    assert refused.exit_code == 2
    assert "dave may not record TaskCancelled" in refused.stderr
    assert allowed.exit_code == 0, allowed.output
    assert as_json(accord(db, "task", "show", task["task_id"], "--json"))[0]["status"] == "cancelled"


def test_policy_show_says_when_there_is_no_policy_and_lists_one_when_there_is(db: str, policy: str) -> None:
    none = accord(db, "policy", "show")
    listed = as_json(accord(db, "--policy", policy, "policy", "show", "--json"))

    assert "no policy file (ACCORD_POLICY): everyone may record every event type" in none.stdout
    assert {row["type"]: row["actors"] for row in listed} == {
        "FundingCommitted": "alice, bob",
        "FundingDisbursed": "alice, bob",
        "TaskCancelled": "carol",
    }


def test_a_bad_policy_file_is_refused_with_each_problem_and_stops_every_command(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[permit]\nVisitHappened = ["finance"]\n\n[rules]\nx = 1\n')

    checked = accord(db, "policy", "check", str(bad))
    listing = accord(db, "--policy", str(bad), "tasks")

    assert checked.exit_code == 2
    assert "'VisitHappened' is not an event type people record" in checked.stderr
    assert "[rules] is not a section of a policy" in checked.stderr
    assert listing.exit_code == 2
