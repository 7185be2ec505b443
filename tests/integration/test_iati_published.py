"""IATI files that real organisations published (tests/fixtures/iati/, each
with its source in the README there): `accord import iati --dry-run`
accounts for every activity and every transaction of the file, counted here
from the XML itself, for the reasons docs/recording.md documents; a real import
records what the funding report then shows, and recording the file again
records nothing. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import accord
from tests.integration.test_funding import report_of
from tests.integration.test_funding import table as table_of

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "iati"

# What the plan may leave out, as docs/recording.md's IATI import lists it:
# an activity with no recipient country (a regional one) or several, or no
# transactions; a transaction of a type Accord does not record; a value of 0;
# a reversed disbursement; a payment or decommitment with no commitment
# before it, or beyond what the file committed before it; a further
# commitment, a payment or a decommitment in another currency than its
# commitment, or in a unit that is no money (the IMF's SDR).
DOCUMENTED = {
    "no country",
    "regional activity",
    "several countries",
    "no transactions",
    "incoming funds",
    "expenditure",
    "interest payment",
    "loan repayment",
    "reimbursement",
    "purchase of equity",
    "sale of equity",
    "credit guarantee",
    "incoming commitment",
    "outgoing pledge",
    "incoming pledge",
    "other transaction",
    "zero value",
    "reversal",
    "no commitment",
    "other currency",
    "beyond commitment",
    "not money",
    # and, by IATI's codelists (docs/iati-codelists.md), a type or a country they lack
    "unknown transaction type",
    "unknown country",
}


@dataclass(frozen=True)
class Line:
    """A funding line the file records, as the funding report shows it."""

    partner: str
    funding: str
    currency: str
    committed: str
    disbursed: str = "0"


@dataclass(frozen=True)
class Published:
    file: str
    partners: tuple[str, ...]  # the partnerships the store has open
    recorded: int  # transactions the plan records
    left_out: dict[str, int]  # what it leaves out, by kind
    lines: tuple[Line, ...] = field(default=())
    # Codes IATI's codelists do not know or have withdrawn, noted by kind.
    noted: dict[str, int] = field(default_factory=dict)


FILES = [
    # Spain's 2.01 file for Indonesia names region 789 beside the country on
    # every activity; three commit 0 and pay 6,180 on it.
    Published(
        "es-maec-indonesia-2.01-excerpt.xml",
        ("ID",),
        recorded=2,
        left_out={"zero value": 3, "no commitment": 3},
        lines=(Line("ID", "ES-DIR3-E04585801-009-001301", "EUR", "15450", "9270"),),
    ),
    # DFID's Albania activities: parents with no transactions, children with
    # a commitment and quarterly expenditure.
    Published(
        "gb-dfid-albania-2.01-excerpt.xml",
        ("AL",),
        recorded=3,
        left_out={"expenditure": 19, "no transactions": 2},
        lines=(
            Line("AL", "GB-1-109616-101", "GBP", "1500000.00"),
            Line("AL", "GB-1-109635-101", "GBP", "162393.00"),
            Line("AL", "GB-1-109635-102", "GBP", "40012.00"),
        ),
    ),
    # 3F names a country on each transaction: payments with no commitment.
    Published(
        "dk-3f-spa-2.03.xml",
        ("BD", "BO", "CO", "HN", "JO", "KE", "LB", "LK", "ZA", "ZM", "ZW"),
        recorded=0,
        left_out={"no commitment": 11, "incoming funds": 2},
    ),
    # Syria Relief names 60 sectors, three of which IATI's Sector codelist
    # lists as withdrawn (15164, 74010, 92010): noted, nothing else changes.
    Published(
        "gb-syria-relief-2.03.xml",
        (),
        recorded=0,
        left_out={"several countries": 1},
        noted={"withdrawn sector": 3},
    ),
    Published("unops-austria-2.03.xml", ("AT",), recorded=0, left_out={"expenditure": 3}),
    # USAID's one activity names a country or a region on each of its 152
    # transactions: Mexico and Nigeria committed in three tranches each,
    # India, Mexico and Tanzania paid to the cent of what was committed;
    # Nigeria paid from an obligation of years before the file's (its last
    # payment, beyond what the file commits, is left out), Bangladesh and
    # Jordan decommit what the file never committed.
    Published(
        "us-usaid-ensure-2.03.xml",
        ("IN", "MX", "NG", "TZ"),
        recorded=52,
        left_out={"beyond commitment": 1, "no commitment": 11, "no country": 87, "reversal": 1},
        lines=(
            Line("IN", "US-GOV-1-AID-EPP-A-00-09-00001", "USD", "500000", "500000.00"),
            Line("MX", "US-GOV-1-AID-EPP-A-00-09-00001", "USD", "646718", "646718.00"),
            Line("NG", "US-GOV-1-AID-EPP-A-00-09-00001", "USD", "1114000", "1060557.97"),
            Line("TZ", "US-GOV-1-AID-EPP-A-00-09-00001", "USD", "350000", "350000.00"),
        ),
    ),
    # IFAD's project in Liberia: a loan and a grant in SDR (left out: no
    # money Accord records), then a grant, a loan and two more grants in USD
    # on the same activity, one line committed four times.
    Published(
        "xm-ifad-liberia-2.03.xml",
        ("LR",),
        recorded=29,
        left_out={"not money": 33, "reversal": 2},
        lines=(Line("LR", "XM-DAC-41108-1100001761", "USD", "10086263.00", "7817710.77"),),
    ),
    # Christian Aid allocates to its partner in Afghanistan three times in
    # 2020 and to its partner in Nepal five times from 2019 to 2021, each
    # allocation an incoming fund (left out) and a commitment, each paid in
    # full after it: two lines paid to the penny of what they commit.
    Published(
        "gb-christian-aid-2.02-excerpt.xml",
        ("AF", "NP"),
        recorded=16,
        left_out={"incoming funds": 8},
        lines=(
            Line("AF", "GB-CHC-1105851-51A905", "GBP", "184120.00", "184120.00"),
            Line("NP", "GB-CHC-1105851-552935", "GBP", "161992", "161992"),
        ),
    ),
]
IDS = [published.file.removesuffix(".xml") for published in FILES]


def left_out(summary: str) -> dict[str, int]:
    """The kinds and counts of the summary line's `left out: 3 zero value, ...`."""
    listed = summary.split("left out: ", 1)[1].split("; noted: ")[0].strip()
    return counts(listed)


