"""Indicators and their figures through `accord submit`, `accord correct`,
`accord retract` and `accord report results`: the note's measures, a
restated figure under --known-at and --as-of, progress from baseline to
target, refusals in sentences, and hostile text escaped in every format.
Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import accord, as_json, submit_rows
from tests.parsed import csv_rows, html_is_inert, markdown_matches

pytestmark = pytest.mark.integration

RETURNS = "TN/returns"


def defined(indicator: str = RETURNS, **fields: Any) -> dict[str, Any]:
    return {
        "type": "IndicatorDefined",
        "indicator": indicator,
        "occurred_on": "2021-01",
        "title": "Returns from the EU carried out",
        "unit": "number",
        "disaggregations": ["nationality"],
        "cadence": "quarterly",
        **fields,
    }


def fact(type_name: str, key: str, indicator: str = RETURNS, **fields: Any) -> dict[str, Any]:
    return {"type": type_name, "id": key, "indicator": indicator, "occurred_on": "2021-07", **fields}


def actual(key: str, period: str, value: Any, **fields: Any) -> dict[str, Any]:
    return fact("ActualReported", key, period=period, value=value, **{"source": "Frontex", **fields})


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def results(db: str, *options: str) -> dict[str, Any]:
    report: dict[str, Any] = as_json(accord(db, "report", "results", "--json", *options))
    return report


def table(report: dict[str, Any], title: str) -> list[dict[str, Any]]:
    return next(t["rows"] for t in report["tables"] if t["title"].startswith(title))


def indicator(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in table(report, "Indicators") if row["indicator"] == name)


@pytest.fixture
def tn(db: str) -> str:
    """Tunisia's returns: a baseline of 100 at the end of 2020, a target of
    200 for 2022, and 150 reported for 2021 (half the way, half the time)."""
    ok(
        submit_rows(
            db,
            {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2020-09-23"},
            defined(),
            fact("BaselineSet", "base", value=100, measured_on="2020-12-31"),
            fact("TargetSet", "target", period="2022", value=200),
            actual("y2021", "2021", 150),
        )
    )
    return db


def test_the_notes_measures_are_recorded_and_reported(demo_db: str) -> None:
    report = results(demo_db)
    figures = {(row["indicator"], row["breakdown"]): row for row in table(report, "Figures")}

    arrivals = figures[("portfolio/arrivals-italy", "whole")]
    assert (arrivals["value"], arrivals["approximation"], arrivals["period"]) == (
        "13000",
        "at_least",
        "2021-01-01/2021-06-06",
    )
    assert figures[("portfolio/arrivals-italy", "route: from Libya")]["value"] == "9000"
    assert figures[("portfolio/arrivals-italy", "route: from Tunisia")]["approximation"] == "at_least"
    assert indicator(report, "portfolio/ndici-migration-share")["target"] == "10"
    assert indicator(report, "portfolio/ndici-migration-amount")["target"] == "8000000000"
    people = ok(accord(demo_db, "report", "results")).output
    assert "at least 13,000" in people and "at most 9,000" in people and "EUR 8,000,000,000" in people


def test_progress_is_the_share_of_the_way_from_baseline_to_target_and_on_track_against_the_time(tn: str) -> None:
    row = indicator(results(tn), RETURNS)

    assert (row["baseline"], row["target"], row["latest"]) == ("100", "200", "150")
    assert (row["progress"], row["expected"], row["status"]) == ("0.5000", "0.5000", "on track")


def test_an_indicator_behind_the_line_by_more_than_the_margin_is_off_track(tn: str) -> None:
    ok(submit_rows(tn, actual("y2021-low", "2021", 110)))

    row = indicator(results(tn), RETURNS)

    assert (row["latest"], row["progress"], row["status"]) == ("110", "0.1000", "off track")


def test_a_restated_actual_shows_its_earlier_version_and_known_at_shows_it_as_first_reported(tn: str) -> None:
    then = datetime.now(UTC)
    ok(submit_rows(tn, actual("y2021-restated", "2021", 160, approximation="about")))

    now = results(tn)
    before = results(tn, "--known-at", then.isoformat())

    assert indicator(now, RETURNS)["latest"] == "160"
    [earlier] = table(now, "Earlier versions")
    assert (earlier["value"], earlier["replaced"], earlier["period"]) == ("150", "restated", "2021")
    assert indicator(before, RETURNS)["latest"] == "150"
    assert table(before, "Earlier versions") == []


def test_as_of_keeps_the_actuals_of_the_periods_ended_by_then(tn: str) -> None:
    ok(submit_rows(tn, actual("q1", "2022-Q1", 170), actual("q2", "2022-Q2", 180)))

    assert indicator(results(tn), RETURNS)["latest_period"] == "2022-Q2"
    assert indicator(results(tn, "--as-of", "2022-05-15"), RETURNS)["latest_period"] == "2022-Q1"
    assert indicator(results(tn, "--as-of", "2021-06-30"), RETURNS)["status"] == "no actual yet"


def test_a_corrected_actual_shows_its_value_before_and_why_and_known_at_shows_the_old(tn: str) -> None:
    then = datetime.now(UTC)
    reason = "Frontex revised its count"
    ok(accord(tn, "correct", "y2021", "--indicator", RETURNS, "--set", "value=155", "--reason", reason))

    now = results(tn)

    assert indicator(now, RETURNS)["latest"] == "155"
    [earlier] = table(now, "Earlier versions")
    assert (earlier["value"], earlier["replaced"], earlier["reason"]) == ("150", "corrected", reason)
    assert indicator(results(tn, "--known-at", then.isoformat()), RETURNS)["latest"] == "150"


def test_a_retracted_actual_leaves_the_report_and_what_it_replaced_stands_again(tn: str) -> None:
    ok(submit_rows(tn, actual("y2021-wrong", "2021", 999)))
    ok(accord(tn, "retract", "y2021-wrong", "--indicator", RETURNS, "--reason", "Morocco's figure"))

    report = results(tn)

    assert indicator(report, RETURNS)["latest"] == "150"
    retracted = [row for row in table(report, "Earlier versions") if row["replaced"] == "retracted"]
    assert [(row["value"], row["reason"]) for row in retracted] == [("999", "Morocco's figure")]


def test_one_partnerships_results_are_its_indicators_only_and_known_at_those_defined_by_then(tn: str) -> None:
    then = datetime.now(UTC)
    ok(submit_rows(tn, defined("portfolio/share", unit="percentage", disaggregations=[])))

    assert [row["indicator"] for row in table(results(tn, "--partner", "tn"), "Indicators")] == [RETURNS]
    assert [row["indicator"] for row in table(results(tn), "Indicators")] == ["portfolio/share", RETURNS]
    assert [row["indicator"] for row in table(results(tn, "--known-at", then.isoformat()), "Indicators")] == [RETURNS]


@pytest.mark.parametrize(
    ("row", "said"),
    [
        (actual("k", "2021", 1, indicator="TN/unknown"), "indicator TN/unknown is not defined"),
        (actual("k", "2021-H1", 1), "a period reads 2021, 2021-Q2, 2021-06 or 2021-01-01/2021-06-07"),
        (actual("k", "2021", 1, breakdown=["route: sea"]), "is not broken down by 'route'"),
        (defined("TN/share", unit="percentage", disaggregations=[]), None),
        (defined("TN/spend", unit="money"), "a money indicator names its currency, e.g. EUR"),
        (defined("MA/returns"), "partnership MA is not opened: record PartnershipOpened for it first"),
    ],
)
def test_a_figure_the_record_cannot_take_is_refused_in_a_sentence_and_stores_nothing(
    tn: str, row: dict[str, Any], said: str | None
) -> None:
    result = submit_rows(tn, row)

    if said is None:
        ok(result)
        refused = submit_rows(tn, fact("TargetSet", "over", indicator="TN/share", period="2022", value=140))
        assert refused.exit_code != 0
        assert "indicator TN/share is a percentage: 140 is not from 0 to 100" in refused.output
        return
    assert result.exit_code != 0
    assert said in result.output
    assert "Traceback" not in result.output


def test_a_period_or_partner_the_report_cannot_read_is_refused(tn: str) -> None:
    wrong = accord(tn, "report", "results", "--partner", "Tunisia")

    assert wrong.exit_code == 2
    assert "--partner names a partnership by its two-letter code, e.g. TN" in wrong.output


HOSTILE = '=HYPERLINK("http://x")|<script>alert(1)</script> **[link](javascript:alert(1))**'


@pytest.mark.hostile
@pytest.mark.parametrize("fmt", ["md", "csv", "html", "json"])
def test_hostile_text_in_an_indicator_and_its_figures_is_escaped_in_every_format(db: str, fmt: str) -> None:
    ok(
        submit_rows(
            db,
            defined("portfolio/hostile", title=HOSTILE, disaggregations=["<b>route</b>"]),
            actual(
                "h", "2021", 5, indicator="portfolio/hostile", source=HOSTILE, breakdown=[f"<b>route</b>: {HOSTILE}"]
            ),
        )
    )
    text = ok(accord(db, "report", "results", "--format", fmt)).output
    report = results(db)

    if fmt == "md":
        markdown_matches(text, report)
    elif fmt == "csv":
        rows = csv_rows(text)
        assert any(row["title"].endswith(HOSTILE) for row in rows)
    elif fmt == "html":
        html_is_inert(text)
        assert "<script>alert" not in text
    else:
        assert json.loads(text)["tables"][0]["rows"][0]["title"] == HOSTILE


def test_the_html_report_draws_each_indicators_trend_with_its_data_beside_it(tn: str) -> None:
    ok(submit_rows(tn, actual("q1", "2022-Q1", 170)))

    page = ok(accord(tn, "report", "results", "--format", "html")).output

    html_is_inert(page)
    assert '<svg class="chart" role="img" aria-label="Trend of TN/returns"' in page
    assert '<polyline class="trend"' in page  # 2021 and 2022-Q1, joined
    assert "actual 2022-Q1: 170" in page  # a point's tooltip


def test_the_margin_of_the_rule_file_in_force_decides_on_or_off_track(tn: str, tmp_path: Any) -> None:
    ok(submit_rows(tn, actual("y2021-low", "2021", 110)))
    rules = tmp_path / "rules.toml"
    rules.write_text("off_track_margin = 40\n" + PREAMBLE_RULE)

    report = as_json(accord(tn, "--rules", str(rules), "report", "results", "--json"))

    assert indicator(report, RETURNS)["status"] == "on track"
    assert "no more than 40 points behind expected" in report["subtitle"]


PREAMBLE_RULE = """\
[[rule]]
name = "visit-held-report"
when = "VisitHeld"
title = "Report on the visit to {partner_name}"
owner = "desk:{partner}"
due = { after = "occurred_on", days = 30 }
"""
