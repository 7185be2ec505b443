"""Funding for the aid-transparency registry: `accord export iati` checked
against the official IATI 2.03 schema with a real validator (lxml), and read
back with `accord import iati`. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import accord, as_json, submit_rows
from tests.integration.test_funding import COMMITMENTS, DISBURSEMENTS, decommitted, report_of
from tests.integration.test_funding import table as table_of
from workflows.rules import default_rules_path

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


# Other publishers' files: every activity accounted for, in the file's own lines.

PUBLISHED = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2021-07-01T00:00:00Z">
 <iati-activity default-currency="EUR" last-updated-datetime="2021-07-01T00:00:00Z">
  <iati-identifier>XI-TEST-1-TN-BORDER</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="10"><narrative>Test Agency</narrative></reporting-org>
  <title><narrative>Border management in Tunisia</narrative></title>
  <recipient-country code="TN" percentage="100"/>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value value-date="2021-03-01">1000000</value>
  </transaction>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-04-01"/><value value-date="2021-04-01">50000</value>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-05-01"/><value value-date="2021-05-01">250000.50</value>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-05-02"/><value value-date="2021-05-02">-1000</value>
  </transaction>
  <transaction>
   <transaction-type code="4"/><transaction-date iso-date="2021-05-03"/><value value-date="2021-05-03">120000</value>
  </transaction>
  <transaction>
   <transaction-type code="1"/><transaction-date iso-date="2021-01-03"/><value value-date="2021-01-03">2000000</value>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-05-04"/><value value-date="2021-05-04">0.00</value>
  </transaction>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-06-01"/><value value-date="2021-06-01">-100000</value>
  </transaction>
 </iati-activity>
 <iati-activity default-currency="USD" last-updated-datetime="2021-07-01T00:00:00Z">
  <iati-identifier>XI-TEST-1-SAHEL</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="10"><narrative>Test Agency</narrative></reporting-org>
  <recipient-region code="289" vocabulary="1" percentage="100"/>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value value-date="2021-03-01">500000</value>
  </transaction>
 </iati-activity>
 <iati-activity default-currency="EUR" last-updated-datetime="2021-07-01T00:00:00Z">
  <iati-identifier>XI-TEST-1-MAGHREB</iati-identifier>
  <recipient-country code="MA" percentage="50"/>
  <recipient-country code="TN" percentage="50"/>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value value-date="2021-03-01">700000</value>
  </transaction>
 </iati-activity>
 <iati-activity default-currency="EUR" last-updated-datetime="2021-07-01T00:00:00Z">
  <iati-identifier>XI-TEST-1-PROGRAMME</iati-identifier>
  <recipient-country code="MA" percentage="100"/>
  <budget><period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/><value>9</value></budget>
 </iati-activity>
</iati-activities>
"""


@pytest.fixture
def published(tmp_path: Path) -> Path:
    path = tmp_path / "published.xml"
    path.write_text(PUBLISHED)
    return path


def test_a_dry_run_accounts_for_every_activity_and_transaction_in_the_files_own_lines(db: str, published: Path) -> None:
    assert accord(db, "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2020").exit_code == 0

    result = accord(db, "import", "iati", "--dry-run", str(published))
    again = accord(db, "import", "iati", "--dry-run", str(published))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "activity XI-TEST-1-TN-BORDER (line 3): TN",
        "  line 8: record FundingCommitted EUR 1000000 on 2021-03-01",
        "  line 11: record FundingIncreased EUR 50000 on 2021-04-01",
        "  line 14: record FundingDisbursed EUR 250000.50 on 2021-05-01",
        "  line 17: leave out: a disbursement of -1000 (a reversal): Accord does not record reversals",
        "  line 20: leave out: expenditure (type 4): Accord records commitments and disbursements",
        "  line 23: leave out: incoming funds (type 1): Accord records commitments and disbursements",
        "  line 26: leave out: a value of 0 moves no money: nothing to record",
        "  line 29: record FundingDecommitted EUR 100000 on 2021-06-01",
        "activity XI-TEST-1-SAHEL (line 33): no partner",
        "  line 33: leave out: names region 289 and no recipient country: Accord records funding by one partner "
        "country; 1 transaction(s) left out",
        "activity XI-TEST-1-MAGHREB (line 41): no partner",
        "  line 41: leave out: names 2 recipient countries (MA, TN): Accord records funding by one partner "
        "country; 1 transaction(s) left out",
        "activity XI-TEST-1-PROGRAMME (line 49): MA",
        "  line 49: leave out: a budget or a programme: nothing to record",
        "would record 4 event(s): FundingCommitted 1, FundingDecommitted 1, FundingDisbursed 1, FundingIncreased 1",
    ]
    assert (
        "4 activity(ies): would take 4 transaction(s); left out: 1 expenditure, 1 incoming funds, 1 no transactions, "
        "1 regional activity, 1 reversal, 1 several countries, 1 zero value"
    ) in result.stderr
    assert (again.stdout, again.stderr) == (result.stdout, result.stderr)  # the first stored nothing


