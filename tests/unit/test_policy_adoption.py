"""Which acts adopt the policy they are made under (workflows.application.adoption):
a person's, never what Accord or its scheduler records itself, whose key may
not sign an adoption; and what an adoption changed, as `accord policy history`
says it. No store needed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.approval import Delegation
from domain.policies import PolicyRecord
from domain.task import SYSTEM, FollowUpTask
from domain.values import Stamp
from workflows.application.adoption import adoptions, by_a_person

AT = datetime(2026, 12, 7, 12, tzinfo=UTC)


def task(actor: str) -> FollowUpTask:
    facts = {
        "source": "visit:tn",
        "source_type": "VisitHeld",
        "subject": "TN",
        "rule": "visit-report",
        "partner": "TN",
        "title": "Write the visit report",
        "owner": "desk-tn",
        "due_on": date(2021, 6, 20),
    }
    opened = FollowUpTask.open(facts, Stamp(SYSTEM, AT, "open"))
    opened.collect_events()
    return opened


def test_a_persons_act_adopts_and_accords_own_records_and_the_schedulers_do_not() -> None:
    reminded = task(SYSTEM)
    reminded.remind(date(2021, 6, 18), Stamp("scheduler", AT, "remind"))
    completed_by_alice, completed_by_accord = task(SYSTEM), task(SYSTEM)
    completed_by_alice.complete("done", Stamp("alice", AT, "done"))
    completed_by_accord.complete("moot", Stamp(SYSTEM, AT, "moot"))
    grant = Delegation.grant("bob", "finance", date(2026, 12, 7), date(2026, 12, 8), 1, Stamp("alice", AT, "d/1"))

    assert [by_a_person(event) for event in reminded.collect_events()] == [False]
    assert [by_a_person(event) for event in completed_by_alice.collect_events()] == [True]
    assert [by_a_person(event) for event in completed_by_accord.collect_events()] == [False]
    assert [by_a_person(event) for event in grant.collect_events()] == [True]


def adopted(number: int, roles: dict[str, list[str]], approval: dict[str, Any]) -> Any:
    parts = {"roles": roles, "permit": {}, "approval": approval}
    [event] = PolicyRecord.adopt(
        number, f"{number:064x}", parts, Stamp("dana", AT, f"policy/{number}")
    ).collect_events()
    return event


def test_each_adoption_says_what_it_changed_in_approvals_and_in_who_holds_which_role() -> None:
    first = adopted(1, {"head": ["dana", "erik"]}, {"FundingCommitted": {"role": "head", "approvals": 1}})
    second = adopted(2, {"head": ["dana", "bob"]}, {"FundingCommitted": {"role": "head", "approvals": 2}})
    third = adopted(3, {"head": ["dana", "bob"]}, {})

    listed = adoptions([(1, first), (5, second), (9, third)], UTC)

    assert [adoption.changes for adoption in listed] == [
        ["FundingCommitted needs 1 approval of head"],
        ["FundingCommitted now needs 2 approvals of head", "head: bob added", "head: erik removed"],
        ["FundingCommitted no longer needs approval"],
    ]
    assert listed[1].shown_at == "2026-12-07 12:00:00 UTC"
