"""Reports people are handed: shares as percentages, pillars by their
labels, a line with no pillar said as such, and the portfolio's cards
counting the tasks its chart shows; machines (JSON, CSV) keep the codes and
fractions."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.helpers import accord, jsonl

pytestmark = pytest.mark.integration

FUNDED = [
    {"type": "FundingCommitted", "partner": "TN", "occurred_on": "2021-03-15", "funding": "tn-1",
     "instrument": "NDICI-Global Europe", "amount": "EUR 3042500000", "pillars": ["migration_governance"]},
    {"type": "FundingCommitted", "partner": "MA", "occurred_on": "2021-03-15", "funding": "ma-1",
     "instrument": "NDICI-Global Europe", "amount": "EUR 1000"},
    {"type": "FundingDisbursed", "partner": "MA", "occurred_on": "2021-06-01", "funding": "ma-1", "amount": "EUR 250"},
]  # fmt: skip


@pytest.fixture
def funded(demo_db: str) -> str:
    assert accord(demo_db, "submit", "--file", "-", input=jsonl(FUNDED)).exit_code == 0
    return demo_db


def report(db: str, kind: str, fmt: str) -> str:
    result = accord(db, "report", kind, "--format", fmt)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_people_read_shares_as_percentages_and_pillars_by_their_labels(funded: str, fmt: str) -> None:
    text = report(funded, "funding", fmt)

    assert "38.03%" in text  # EUR 3,042,501,000 of the EUR 8,000,000,000 envelope
    assert "25%" in text  # MA: 250 of 1,000 paid
    assert "10%" in text  # the envelope's share of the instrument
    assert "Migration governance" in text and "No pillar given" in text
    assert "migration_governance" not in text and "(none)" not in text
    assert not re.search(r"\b0\.\d{6}\b", text)  # no fraction of six places left for people


def test_machines_keep_fractions_and_codes(funded: str) -> None:
    data = json.loads(report(funded, "funding", "json"))
    rows = list(csv.DictReader(io.StringIO(report(funded, "funding", "csv"))))

    assert data["figures"]["NDICI-Global Europe committed of target"] == "0.380313"
    [ma] = [row for row in rows if row["table"] == "By partner" and row["partner"] == "MA"]
    assert ma["disbursed_ratio"] == "0.250000"
    assert {row["pillar"] for row in rows if row["table"].startswith("By pillar")} == {"", "migration_governance"}
    lines = next(table for table in data["tables"] if table["title"] == "Funding lines")["rows"]
    assert {line["funding"]: line["pillars"] for line in lines} == {"ma-1": [], "tn-1": ["migration_governance"]}


def test_the_portfolio_cards_count_the_tasks_its_chart_shows(funded: str) -> None:
    page = report(funded, "portfolio", "html")
    portfolio = json.loads(report(funded, "portfolio", "json"))
    every = json.loads(accord(funded, "tasks", "--json").stdout)

    cards = portfolio["figures"]
    assert cards["Open tasks"] == len(every)
    assert cards["Overdue tasks"] == sum(task["overdue"] for task in every)
    said = re.search(r"(\d+) open tasks, (\d+) overdue on", page)
    assert said is not None
    assert (int(said[1]), int(said[2])) == (cards["Open tasks"], cards["Overdue tasks"])
    assert any(not task["partner"] for task in every)  # tasks on meetings count too


def test_dates_and_amounts_never_wrap_in_a_page(funded: str) -> None:
    page = report(funded, "funding", "html")

    assert "td.whole { white-space: nowrap; }" in page
    assert '<td class="whole">15 March 2021</td>' in page
    assert '<td class="whole">3,042,500,000</td>' in page


def test_a_bar_past_its_target_is_clipped_at_the_frame_and_marked(demo_db: str) -> None:
    over = {**FUNDED[0], "amount": "EUR 83920000000"}  # 1049% of the EUR 8,000,000,000 envelope
    assert accord(demo_db, "submit", "--file", "-", input=jsonl([over])).exit_code == 0

    page = report(demo_db, "funding", "html")

    widths = [float(width) for width in re.findall(r'class="outer" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', page)]
    assert widths and max(widths) <= 500  # the plot's width
    assert 'class="beyond"' in page
    assert "of 8,000,000,000 target (1,049%)" in page


def test_tasks_by_week_become_tasks_by_month_past_a_year_of_weeks() -> None:
    from datetime import date, timedelta

    from workflows.reports.charts import MOST_COLUMNS, tasks_figure

    start = date(2021, 1, 4)
    weekly = [
        {"due_on": (start + timedelta(weeks=n)).isoformat(), "open": 1, "overdue": int(n < 10)}
        for n in range(MOST_COLUMNS)
    ]
    more = [*weekly, {"due_on": (start + timedelta(weeks=MOST_COLUMNS)).isoformat(), "open": 1, "overdue": 0}]

    by_week, by_month = tasks_figure(weekly, date(2021, 3, 15)), tasks_figure(more, date(2021, 3, 15))

    assert by_week.data.title == "Open tasks by due week" and len(by_week.data.rows) == MOST_COLUMNS
    assert by_month.data.title == "Open tasks by due month" and len(by_month.data.rows) == 13
    assert sum(row["open"] for row in by_month.data.rows) == len(more)
    assert sum(row["overdue"] for row in by_month.data.rows) == 10