def test_a_published_file_records_what_it_can_once_and_counts_what_it_leaves_out(demo_db: str, published: Path):
    first = accord(demo_db, "import", "iati", str(published))
    again = accord(demo_db, "import", "iati", str(published))

    assert first.exit_code == 0, first.output
    assert (
        "recorded 4 event(s): FundingCommitted 1, FundingDecommitted 1, FundingDisbursed 1, FundingIncreased 1"
        in first.stdout
    )
    assert "left out: 1 expenditure, 1 incoming funds, 1 no transactions, 1 regional activity, 1 reversal, " \
        "1 several countries, 1 zero value" in first.stderr  # fmt: skip
    assert again.exit_code == 0 and "recorded 0 event(s)" in again.stdout
    [line] = [row for row in table_of(report_of(demo_db), "Funding lines") if row["funding"] == "XI-TEST-1-TN-BORDER"]
    assert (line["committed"], line["decommitted"], line["disbursed"]) == (
        Decimal("950000"),
        Decimal("100000"),
        Decimal("250000.50"),
    )


def test_a_transaction_that_breaks_a_rule_is_named_by_its_line_in_the_xml(demo_db: str, tmp_path: Path) -> None:
    path = tmp_path / "over.xml"
    # A payment in tenths of a cent: not an amount of euros.
    path.write_text(PUBLISHED.replace(">250000.50<", ">250000.505<"))

    result = accord(demo_db, "import", "iati", str(path))

    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "accord: line 14: FundingDisbursed: field 'amount': EUR has 2 decimals (ISO 4217): 250000.505 has 3"
    )
    assert "nothing was stored" in result.stderr


def test_a_transaction_without_a_date_is_refused_naming_its_line(demo_db: str, tmp_path: Path) -> None:
    path = tmp_path / "undated.xml"
    path.write_text(PUBLISHED.replace('<transaction-date iso-date="2021-05-01"/>', ""))

    result = accord(demo_db, "import", "iati", "--dry-run", str(path))

    assert result.exit_code == 2
    assert "undated.xml, line 14: a transaction needs a date and a value" in result.stderr


def test_imported_history_opens_no_task_overdue_for_years_under_a_history_horizon(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("history_days = 365\n\n" + default_rules_path().read_text())
    accord(db, "--rules", str(rules), "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2020-09-23")
    before = {row["task_id"] for row in as_json(accord(db, "--rules", str(rules), "tasks", "--json"))}
    path = tmp_path / "history.xml"
    path.write_text(PUBLISHED)

    imported = accord(db, "--rules", str(rules), "import", "iati", str(path))
    tasks = as_json(accord(db, "--rules", str(rules), "tasks", "--status", "all", "--json"))
    shown = accord(db, "--rules", str(rules), "rules", "show")

    assert imported.exit_code == 0, imported.output
    assert {row["task_id"] for row in tasks} == before  # the 2021 funding is history
    assert "history: a task due more than 365 days before its fact was recorded is not opened" in shown.stdout


def test_without_a_history_horizon_imported_funding_is_followed_up(db: str, tmp_path: Path) -> None:
    accord(db, "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2020-09-23")
    path = tmp_path / "history.xml"
    path.write_text(PUBLISHED)

    assert accord(db, "import", "iati", str(path)).exit_code == 0
    rules = {row["rule"] for row in as_json(accord(db, "tasks", "--status", "all", "--json"))}

    assert {
        "funding-increased-inform-partner",
        "funding-disbursed-check-use",
        "funding-decommitted-inform-partner",
    } <= rules


BY_TRANSACTION = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.01">
 <iati-activity default-currency="EUR">
  <iati-identifier>XI-TEST-1-MAGHREB-MOBILITY</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="10"/>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value>300000</value>
   <recipient-country code="MA"/>
  </transaction>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value>200000</value>
   <recipient-country code="TN"/>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-04-01"/><value>50000</value>
   <recipient-country code="TN"/>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-04-02"/><value>1000</value>
  </transaction>
 </iati-activity>
</iati-activities>
"""


def test_an_activity_naming_its_recipient_on_each_transaction_is_recorded_on_each_partner(
    demo_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "by-transaction.xml"
    path.write_text(BY_TRANSACTION)

    planned = accord(demo_db, "import", "iati", "--dry-run", str(path))
    imported = accord(demo_db, "import", "iati", str(path))

    assert planned.stdout.splitlines() == [
        "activity XI-TEST-1-MAGHREB-MOBILITY (line 3): by transaction: MA, TN",
        "  line 6: record FundingCommitted EUR 300000 on 2021-03-01",
        "  line 10: record FundingCommitted EUR 200000 on 2021-03-01",
        "  line 14: record FundingDisbursed EUR 50000 on 2021-04-01",
        "  line 18: leave out: names no recipient country, nor does its activity: Accord records funding by "
        "partner country",
        "would record 3 event(s): FundingCommitted 2, FundingDisbursed 1",
    ]
    assert imported.exit_code == 0, imported.output
    lines = {(row["partner"], row["funding"]): row for row in table_of(report_of(demo_db), "Funding lines")}
    assert lines[("MA", "XI-TEST-1-MAGHREB-MOBILITY")]["committed"] == Decimal("300000")
    assert lines[("MA", "XI-TEST-1-MAGHREB-MOBILITY")]["instrument"] == "XI-TEST-1"  # the publisher's reference
    assert lines[("TN", "XI-TEST-1-MAGHREB-MOBILITY")]["disbursed"] == Decimal("50000")


def test_a_file_of_iati_1_is_refused_in_a_sentence(demo_db: str, tmp_path: Path) -> None:
    path = tmp_path / "old.xml"
    path.write_text('<iati-activities version="1.05"><iati-activity/></iati-activities>')

    result = accord(demo_db, "import", "iati", "--dry-run", str(path))

    assert result.exit_code == 2
    assert "IATI 1.05 is not read (its codes differ): Accord reads versions 2.01 to 2.03" in result.stderr
