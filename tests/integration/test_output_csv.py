"""CSV reports open in a spreadsheet as data, never as formulas: a text cell
beginning `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
leading `'` (OWASP), numbers and dates as they are. On SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest

from tests.helpers import accord, open_partners, submit_rows

pytestmark = pytest.mark.integration

FORMULA = '=HYPERLINK("http://evil.example/","x")'


def rows(db: str, *args: str) -> list[dict[str, str]]:
    result = accord(db, "report", *args, "--format", "csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_formula_in_a_funding_title_is_inert_in_csv(db: str) -> None:
    open_partners(db, "TN")
    funded = {
        "type": "FundingCommitted",
        "partner": "TN",
        "occurred_on": "2021-03-01",
        "funding": "T05.1",
        "instrument": "NDICI",
        "amount": "EUR 1000000",
    }
    assert submit_rows(db, {**funded, "title": FORMULA}).exit_code == 0
    assert submit_rows(db, {**funded, "funding": "T05.2", "title": "-5 tonnes of equipment"}).exit_code == 0

    lines = {row["funding"]: row for row in rows(db, "funding") if row["table"] == "Funding lines"}

    assert lines["T05.1"]["title"] == "'" + FORMULA
    assert lines["T05.2"]["title"] == "'-5 tonnes of equipment"  # looks like a number, is text
    assert lines["T05.1"]["committed"] == "1000000"  # a number stays a number
    [by_year] = [row for row in rows(db, "funding") if row["table"] == "By year committed"]
    assert by_year["year"] == "2021" and by_year["disbursed_ratio"] == "0.000000"


def test_every_text_cell_of_every_csv_report_is_inert(db: str) -> None:
    open_partners(db, "TN")
    commitment = {
        "type": "CommitmentRecorded",
        "partner": "TN",
        "occurred_on": "2021-02-01",
        "commitment": "c1",
        "party": "eu",
        "description": "@SUM(A1:A9)",
    }
    assert submit_rows(db, commitment).exit_code == 0

    for args in (("partnership", "TN"), ("portfolio",)):
        for row in rows(db, *args):
            for column, text in row.items():
                assert not text.startswith(("=", "+", "-", "@", "\t", "\r")), (args, column, text)
    [open_commitment] = [row for row in rows(db, "partnership", "TN") if row["table"] == "Open commitments"]
    assert open_commitment["description"] == "'@SUM(A1:A9)"
