"""Activities committed in tranches (tests/fixtures/iati/xi-test-tranches-2.03.xml):
`accord import iati` records an activity's first commitment as its funding
line and each later one as an increase (FundingIncreased), and judges every
payment and decommitment against all that was committed before it, in date
order, whatever the order the file lists them in; a payment or a
decommitment beyond what the file committed before it is left out, its
reason naming the line's figures as they stand at its date, and one the
store's own facts refuse is refused naming them as the store has them; and a file Accord exports with increases
comes back as the same funding. (test_iati_dry_run holds its dry run to the
import key by key.) Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import accord, submit_rows
from tests.integration.test_funding import report_of
from tests.integration.test_funding import table as table_of
from tests.integration.test_iati_published import FIXTURES
from workflows.interchange.iati import keyed

pytestmark = pytest.mark.integration

TRANCHES = FIXTURES / "xi-test-tranches-2.03.xml"
LABOUR, PROTECTION = "XI-TEST-1-TN-LABOUR-MOBILITY", "XI-TEST-1-TN-PROTECTION"


def opened(db: str) -> None:
    result = accord(db, "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2000-01-01")
    assert result.exit_code == 0, result.output


def varied(tmp_path: Path, old: str, new: str) -> str:
    """The fixture with one value changed."""
    text = TRANCHES.read_text()
    assert text.count(old) == 1
    path = tmp_path / "varied.xml"
    path.write_text(text.replace(old, new))
    return str(path)


def funding(db: str) -> dict[str, tuple[str, Decimal, Decimal, Decimal]]:
    """Each line of the funding report: currency, committed, decommitted, disbursed."""
    return {
        row["funding"]: (row["currency"], row["committed"], row["decommitted"], row["disbursed"])
        for row in table_of(report_of(db), "Funding lines")
    }


def test_every_commitment_of_an_activity_is_recorded_and_each_move_judged_in_date_order(db: str) -> None:
    opened(db)

    planned = accord(db, "import", "iati", "--dry-run", str(TRANCHES))
    imported = accord(db, "import", "iati", str(TRANCHES))

    assert planned.exit_code == 0, planned.output
    assert planned.stdout.splitlines() == [
        f"activity {LABOUR} (line 3): TN",
        "  line 21: record FundingDisbursed EUR 150000 on 2021-09-30",
        "  line 27: record FundingIncreased EUR 1500000 on 2020-02-01",
        "  line 33: record FundingDisbursed EUR 1200000 on 2019-06-30",
        "  line 39: record FundingDecommitted EUR 250000 on 2021-06-30",
        "  line 45: record FundingDisbursed EUR 1300000 on 2020-04-30",
        "  line 51: record FundingCommitted EUR 2000000 on 2019-03-15",
        "  line 57: record FundingDisbursed EUR 600000 on 2021-01-31",
        f"activity {PROTECTION} (line 64): TN",
        # Committed and paid on one day, the payment listed first.
        "  line 81: record FundingDisbursed USD 400000 on 2020-05-15",
        "  line 86: record FundingCommitted USD 500000 on 2020-05-15",
        "  line 91: leave out: a further commitment in EUR on a commitment in USD (line 86): Accord keeps a funding "
        "line in one currency",
        "  line 96: record FundingIncreased USD 250000 on 2021-03-01",
        "  line 101: record FundingDisbursed USD 300000 on 2021-04-01",
        "would record 11 event(s): FundingCommitted 2, FundingDecommitted 1, FundingDisbursed 6, FundingIncreased 2",
    ]
    assert "2 activity(ies): would take 11 transaction(s); left out: 1 other currency" in planned.stderr
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == (
        "recorded 11 event(s): FundingCommitted 2, FundingDecommitted 1, FundingDisbursed 6, FundingIncreased 2\n"
    )
    assert "2 activity(ies): took 11 transaction(s); left out: 1 other currency" in imported.stderr
    # Paid beyond the first tranche, within both: 2,000,000 + 1,500,000 - 250,000.
    assert funding(db) == {
        LABOUR: ("EUR", Decimal("3250000"), Decimal("250000"), Decimal("3250000")),
        PROTECTION: ("USD", Decimal("750000"), Decimal("0"), Decimal("700000")),
    }


@pytest.mark.parametrize(
    ("old", "new", "said", "line"),
    [
        (
            # The second payment, beyond both tranches as they stand on 30 April 2020.
            ">1300000<",
            ">2400000<",
            "  line 45: leave out: a disbursement of 2400000 on 2020-04-30 beyond what remains of its commitment of "
            "EUR 3,500,000 (EUR 1,200,000 disbursed, EUR 2,300,000 remain): Accord records a disbursement within "
            "what was committed before it",
            # The other payments, the decommitment among them, judged without it.
            ("EUR", Decimal("3250000"), Decimal("250000"), Decimal("1950000")),
        ),
        (
            # The decommitment, beyond what remains on 30 June 2021 (the final payment comes after it).
            ">-250000<",
            ">-450000<",
            "  line 39: leave out: a decommitment of 450000 on 2021-06-30 beyond what remains of its commitment of "
            "EUR 3,500,000 (EUR 3,100,000 disbursed, EUR 400,000 remain): Accord records a decommitment within "
            "what was committed before it",
            ("EUR", Decimal("3500000"), Decimal("0"), Decimal("3250000")),
        ),
    ],
    ids=["disbursement", "decommitment"],
)
def test_a_move_beyond_what_the_file_committed_is_left_out_naming_its_lines_figures_at_its_date(
    db: str, tmp_path: Path, old: str, new: str, said: str, line: tuple[str, Decimal, Decimal, Decimal]
) -> None:
    opened(db)
    path = varied(tmp_path, old, new)

    planned = accord(db, "import", "iati", "--dry-run", path)
    imported = accord(db, "import", "iati", path)

    assert planned.exit_code == imported.exit_code == 0, imported.output
    assert said in planned.stdout.splitlines()
    assert "left out: 1 beyond commitment, 1 other currency" in imported.stderr
    assert funding(db)[LABOUR] == line


@pytest.mark.parametrize(
    ("added", "said"),
    [
        (
            # A payment the file can make (USD 50,000 remain in it), but paid by hand already.
            '<transaction><transaction-type code="3"/><transaction-date iso-date="2021-06-01"/>'
            '<value currency="USD">40000</value></transaction>',
            "disbursing USD 40,000 on funding 'XI-TEST-1-TN-PROTECTION' would exceed its commitment of "
            "USD 750,000 (USD 750,000 disbursed, USD 0 remain)",
        ),
        (
            '<transaction><transaction-type code="2"/><transaction-date iso-date="2021-06-01"/>'
            '<value currency="USD">-30000</value></transaction>',
            "decommitting USD 30,000 on funding 'XI-TEST-1-TN-PROTECTION' would take off more than remains of its "
            "commitment of USD 750,000 (USD 750,000 disbursed, USD 0 remain)",
        ),
    ],
    ids=["disbursement", "decommitment"],
)
def test_a_refusal_names_the_figures_of_its_line_as_the_store_has_them(
    db: str, tmp_path: Path, added: str, said: str
) -> None:
    opened(db)
    assert accord(db, "import", "iati", str(TRANCHES)).exit_code == 0
    # What remains of the line is paid by hand: the store knows of a payment the file does not.
    paid = submit_rows(
        db,
        {"type": "FundingDisbursed", "partner": "TN", "funding": PROTECTION}
        | {"occurred_on": "2021-05-01", "amount": "USD 50000"},
    )
    assert paid.exit_code == 0, paid.output
    text = TRANCHES.read_text()
    last = text.rindex("</iati-activity>")
    path = tmp_path / "updated.xml"
    path.write_text(text[:last] + added + "\n " + text[last:])
    before = funding(db)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    [problem, summary] = imported.stderr.splitlines()[:2]
    assert problem.startswith("accord: line ") and problem.endswith(f": {said}")
    assert summary.startswith("nothing was stored: 1 problem(s) in ")
    assert funding(db) == before


def test_increases_exported_and_imported_into_an_empty_store_give_the_same_funding(db: str, tmp_path: Path) -> None:
    opened(db)
    assert accord(db, "import", "iati", str(TRANCHES)).exit_code == 0
    exported, other = tmp_path / "exported.xml", str(tmp_path / "other.db")
    assert accord(db, "export", "iati", "-o", str(exported)).exit_code == 0
    assert accord(other, "init").exit_code == 0

    imported = accord(other, "import", "iati", "--open-partnerships", str(exported))

    assert imported.exit_code == 0, imported.output
    assert "FundingIncreased 2" in imported.stdout
    assert "left out: nothing" in imported.stderr
    mine, theirs = report_of(db), report_of(other)
    assert (theirs.figures, theirs.tables) == (mine.figures, mine.tables)
    # Each increase is a further commitment transaction, said as the fact it reports.
    kinds = [(t.activity, t.type, t.amount) for t in keyed(exported.read_bytes()) if t.type != "FundingDisbursed"]
    assert kinds == [
        (f"XM-ACCORD-TN-{LABOUR}", "FundingCommitted", "2000000"),
        (f"XM-ACCORD-TN-{LABOUR}", "FundingIncreased", "1500000"),
        (f"XM-ACCORD-TN-{LABOUR}", "FundingDecommitted", "250000"),
        (f"XM-ACCORD-TN-{PROTECTION}", "FundingCommitted", "500000"),
        (f"XM-ACCORD-TN-{PROTECTION}", "FundingIncreased", "250000"),
    ]
