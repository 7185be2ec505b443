"""Proposals, approvals and delegations judged by the domain alone (no
store): who may decide a proposal at a moment, and the sentences that say
why not; and the policy's [approval] section, each problem named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from domain.approval import (
    Act,
    AlreadyApproved,
    Delegation,
    NotAnApprover,
    OutsideDelegation,
    OwnProposal,
    Proposal,
    ProposalDecided,
    standing,
    window,
)
from domain.values import Stamp
from domain.vocabulary import all_types
from workflows.config.policy import PolicyError, load_policy

NOW = datetime(2027, 3, 20, 9, tzinfo=UTC)
TODAY = NOW.date()
HOLDERS = frozenset({"dana", "erik"})
LINE = UUID("00000000-0000-0000-0000-000000000001")


def stamped(actor: str, key: str) -> Stamp:
    return Stamp(actor, NOW, key)


def proposal(approvals: int = 1, proposer: str = "alice") -> Proposal:
    made = Proposal.propose(
        "FundingCommitted", LINE, "TN", {"amount": "EUR 1"}, "head-of-unit", approvals, TODAY, stamped(proposer, "tn-1")
    )
    made.collect_events()
    return made


def grant(grantor: str, delegate: str, starts: date, ends: date) -> Delegation:
    granted = Delegation.grant(delegate, "head-of-unit", starts, ends, 1, stamped(grantor, "d"))
    granted.collect_events()
    return granted


def act(actor: str, *grants: Delegation) -> Act:
    return Act(actor, NOW, TODAY, "head-of-unit", HOLDERS, grants)


def test_a_holder_of_the_role_approves_in_their_own_right() -> None:
    assert standing(act("dana"), proposal()) is None


def test_the_proposer_may_not_approve_even_holding_the_role() -> None:
    with pytest.raises(
        OwnProposal, match=r"^dana proposed this FundingCommitted on TN \(key tn-1\) and may not approve it$"
    ):
        standing(act("dana"), proposal(proposer="dana"))


def test_a_delegate_of_the_proposer_may_not_approve() -> None:
    to_bob = grant("dana", "bob", date(2027, 3, 1), date(2027, 3, 31))

    with pytest.raises(OwnProposal, match=r"bob acts for dana .*, who proposed this FundingCommitted"):
        standing(act("bob", to_bob), proposal(proposer="dana"))


def test_a_delegate_acts_for_the_holder_within_the_window_only() -> None:
    inside = grant("erik", "bob", date(2027, 3, 15), date(2027, 3, 31))
    outside = grant("erik", "bob", date(2027, 3, 1), date(2027, 3, 14))

    assert standing(act("bob", inside), proposal()) == "erik"
    with pytest.raises(
        OutsideDelegation, match=r"^bob acts for erik only from 1 to 14 March 2027; today is 20 March 2027$"
    ):
        standing(act("bob", outside), proposal())


def test_a_delegation_revoked_before_the_act_does_not_count() -> None:
    revoked = grant("erik", "bob", date(2027, 3, 1), date(2027, 3, 31))
    revoked.revoke("back early", Stamp("erik", datetime(2027, 3, 19, tzinfo=UTC), "r"))

    with pytest.raises(OutsideDelegation, match="was revoked"):
        standing(act("bob", revoked), proposal())


def test_someone_neither_holding_nor_acting_for_the_role_may_not_approve() -> None:
    with pytest.raises(NotAnApprover, match="which bob neither holds nor holds for anyone today"):
        standing(act("bob"), proposal())


def test_a_proposal_needing_two_counts_each_person_once_and_is_then_approved() -> None:
    needs_two = proposal(approvals=2)
    needs_two.approve("head-of-unit", None, stamped("dana", "a1"))

    with pytest.raises(AlreadyApproved):
        needs_two.approve("head-of-unit", None, stamped("dana", "a2"))
    with pytest.raises(AlreadyApproved):  # bob acting for dana is dana again
        needs_two.approve("head-of-unit", "dana", stamped("bob", "a3"))
    assert needs_two.status == "proposed"
    needs_two.approve("head-of-unit", None, stamped("erik", "a4"))
    assert needs_two.status == "approved"


def test_a_decided_proposal_takes_no_further_decision() -> None:
    rejected = proposal()
    rejected.reject("not signed", None, stamped("dana", "r"))

    with pytest.raises(ProposalDecided, match="is already rejected: nothing changed"):
        rejected.approve("head-of-unit", None, stamped("erik", "a"))


def test_the_proposal_guard_refuses_the_proposer_whatever_the_caller_judged() -> None:
    with pytest.raises(OwnProposal):
        proposal().approve("head-of-unit", None, stamped("alice", "a"))


def test_the_same_submission_proposes_on_the_same_proposal() -> None:
    assert Proposal.id_of(LINE, "tn-1") == proposal().id


def test_windows_are_said_as_people_say_them() -> None:
    assert window(date(2027, 3, 1), date(2027, 3, 14)) == "from 1 to 14 March 2027"
    assert window(date(2027, 2, 28), date(2027, 3, 3)) == "from 28 February to 3 March 2027"
    assert window(date(2026, 12, 28), date(2027, 1, 3)) == "from 28 December 2026 to 3 January 2027"


def test_a_delegation_that_ends_before_it_begins_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        grant("erik", "bob", date(2027, 3, 14), date(2027, 3, 1))


def policy_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as error:
        load_policy(str(path))
    return error.value.problems


def test_an_approval_section_names_known_facts_and_defined_roles(tmp_path: Path) -> None:
    problems = policy_problems(
        tmp_path,
        '[roles]\nfinance = ["a"]\n[approval.FundingComitted]\nrole = "finance"\n'
        '[approval.FundingDisbursed]\nrole = "heads"\n'
        '[approval.VisitHeld]\nrole = "finance"\nof = ["FundingCommitted"]\n',
    )

    # One sentence, each problem named, as the policy's other checks say them.
    assert problems == [
        "; ".join(
            [
                "approval: 'FundingComitted' is not a fact people submit; known: " + ", ".join(all_types()),
                "approval.FundingDisbursed: role 'heads' is not defined under [roles]",
                "approval.VisitHeld: 'of' limits only FactCorrected and FactRetracted",
            ]
        )
    ]


def test_an_approval_needs_one_approval_at_least(tmp_path: Path) -> None:
    problems = policy_problems(
        tmp_path, '[roles]\nfinance = ["a"]\n[approval.FundingDisbursed]\nrole = "finance"\napprovals = 0\n'
    )

    assert problems == ["approval.FundingDisbursed.approvals: Input should be greater than or equal to 1"]


def test_an_amendment_needs_approval_only_of_the_facts_its_of_names(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[roles]\nhead = ["d"]\n[approval.FactCorrected]\nrole = "head"\nof = ["FundingCommitted"]\n')
    policy = load_policy(str(path))

    assert policy is not None
    assert policy.needs_approval("FactCorrected", "FundingCommitted") is not None
    assert policy.needs_approval("FactCorrected", "VisitHeld") is None
    assert policy.needs_approval("FundingCommitted") is None
