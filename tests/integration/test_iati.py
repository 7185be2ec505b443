"""Funding for the aid-transparency registry: `accord export iati` checked
against the official IATI 2.03 schema with a real validator (lxml), and read
back with `accord import iati`. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import accord, submit_rows
from tests.integration.test_funding import COMMITMENTS, DISBURSEMENTS, decommitted, report_of

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).parent.parent / "reference" / "iati-2.03" / "iati-activities-schema.xsd"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.fixture
def funded(demo_db: str) -> str:
    """The demo, with funding committed, disbursed and decommitted to Tunisia and Morocco."""
    for rows in (COMMITMENTS, DISBURSEMENTS, [decommitted("TN", "tn-jobs", "EUR 500000")]):
        result = submit_rows(demo_db, *rows)
        assert result.exit_code == 0, result.output
    return demo_db


def exported(db: str, tmp_path: Path) -> Path:
    path = tmp_path / "iati.xml"
    result = accord(db, "export", "iati", "-o", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_a_store_without_funding_has_nothing_to_export(db: str, tmp_path: Path) -> None:
    result = accord(db, "export", "iati", "-o", str(tmp_path / "iati.xml"))

    assert result.exit_code == 2
    assert "nothing to export: no funding or envelope is recorded" in result.output


def test_the_demo_exports_a_file_the_official_schema_accepts(
    demo_db: str, tmp_path: Path, schema: etree.XMLSchema
) -> None:
    document = etree.parse(str(exported(demo_db, tmp_path)))

    assert schema.validate(document), schema.error_log


def test_each_funded_action_is_a_valid_activity_with_its_commitment_and_disbursements(
    funded: str, tmp_path: Path, schema: etree.XMLSchema
) -> None:
    document = etree.parse(str(exported(funded, tmp_path)))

    assert schema.validate(document), schema.error_log
    activities = {a.findtext("iati-identifier"): a for a in document.iter("iati-activity")}
    # One per funded action, and the demo's NDICI envelope as a programme with its budget.
    assert len(activities) == len(COMMITMENTS) + 1
    envelope = activities["XM-ACCORD-ENVELOPE-NDICI-Global-Europe"]
    assert envelope.find("budget/value").text == "8000000000"
    assert envelope.find("transaction") is None
    border = activities["XM-ACCORD-TN-tn-border"]
    assert border.find("recipient-country").get("code") == "TN"
    assert border.find("sector").get("code") == "15190"
    transactions = [
        (t.find("transaction-type").get("code"), t.find("value").get("currency"), Decimal(t.findtext("value")))
        for t in border.iter("transaction")
    ]
    assert transactions == [
        ("2", "EUR", Decimal("1250000.10")),
        ("3", "EUR", Decimal("250000.05")),
        ("3", "EUR", Decimal("1000000.05")),
    ]
    # A date known only to the month or year counts from its last day.
    jobs = activities["XM-ACCORD-TN-tn-jobs"].find("transaction/transaction-date")
    assert jobs.get("iso-date") == "2022-01-31"
    # A decommitment is a commitment of a negative value.
    assert [
        (t.find("transaction-type").get("code"), Decimal(t.findtext("value")))
        for t in activities["XM-ACCORD-TN-tn-jobs"].iter("transaction")
    ] == [("2", Decimal("2000000")), ("2", Decimal("-500000"))]


def test_an_exported_file_imported_into_another_store_gives_the_same_funding(funded: str, tmp_path: Path) -> None:
    path = exported(funded, tmp_path)
    other = str(tmp_path / "other.db")
    assert accord(other, "demo").exit_code == 0

    first = accord(other, "import", "iati", str(path))
    again = accord(other, "import", "iati", str(path))

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0 and "recorded 0 event(s)" in again.stdout
    mine, theirs = report_of(funded), report_of(other)
    assert theirs.figures == mine.figures
    assert theirs.tables[0].rows == mine.tables[0].rows
    assert [row for row in mine.tables[0].rows if row["decommitted"]]


def test_a_file_that_is_not_iati_is_refused_in_a_sentence(demo_db: str, tmp_path: Path) -> None:
    path = tmp_path / "not.xml"
    path.write_text("<budget/>")

    result = accord(demo_db, "import", "iati", str(path))

    assert result.exit_code == 2
    assert "not IATI activities (the root element is <budget>)" in result.stderr
