"""Amounts as reports print them: grouped for people, plain for machines,
every digit kept and never in exponent notation."""

import csv
import io
import json
from decimal import Decimal

import pytest

from workflows.reports import Report, render
from workflows.reports.model import Table
from workflows.reports.numbers import Amount, grouped, plain


@pytest.mark.parametrize(
    ("value", "people", "machines"),
    [
        (Decimal("1250000.10"), "1,250,000.10", "1250000.10"),
        (Decimal("0.10"), "0.10", "0.10"),
        (Decimal("1E+29"), "100,000,000,000,000,000,000,000,000,000", "100000000000000000000000000000"),
        (
            Decimal("1.000000000000000000000125040E+29"),
            "100,000,000,000,000,000,000,012,504,000",
            "100000000000000000000012504000",
        ),
        (Decimal("999999999999999999.9999"), "999,999,999,999,999,999.9999", "999999999999999999.9999"),
        (Decimal("-500000"), "-500,000", "-500000"),
    ],
)
def test_an_amount_is_grouped_for_people_and_plain_for_machines_with_every_digit(value, people, machines):
    assert grouped(value) == people
    assert plain(value) == machines


def test_every_format_prints_amounts_without_an_exponent():
    huge = Decimal("1.000000000000000000000125040E+29")
    report = Report(
        "Funding",
        figures={"committed EUR": huge},
        tables=[
            Table(
                "Lines",
                ["funding", "committed", "totals"],
                [{"funding": "f", "committed": huge, "totals": [Amount("EUR", huge)]}],
            )
        ],
    )

    markdown, document = render(report, "md"), json.loads(render(report, "json"))
    [row] = csv.DictReader(io.StringIO(render(report, "csv")))

    assert "- **committed EUR**: 100,000,000,000,000,000,000,012,504,000" in markdown
    assert "| f | 100,000,000,000,000,000,000,012,504,000 | EUR 100,000,000,000,000,000,000,012,504,000 |" in markdown
    assert document["figures"]["committed EUR"] == "100000000000000000000012504000"
    assert document["tables"][0]["rows"][0]["totals"] == ["EUR 100000000000000000000012504000"]
    assert (row["committed"], row["totals"]) == ("100000000000000000000012504000", "EUR 100000000000000000000012504000")
    assert "E+" not in markdown + render(report, "json") + render(report, "csv")
