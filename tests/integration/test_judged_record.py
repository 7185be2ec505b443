"""`audit verify` judges the record, not only its bytes: it folds every
aggregate from the log and names by position each record the domain would
have refused when it was recorded, even one whose chain row and key-index
row were recomputed so that the chain verifies. Each forgery is made as an
insider would (tests.forgery): on SQLite as the file's owner, on
PostgreSQL as the writer role `accord init --writer` makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.meeting import Meeting
from domain.partnership import Partnership
from tests.conftest import POSTGRES_URL
from tests.forgery import append, append_stored, forged, version_of
from tests.helpers import accord, application, submit_rows
from tests.integration.test_append_only import as_user, store  # noqa: F401 (the PostgreSQL store fixture)

pytestmark = pytest.mark.integration

TAMPERED = 3
TN = Partnership.id_for("TN")
COMMITMENT = {
    "type": "FundingCommitted",
    "id": "commit-tn-border",
    "partner": "TN",
    "occurred_on": "2021-06",
    "funding": "tn-border-2021",
    "instrument": "NDICI-Global Europe",
    "amount": "EUR 105000000",
}


@pytest.fixture(params=["sqlite", "postgres"])
def insider(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The demo and a EUR 105,000,000 commitment to Tunisia, recorded
    through Accord; the address an insider writes the store with: the
    SQLite file, or on PostgreSQL the writer role's login (which records
    and verifies as well)."""
    if request.param == "sqlite":
        db = str(tmp_path / "accord.db")
        assert accord(db, "init").exit_code == 0
    else:
        if not POSTGRES_URL:
            pytest.skip("ACCORD_TEST_POSTGRES_URL is not set")
        owner, writer = request.getfixturevalue("store")
        assert accord(owner, "init", "--writer", writer).exit_code == 0
        db = as_user(owner, writer)
    assert accord(db, "demo").exit_code == 0
    assert submit_rows(db, COMMITMENT).exit_code == 0
    yield db


def forge_on_tn(db: str, event_class: Any, facts: dict[str, Any], **envelope: Any) -> int:
    """A record forged at the next version of Tunisia's partnership, appended with its chain and key rows."""
    event = forged(
        Partnership, event_class, "TN", {"partner": "TN", **facts}, version=version_of(db, TN) + 1, **envelope
    )
    return append(db, event)


def verify(db: str, *args: str) -> Any:
    return accord(db, "audit", "verify", *args)


def test_a_forged_disbursement_beyond_its_commitment_is_named_by_its_position(insider: str) -> None:
    position = forge_on_tn(
        insider,
        Partnership.FundingDisbursed,
        {"occurred_on": "2021-09", "funding": "tn-border-2021", "amount": "EUR 500000000"},
    )

    result = verify(insider)

    assert result.exit_code == TAMPERED
    # The chain and the key index agree with the forgery: only the domain refuses it.
    assert "records verify; head at position" in result.stdout
    assert "the chain breaks" not in result.stderr
    assert (
        f"the domain would have refused position {position}: FundingDisbursed on partnership TN by "
        "finance-director: disbursing EUR 500,000,000 on funding 'tn-border-2021' would exceed its commitment "
        "of EUR 105,000,000 (nothing disbursed, EUR 105,000,000 remain)"
    ) in result.stderr


def test_the_findings_are_in_the_json_verdict(insider: str) -> None:
    position = forge_on_tn(
        insider,
        Partnership.FundingDisbursed,
        {"occurred_on": "2021-09", "funding": "tn-border-2021", "amount": "EUR 500000000"},
    )

    result = verify(insider, "--json")

    assert result.exit_code == TAMPERED
    verdict = json.loads(result.stdout)
    assert verdict["sound"] is False
    [finding] = verdict["domain"]["illegal"]
    assert finding["position"] == position
    assert "would exceed its commitment of EUR 105,000,000" in finding["problem"]
    assert verdict["domain"]["judged"] >= position
    assert "domain" in verdict["seconds"]


def test_a_forged_disbursement_dated_before_its_commitment_is_named(insider: str) -> None:
    position = forge_on_tn(
        insider,
        Partnership.FundingDisbursed,
        {"occurred_on": "2021-01-15", "funding": "tn-border-2021", "amount": "EUR 1000000"},
    )

    result = verify(insider)

    assert result.exit_code == TAMPERED
    assert (
        f"position {position}: FundingDisbursed on partnership TN by finance-director: a disbursement on funding "
        "'tn-border-2021' dated 2021-01-15 would precede its commitment on 2021-06"
    ) in result.stderr


def test_a_forged_correction_the_domain_would_refuse_is_named(insider: str) -> None:
    paid = {"type": "FundingDisbursed", "partner": "TN", "occurred_on": "2021-10", "funding": "tn-border-2021"}
    assert submit_rows(insider, {**paid, "amount": "EUR 40000000"}).exit_code == 0
    # Through Accord, the same correction is refused: the record would break.
    refused = accord(
        insider, "correct", "commit-tn-border", "--partner", "TN", "--set", "amount=EUR 1000000", "--reason", "typo"
    )
    assert refused.exit_code != 0
    assert "would break the record" in refused.output

    position = forge_on_tn(
        insider,
        Partnership.FactCorrected,
        {"target": "commit-tn-border", "changes": {"amount": "EUR 1000000"}, "reason": "typo"},
    )
    result = verify(insider)

    assert result.exit_code == TAMPERED
    assert (
        f"position {position}: FactCorrected on partnership TN by finance-director: correcting fact "
        "'commit-tn-border' (FundingCommitted) would break the record: disbursing EUR 40,000,000 on funding "
        "'tn-border-2021' would exceed its commitment of EUR 1,000,000"
    ) in result.stderr


