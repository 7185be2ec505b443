"""Indicators as facts: defined for a partnership or the portfolio, their
baseline, targets and actual figures, each figure held to its indicator's
unit and breakdown, and each refusal said in a sentence."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.amendments import amend
from domain.base import record_fact
from domain.errors import BreakdownNotDeclared, DomainError, FigureOutOfUnit, IndicatorNotDefined
from domain.indicator import Indicator, scope_of
from domain.measures import span
from domain.vocabulary import describe, parse

ARRIVALS = {
    "type": "IndicatorDefined",
    "indicator": "portfolio/arrivals-italy",
    "occurred_on": "2021-06",
    "title": "Arrivals in Italy by sea",
    "unit": "number",
    "direction": "down",
    "disaggregations": ["route"],
}
SHARE = {
    "type": "IndicatorDefined",
    "indicator": "portfolio/ndici-migration-share",
    "occurred_on": "2021-06",
    "title": "Share of NDICI for migration",
    "unit": "percentage",
}
SPENT = {
    "type": "IndicatorDefined",
    "indicator": "TN/border-spend",
    "occurred_on": "2021-06",
    "title": "Spent on border management",
    "unit": "money",
    "currency": "TND",
}


def record(aggregate, data, stamp, key=None):
    submission = parse(data)
    return record_fact(
        aggregate, submission.aggregate_class, submission.event_class, submission.facts(), stamp(key), validated=True
    )[0]


def actual(**fields):
    return {
        "type": "ActualReported",
        "indicator": "portfolio/arrivals-italy",
        "occurred_on": "2021-06-06",
        "period": "2021-01-01/2021-06-06",
        "value": "13,000",
        "approximation": "at_least",
        "source": "UNHCR",
        **fields,
    }


def problems(data):
    with pytest.raises(ValidationError) as raised:
        parse(data)
    return describe(raised.value)


def test_an_indicator_is_keyed_by_its_scope_and_code_whatever_their_case():
    assert Indicator.id_for("TN/returns") == Indicator.id_for("tn/RETURNS")
    assert Indicator.id_for("TN/returns") != Indicator.id_for("MA/returns")
    assert scope_of("TN/returns") == "TN"
    assert scope_of("portfolio/migration-share") == "portfolio"


def test_the_notes_measures_are_recorded_as_facts_of_their_indicator(stamp):
    indicator = record(None, ARRIVALS, stamp)
    indicator = record(indicator, actual(), stamp)
    indicator = record(indicator, actual(value="9,000", breakdown=["Route : from Libya"], approximation="about"), stamp)
    events = indicator.collect_events()

    assert [type(event).__name__ for event in events] == ["IndicatorDefined", "ActualReported", "ActualReported"]
    assert events[1].value == Decimal(13000)
    assert events[2].breakdown == ("route: from Libya",)
    assert str(events[2].approximation) == "about"


def test_a_figure_on_an_indicator_never_defined_is_refused(stamp):
    with pytest.raises(IndicatorNotDefined, match="indicator portfolio/arrivals-italy is not defined"):
        record(None, actual(), stamp)


def test_a_percentage_above_100_is_refused_in_a_sentence(stamp):
    indicator = record(None, SHARE, stamp)
    target = {"type": "TargetSet", "indicator": SHARE["indicator"], "occurred_on": "2021-06", "period": "2027"}

    with pytest.raises(FigureOutOfUnit, match="is a percentage: 140 is not from 0 to 100"):
        record(indicator, {**target, "value": 140}, stamp)
    assert record(indicator, {**target, "value": 10}, stamp).version == 2


def test_money_has_its_currency_and_no_more_decimals_than_it():
    assert problems({**SPENT, "currency": None}) == ["a money indicator names its currency, e.g. EUR"]
    assert problems({**SHARE, "currency": "EUR"}) == ["only a money indicator has a currency; this one is a percentage"]


def test_an_amount_more_precise_than_its_currency_or_negative_is_refused(stamp):
    indicator = record(None, SPENT, stamp)
    baseline = {"type": "BaselineSet", "indicator": "TN/border-spend", "occurred_on": "2021-06", "measured_on": "2020"}

    with pytest.raises(FigureOutOfUnit, match="TND, which has 3 decimals"):
        record(indicator, {**baseline, "value": "10.0005"}, stamp)
    with pytest.raises(FigureOutOfUnit, match="is negative"):
        record(indicator, {**baseline, "value": -5}, stamp)


def test_a_figure_is_broken_down_only_by_its_indicators_categories(stamp):
    indicator = record(None, ARRIVALS, stamp)

    with pytest.raises(BreakdownNotDeclared, match="not broken down by 'nationality' \\(its categories: route\\)"):
        record(indicator, actual(breakdown=["nationality: Tunisian"]), stamp)


@pytest.mark.parametrize(
    ("period", "said"),
    [
        ("2021-H1", "a period reads 2021, 2021-Q2, 2021-06 or 2021-01-01/2021-06-07"),
        ("2021-Q5", "a period reads"),
        ("21", "a period reads"),
        ("2021-06-07/2021-01-01", "the period 2021-06-07/2021-01-01 ends before it starts"),
        ("2021-02-30/2021-03-01", "the period 2021-02-30/2021-03-01: 2021-02-30 is not a calendar day"),
    ],
)
def test_a_period_in_another_notation_is_refused_in_a_sentence(period, said):
    assert said in " ".join(problems(actual(period=period)))


def test_a_period_covers_its_days():
    assert (span("2021").first.isoformat(), span("2021").last.isoformat()) == ("2021-01-01", "2021-12-31")
    assert span("2021-Q2").last.isoformat() == "2021-06-30"
    assert span("2020-02").last.isoformat() == "2020-02-29"
    assert span("2021-01-01/2021-06-07").last.isoformat() == "2021-06-07"


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("value", "said"),
    [
        (12.5, "a figure with decimals is written as text, e.g. '12.5'"),
        (True, "a figure reads like 13000"),
        ("1e5", "a figure reads like 13000"),
        ("13.000,5", "a figure reads like 13000"),
        (10**15, "at most 15 digits"),
        ("0.1234567", "a figure reads like"),
    ],
)
def test_a_figure_that_is_not_exact_is_refused(value, said):
    assert said in " ".join(problems(actual(value=value)))


def test_a_breakdown_names_each_category_once_and_reads_category_colon_value():
    assert "names each category once; route is named more than once" in " ".join(
        problems(actual(breakdown=["route: from Libya", "Route: from Tunisia"]))
    )
    assert "a breakdown reads 'category: value'" in " ".join(problems(actual(breakdown=["from Libya"])))


@pytest.mark.hostile
def test_an_indicator_is_named_by_its_scope_and_code():
    wrong_names = ("arrivals", "Portfolio/arrivals", "tn/arrivals", "XX/arrivals", "TN/", "TN/a b", "TN/\x1b[2J")
    for wrong in (*wrong_names, "TN/" + "a" * 120, "TN/arrivals\n"):
        assert problems({**ARRIVALS, "indicator": wrong}), wrong
    assert "an indicator is named SCOPE/CODE" in " ".join(problems({**ARRIVALS, "indicator": "arrivals"}))


def test_a_funding_line_is_measured_by_its_partnerships_indicator_only():
    assert problems({**ARRIVALS, "measures_funding": "f1"}) == [
        "a funding line is one partnership's: a portfolio indicator does not measure one"
    ]


def amendment(data, history, stamp):
    submission = parse(data)
    return amend(Indicator, history, submission.event_class, submission.facts(), stamp())


def test_an_actual_is_corrected_and_retracted_as_every_fact(stamp):
    indicator = record(None, ARRIVALS, stamp)
    history = record(indicator, actual(), stamp, key="arrivals-june").collect_events()
    named = {"indicator": "portfolio/arrivals-italy", "target": "arrivals-june"}
    fixed = {**named, "type": "FactCorrected", "changes": {"value": "13,500"}, "reason": "UNHCR revised it"}

    corrected = amendment(fixed, history, stamp)
    retracted = amendment({**named, "type": "FactRetracted", "reason": "another country's figure"}, history, stamp)

    assert corrected.pending_events[-1].changes == {"value": "13500"}
    assert type(retracted.pending_events[-1]).__name__ == "FactRetracted"


def test_a_correction_that_breaks_the_indicators_rules_is_refused(stamp):
    history = record(record(None, ARRIVALS, stamp), actual(), stamp, key="june").collect_events()
    wrong = {
        "type": "FactCorrected",
        "indicator": "portfolio/arrivals-italy",
        "target": "june",
        "changes": {"breakdown": ["nationality: Tunisian"]},
        "reason": "by nationality",
    }

    with pytest.raises(DomainError, match="not broken down by 'nationality'"):
        amendment(wrong, history, stamp)