def noted(summary: str) -> dict[str, int]:
    """The kinds and counts of the summary line's `noted: 3 withdrawn sector, ...`, if any."""
    return counts(summary.split("; noted: ", 1)[1]) if "; noted: " in summary else {}


def counts(listed: str) -> dict[str, int]:
    if listed == "nothing":
        return {}
    return {kind: int(count) for count, kind in (item.split(" ", 1) for item in listed.split(", "))}


def counted(summary: str) -> Counter[str]:
    """The events of the summary line's `recorded 4 event(s): FundingCommitted 1, ...`."""
    listed = summary.split(": ", 1)[1] if ": " in summary else ""
    return Counter({kind: int(count) for kind, count in (item.rsplit(" ", 1) for item in listed.split(", ") if item)})


def plan_of(stdout: str) -> list[tuple[str, int, list[tuple[int, str]]]]:
    """The dry run's activities: identifier, line, and each step's line and text."""
    activities: list[tuple[str, int, list[tuple[int, str]]]] = []
    for text in stdout.splitlines():
        if found := re.fullmatch(r"activity (.*) \(line (\d+)\): .*", text):
            activities.append((found[1], int(found[2]), []))
        elif found := re.fullmatch(r"  line (\d+): (.*)", text):
            activities[-1][2].append((int(found[1]), found[2]))
        else:
            raise AssertionError(f"not a line of a plan: {text!r}")
    return activities