def test_a_back_dated_forged_record_is_named(insider: str) -> None:
    position = forge_on_tn(
        insider,
        Partnership.PartnershipNoteAdded,
        {"occurred_on": "2021-05-01", "text": "Nothing to see"},
        at=datetime(2021, 6, 1, 9, 0, tzinfo=UTC),
    )

    result = verify(insider)

    assert result.exit_code == TAMPERED
    assert (
        f"position {position}: PartnershipNoteAdded on partnership TN by finance-director: recorded at "
        f"2021-06-01T09:00:00+00:00, before position {position - 1} (recorded at "
    ) in result.stderr
    assert "the log's moments go back here, so it was back-dated" in result.stderr


def test_a_forged_record_back_dated_by_a_millisecond_is_named(insider: str) -> None:
    with application(insider) as app:
        last = max(app.mapper.to_domain_event(record).timestamp for record in app.notifications())
    position = forge_on_tn(
        insider,
        Partnership.PartnershipNoteAdded,
        {"occurred_on": "2021-05-01", "text": "Nothing to see"},
        at=last - timedelta(milliseconds=1),
    )

    result = verify(insider)

    assert result.exit_code == TAMPERED
    assert f"position {position}: PartnershipNoteAdded on partnership TN by finance-director: recorded at " in (
        result.stderr
    )
    assert "the log's moments go back here, so it was back-dated" in result.stderr


def test_a_forged_fact_on_a_partnership_never_opened_is_named(insider: str) -> None:
    event = forged(
        Partnership,
        Partnership.FundingDisbursed,
        "NE",
        {"partner": "NE", "occurred_on": "2021-09", "funding": "ne-1", "amount": "EUR 1000"},
        version=1,
    )
    position = append(insider, event)

    result = verify(insider)

    assert result.exit_code == TAMPERED
    assert (
        f"position {position}: FundingDisbursed on partnership NE by finance-director: partnership NE is not "
        "opened: record PartnershipOpened for it first"
    ) in result.stderr


def test_a_forged_meeting_naming_a_partnership_never_opened_is_named(insider: str) -> None:
    scheduled = {"meeting": "summit", "occurred_on": "2021-09", "body": "Summit", "held_on": "2021-10"}
    event = forged(Meeting, Meeting.MeetingScheduled, "summit", {**scheduled, "partners": ["TN", "NE"]}, version=1)
    position = append(insider, event)

    result = verify(insider)

    assert result.exit_code == TAMPERED
    assert (
        f"position {position}: MeetingScheduled on meeting summit by finance-director: partnership NE is not "
        "opened: record PartnershipOpened for it first"
    ) in result.stderr


def test_a_forged_record_no_reader_can_read_is_named(insider: str) -> None:
    topic = "domain.partnership:Partnership.FundingDisbursed"
    position = append_stored(insider, StoredEvent(TN, version_of(insider, TN) + 1, topic, b"{not json"))

    result = verify(insider, "--no-views")

    assert result.exit_code == TAMPERED
    assert f"the domain would have refused position {position}: cannot read the stored event " in result.stderr
    assert "the later records of its aggregate are not judged" in result.stderr


def test_an_actor_the_policy_does_not_permit_is_named(insider: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[roles]\nfinance = ["alice"]\n\n[permit]\nFundingDisbursed = ["finance"]\n')
    position = forge_on_tn(
        insider,
        Partnership.FundingDisbursed,
        {"occurred_on": "2021-09", "funding": "tn-border-2021", "amount": "EUR 1000000"},
    )

    result = accord(insider, "--policy", str(policy), "audit", "verify")

    assert result.exit_code == TAMPERED
    assert (
        f"position {position}: finance-director may not record FundingDisbursed: the policy ({policy}) permits "
        "it to finance only"
    ) in result.stderr


def test_the_demo_store_is_judged_lawful(insider: str) -> None:
    result = verify(insider)

    assert result.exit_code == 0, result.output
    assert "records judged again, each one the domain would have recorded" in result.stdout
    assert "records per second: chain " in result.stdout


def test_a_store_with_corrections_and_retractions_is_judged_lawful(insider: str) -> None:
    paid = {"type": "FundingDisbursed", "partner": "TN", "funding": "tn-border-2021"}
    assert (
        submit_rows(
            insider,
            {**paid, "id": "paid-1", "occurred_on": "2021-10", "amount": "EUR 40000000"},
            {**paid, "id": "paid-2", "occurred_on": "2021-11", "amount": "EUR 60000000"},
            {"type": "PartnershipOpened", "partner": "NE", "occurred_on": "2021-01"},
            {
                "type": "MeetingScheduled",
                "id": "jha",
                "meeting": "jha-2021-10",
                "occurred_on": "2021-09",
                "body": "JHA Council",
                "held_on": "2021-10",
                "partners": ["TN"],
            },
        ).exit_code
        == 0
    )
    for change in (
        ["correct", "paid-2", "--partner", "TN", "--set", "amount=EUR 65000000", "--reason", "the invoice"],
        ["retract", "--partner", "TN", "paid-1", "--reason", "entered twice"],
        ["correct", "commit-tn-border", "--partner", "TN", "--set", "amount=EUR 70000000", "--reason", "adopted"],
        ["correct", "jha", "--meeting", "jha-2021-10", "--set", 'partners=["TN", "NE"]', "--reason", "agenda"],
    ):
        changed = accord(insider, *change)
        assert changed.exit_code == 0, changed.output

    result = verify(insider)

    assert result.exit_code == 0, result.output
    assert "each one the domain would have recorded" in result.stdout
