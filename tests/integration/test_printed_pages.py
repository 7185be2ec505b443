"""Every report fits the paper it is printed on: its PDF pages turned into
images have nothing in their margins (no table wider than its page), and
every column a table prints has its heading on the page (none cut off by a
box that scrolls); a column left out for width is said to be, under its
table. On the demo, and on a portfolio funded in four currencies with
amounts and references as long as a store holds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import accord, submit_rows
from workflows.reports.html import SAID, heading

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="no chromium on PATH: install Debian's with `apt-get install -y chromium`",
    ),
]

REPORTS = [("portfolio",), ("partnership", "TN"), ("funding",), ("briefing", "jha-council-2021-06-07")]
# In one currency: the wide funding has no rates, so each of its amounts is listed as not converted.
REPORTS += [("funding", "--in", "EUR"), ("portfolio", "--in", "EUR"), ("partnership", "TN", "--in", "EUR")]
# The pages' margins (workflows/reports/html.py: @page), less a millimetre
# for the anti-aliasing of what stands at their edge.
MARGIN_MM = 12 - 1
DPI = 72


@pytest.fixture(params=["demo", "wide"])
def printed_db(request: pytest.FixtureRequest, demo_db: str) -> str:
    """The demo; and the demo with funding in four currencies on every
    partnership, amounts of twelve digits, references and titles of words
    longer than a column."""
    return wide(demo_db) if request.param == "wide" else demo_db


def wide(demo_db: str) -> str:
    rows: list[dict[str, Any]] = []
    for n, code in enumerate(["AL", "BA", "LY", "MA", "MR", "RS", "TN", "TR"]):
        for currency in ("EUR", "USD", "GBP", "CHF"):
            rows.append(
                {
                    "type": "FundingCommitted",
                    "partner": code,
                    "occurred_on": "2021-03-01",
                    "id": f"wide-{code}-{currency}",
                    "funding": f"{code.lower()}-{currency.lower()}-border-management-and-readmission-facility-{n}",
                    "instrument": "Neighbourhood-Development-and-International-Cooperation-Instrument",
                    "amount": f"{currency} {987654321012 + n}",
                    "title": "Strengthening-integrated-border-management-capacities " * 2,
                    "pillars": ["return_readmission", "migration_governance", "root_causes", "protection"],
                }
            )
    result = submit_rows(demo_db, *rows)
    assert result.exit_code == 0, result.output
    return demo_db


# Printing reads the page the store's reports make, the same on either store.
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("args", REPORTS, ids=lambda args: "-".join(args))
def test_each_printed_page_keeps_its_tables_within_its_margins_and_prints_every_heading(
    printed_db: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    import pymupdf

    db = printed_db
    printed = tmp_path / "report.pdf"
    assert accord(db, "report", *args, "--format", "pdf", "-o", str(printed)).exit_code == 0
    tables = json.loads(accord(db, "report", *args, "--format", "json").stdout)["tables"]

    with pymupdf.open(printed) as document:
        for number, page in enumerate(document, start=1):
            assert _inked_margin(page) == [], f"page {number} has ink in its margins: a table is wider than the page"
        text = " ".join(" ".join(page.get_text().split()) for page in document)
    notes = re.findall(r"Left out on paper, for width: (.*?) \(the HTML", text)
    left_out = {name for note in notes for name in note.split(", ")}
    for table in (table for table in tables if table["rows"]):  # one with none says "None."
        said = SAID.get(table["title"].partition(":")[0], ())  # left to its sentences on a page
        for column in (column for column in table["columns"] if column not in said):
            named = heading(column)
            if named not in left_out:
                assert all(word in text for word in named.split()), f"{table['title']}: {named!r} is not printed"


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_wide_portfolio_is_printed_on_a_page_turned_and_says_what_it_left_out(demo_db: str, tmp_path: Path) -> None:
    import pymupdf

    wide_db = wide(demo_db)
    printed = tmp_path / "portfolio.pdf"
    assert accord(wide_db, "report", "portfolio", "--format", "pdf", "-o", str(printed)).exit_code == 0

    with pymupdf.open(printed) as document:
        # The overview table's page: the one saying what it left out.
        [overview] = [page for page in document if "Left out on paper" in " ".join(page.get_text().split())][:1]
        assert overview.rect.width > overview.rect.height  # landscape
        said = " ".join(overview.get_text().split())
    assert "Left out on paper, for width: Opened on" in said
    assert "(the HTML report has every column)" in said


def _inked_margin(page: Any) -> list[str]:
    """Where the page has ink in its margins (left, right, bottom), as
    'side x=..' descriptions; none on a page whose content keeps within them."""
    import pymupdf

    image = page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY)
    margin = round(MARGIN_MM / 25.4 * DPI)
    width, height, samples = image.width, image.height, image.samples
    found = []
    for side, columns, rows in (
        ("left", range(margin), range(height)),
        ("right", range(width - margin, width), range(height)),
        ("bottom", range(width), range(height - margin, height)),
    ):
        if any(samples[y * image.stride + x] < 200 for y in rows for x in columns):
            found.append(side)
    return found