@pytest.mark.parametrize("published", FILES, ids=IDS)
def test_a_dry_run_accounts_for_every_activity_and_transaction_of_the_file(published: Published, db: str) -> None:
    for partner in published.partners:
        opened = accord(db, "submit", "PartnershipOpened", "--partner", partner, "--occurred-on", "2000-01-01")
        assert opened.exit_code == 0, opened.output
    path = FIXTURES / published.file
    xml = etree.parse(str(path)).getroot()
    activities = xml.findall("iati-activity")

    result = accord(db, "import", "iati", "--dry-run", str(path))

    assert result.exit_code == 0, result.output
    *steps, would = result.stdout.splitlines()
    assert would.startswith(f"would record {published.recorded} event(s)")
    plan = plan_of("\n".join(steps))
    assert [(identifier, line) for identifier, line, _ in plan] == [
        ((a.findtext("iati-identifier") or "").strip(), a.sourceline) for a in activities
    ]
    for (identifier, line, all_steps), activity in zip(plan, activities, strict=True):
        steps = [(step_line, why) for step_line, why in all_steps if not why.startswith("note: ")]
        transactions = [t.sourceline for t in activity.findall("transaction")]
        if [step_line for step_line, _ in steps] == [line] and transactions:
            # Left out whole, saying how many of its transactions go with it.
            [(_, why)] = steps
            assert why.endswith(f"; {len(transactions)} transaction(s) left out"), (identifier, why)
        elif not transactions:
            assert steps == [(line, "leave out: a budget or a programme: nothing to record")]
        else:
            assert [step_line for step_line, _ in steps] == transactions, identifier
            assert all(re.match(r"(record Funding\w+ [A-Z]{3} [\d.]+ on |leave out: )", why) for _, why in steps)
    [summary] = [line for line in result.stderr.splitlines() if "activity(ies)" in line]
    assert summary.startswith(f"{len(activities)} activity(ies): would take {published.recorded} transaction(s);")
    assert left_out(summary) == published.left_out
    assert noted(summary) == published.noted
    notes = [why for _, _, steps in plan for _, why in steps if why.startswith("note: ")]
    assert len(notes) == sum(published.noted.values())
    assert set(published.left_out) <= DOCUMENTED
    recorded = sum(why.startswith("record ") for _, _, steps in plan for _, why in steps)
    assert recorded == published.recorded


@pytest.mark.parametrize("published", FILES, ids=IDS)
def test_importing_a_published_file_records_what_the_funding_report_shows_and_only_once(
    published: Published, db: str
) -> None:
    for partner in published.partners:
        opened = accord(db, "submit", "PartnershipOpened", "--partner", partner, "--occurred-on", "2000-01-01")
        assert opened.exit_code == 0, opened.output
    path = str(FIXTURES / published.file)

    first = accord(db, "import", "iati", path)
    again = accord(db, "import", "iati", path)

    assert first.exit_code == 0, first.output
    assert f"took {published.recorded} transaction(s)" in first.stderr
    assert again.exit_code == 0 and "recorded 0 event(s)" in again.stdout
    shown = {(row["partner"], row["funding"]): row for row in table_of(report_of(db), "Funding lines")}
    assert set(shown) == {(line.partner, line.funding) for line in published.lines}
    for line in published.lines:
        row = shown[(line.partner, line.funding)]
        assert (row["currency"], row["committed"], row["disbursed"], row["decommitted"]) == (
            line.currency,
            Decimal(line.committed),
            Decimal(line.disbursed),
            Decimal(0),
        )
    counted = Counter(line.partner for line in published.lines)
    by_partner = table_of(report_of(db), "By partner")
    assert {row["partner"]: row["lines"] for row in by_partner} == dict(counted)


@pytest.mark.parametrize("published", FILES, ids=IDS)
def test_on_an_empty_store_the_dry_run_counts_what_the_import_stores_and_accounts_for_every_activity(
    published: Published, db: str
) -> None:
    path = str(FIXTURES / published.file)
    xml = etree.parse(path).getroot()

    shown = accord(db, "import", "iati", "--dry-run", "--open-partnerships", "--json", path)
    planned = accord(db, "import", "iati", "--dry-run", "--open-partnerships", path)
    imported = accord(db, "import", "iati", "--open-partnerships", path)

    assert shown.exit_code == planned.exit_code == imported.exit_code == 0, imported.output
    plan = json.loads(shown.stdout)
    # What the dry run would record, by type, is what the import says it
    # recorded and what the store then holds.
    stored = Counter(json.loads(row)["type"] for row in accord(db, "export", "events").stdout.splitlines())
    assert Counter(row["type"] for row in plan["recorded"]) == stored
    assert counted(planned.stdout.splitlines()[-1]) == counted(imported.stdout.splitlines()[-1]) == stored
    funded = {"FundingCommitted", "FundingIncreased", "FundingDisbursed", "FundingDecommitted"}
    assert sum(count for kind, count in stored.items() if kind in funded) == published.recorded
    # The partnerships it opens are those it funds, and no other.
    opened = sorted(row["subject"] for row in plan["recorded"] if row["type"] == "PartnershipOpened")
    assert opened == sorted({line.partner for line in published.lines})
    # What it leaves out, by reason, is said alike by both.
    [said] = [line for line in planned.stderr.splitlines() if "activity(ies)" in line]
    [done] = [line for line in imported.stderr.splitlines() if "activity(ies)" in line]
    assert left_out(said) == left_out(done) == published.left_out
    # Every activity is accounted for, and each of its transactions: recorded or left out with a reason.
    activities = xml.findall("iati-activity")
    assert [(a["identifier"], a["line"]) for a in plan["activities"]] == [
        ((activity.findtext("iati-identifier") or "").strip(), activity.sourceline) for activity in activities
    ]
    for shown, activity in zip(plan["activities"], activities, strict=True):
        transactions = sorted(t.sourceline for t in activity.findall("transaction"))
        # A code IATI's codelists lack is noted beside: it records nothing, nor leaves anything out.
        taken = [step for step in shown["steps"] if not step["what"].startswith("note: ")]
        steps = sorted(step["line"] for step in taken)
        assert steps == (transactions if len(steps) == len(transactions) else [activity.sourceline]), shown
        assert all(step["what"].startswith(("record ", "leave out: ")) for step in taken)
    recorded = sum(step["what"].startswith("record ") for a in plan["activities"] for step in a["steps"])
    assert recorded == published.recorded


# What other published files do, reduced to the transactions that matter:
# USAID's activities (2.03) name a country on each transaction, decommit on
# a country with no commitment in the file, and pay in more than one way.

PAID_ON_NOTHING = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="USD">
  <iati-identifier>US-GOV-1-AID-EPP-A-00-09-00001</iati-identifier>
  <reporting-org ref="US-GOV-1" type="10"/>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2012-12-31"/><value currency="USD">210393.06</value>
   <recipient-country code="BD"/>
  </transaction>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2016-09-30"/><value currency="USD">-89013.2</value>
   <recipient-country code="BD"/>
  </transaction>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2016-03-31"/><value currency="USD">500000</value>
   <recipient-country code="IN"/>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2016-03-31"/><value currency="USD">49751.52</value>
   <recipient-country code="IN"/>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2016-06-30"/><value currency="EUR">46809.57</value>
   <recipient-country code="IN"/>
  </transaction>
 </iati-activity>
</iati-activities>
"""


def test_a_payment_or_decommitment_on_no_commitment_or_in_another_currency_is_left_out_not_refused(
    db: str, tmp_path: Path
) -> None:
    for partner in ("BD", "IN"):
        assert accord(db, "submit", "PartnershipOpened", "--partner", partner, "--occurred-on", "2000").exit_code == 0
    path = tmp_path / "usaid.xml"
    path.write_text(PAID_ON_NOTHING)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert planned.stdout.splitlines() == [
        "activity US-GOV-1-AID-EPP-A-00-09-00001 (line 3): by transaction: BD, IN",
        "  line 6: leave out: a disbursement of 210393.06 with no commitment before it: Accord records a "
        "disbursement on a commitment",
        "  line 10: leave out: a decommitment of 89013.2 with no commitment before it: Accord records a "
        "decommitment on a commitment",
        "  line 14: record FundingCommitted USD 500000 on 2016-03-31",
        "  line 18: record FundingDisbursed USD 49751.52 on 2016-03-31",
        "  line 22: leave out: a disbursement in EUR on a commitment in USD (line 14): Accord keeps a funding "
        "line in one currency",
        "would record 2 event(s): FundingCommitted 1, FundingDisbursed 1",
    ]
    assert imported.exit_code == 0, imported.output
    assert "left out: 2 no commitment, 1 other currency" in imported.stderr
    [line] = table_of(report_of(db), "Funding lines")
    assert (line["partner"], line["currency"], line["committed"], line["disbursed"]) == (
        "IN",
        "USD",
        Decimal("500000"),
        Decimal("49751.52"),
    )


# BEIS's 2.03 file lists an activity's commitment after the disbursements on
# it (its activity names a hundred countries; here, one).
COMMITTED_LAST = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities generated-datetime='2022-03-07T10:57:48' version='2.03'>
 <iati-activity default-currency='GBP' xml:lang='en'>
  <iati-identifier>GB-GOV-13-GCRF-BF-7TNK9LD-GBYPTX3</iati-identifier>
  <reporting-org ref='GB-GOV-13' type='10'>
   <narrative>DEPARTMENT FOR BUSINESS, ENERGY &amp; INDUSTRIAL STRATEGY</narrative>
  </reporting-org>
  <recipient-country code='KE' percentage='100'/>
  <transaction>
   <transaction-type code='3'/><transaction-date iso-date='2021-12-31'/><value currency='GBP'>2753.68</value>
  </transaction>
  <transaction>
   <transaction-type code='3'/><transaction-date iso-date='2021-09-30'/><value currency='GBP'>71271.44</value>
  </transaction>
  <transaction>
   <transaction-type code='3'/><transaction-date iso-date='2021-06-30'/><value currency='GBP'>46502.47</value>
  </transaction>
  <transaction>
   <transaction-type code='2'/><transaction-date iso-date='2021-04-01'/><value currency='GBP'>297427.59</value>
  </transaction>
 </iati-activity>
</iati-activities>
"""


def test_a_commitment_listed_after_the_disbursements_on_it_is_recorded_first(db: str, tmp_path: Path) -> None:
    assert accord(db, "submit", "PartnershipOpened", "--partner", "KE", "--occurred-on", "2000").exit_code == 0
    path = tmp_path / "beis.xml"
    path.write_text(COMMITTED_LAST)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert planned.stdout.splitlines()[1:] == [
        "  line 9: record FundingDisbursed GBP 2753.68 on 2021-12-31",
        "  line 12: record FundingDisbursed GBP 71271.44 on 2021-09-30",
        "  line 15: record FundingDisbursed GBP 46502.47 on 2021-06-30",
        "  line 18: record FundingCommitted GBP 297427.59 on 2021-04-01",
        "would record 4 event(s): FundingCommitted 1, FundingDisbursed 3",
    ]
    assert imported.exit_code == 0, imported.output
    [line] = table_of(report_of(db), "Funding lines")
    assert (line["committed"], line["disbursed"]) == (Decimal("297427.59"), Decimal("120527.59"))
