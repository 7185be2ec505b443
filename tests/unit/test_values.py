"""Value objects: dates of known precision, money, partner codes, stamps."""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.base import latest_calendar_day
from domain.codes import country_name, partner_code
from domain.errors import AmountNotPositive, AmountTooLarge, AmountTooPrecise, UnknownCurrency, UnknownPartner
from domain.recorded import RECORDED
from domain.values import EventDate, Money, PartnerCode, Stamp

# --- EventDate -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "precision", "earliest", "latest"),
    [
        ("2021-05-20", "day", date(2021, 5, 20), date(2021, 5, 20)),
        ("2020-12", "month", date(2020, 12, 1), date(2020, 12, 31)),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("2021", "year", date(2021, 1, 1), date(2021, 12, 31)),
    ],
)
def test_a_date_keeps_the_precision_it_was_given(text, precision, earliest, latest):
    parsed = EventDate.parse(text)

    assert parsed.precision == precision
    assert parsed.earliest == earliest
    assert parsed.latest == latest
    assert str(parsed) == text


def test_a_date_is_read_with_surrounding_spaces():
    assert EventDate.parse(" 2021-05-20 ") == EventDate(2021, 5, 20)


@pytest.mark.parametrize(
    "text", ["2021-02-30", "2021-13", "2021-00", "0000", "2021-5-20", "20-05-2021", "May 2021", ""]
)
def test_a_text_that_is_not_a_calendar_date_is_refused(text):
    with pytest.raises(ValueError, match="date"):
        EventDate.parse(text)


def test_a_day_without_a_month_is_not_a_date():
    with pytest.raises(ValueError, match="not a calendar date"):
        EventDate(2021, None, 5)


def test_dates_are_ordered_by_their_first_day_then_their_last():
    dates = [EventDate.parse(text) for text in ["2021-06", "2021", "2021-05-20", "2021-06-01", "2020-12"]]

    assert [str(d) for d in sorted(dates)] == ["2020-12", "2021", "2021-05-20", "2021-06-01", "2021-06"]


def test_dates_of_different_precision_are_not_equal_even_when_they_share_a_first_day():
    assert EventDate.parse("2021-06") != EventDate.parse("2021-06-01")
    assert EventDate.parse("2021-06-01") < EventDate.parse("2021-06")
    assert max(EventDate.parse("2021-06-01"), EventDate.parse("2021-06")) == EventDate.parse("2021-06")


def test_a_date_is_made_from_a_calendar_day():
    assert EventDate.of(date(2021, 5, 20)) == EventDate.parse("2021-05-20")


# --- Money -----------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "EUR 1250000.10",
        "eur 1250000.10",
        "1250000.10 EUR",
        "EUR 1,250,000.10",
        {"amount": "1250000.10", "currency": "EUR"},
        {"amount": Decimal("1250000.10"), "currency": "eur"},
    ],
)
def test_money_is_read_from_text_or_from_its_fields(given):
    money = Money.model_validate(given)

    assert money.amount == Decimal("1250000.10")
    assert str(money.amount) == "1250000.10"
    assert money.currency == "EUR"


@pytest.mark.parametrize("given", ["EUR 0", "EUR 0.00", "EUR -250", {"amount": "-0.01", "currency": "EUR"}])
def test_money_that_is_not_positive_is_refused(given):
    with pytest.raises(ValidationError) as caught:
        Money.model_validate(given)

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], AmountNotPositive)
    assert "amount must be positive" in str(caught.value)


@pytest.mark.parametrize("given", ["EUR NaN", "EUR Infinity"])
def test_money_that_is_not_a_finite_number_is_refused(given):
    with pytest.raises(ValidationError, match="an amount reads like"):
        Money.model_validate(given)


@pytest.mark.parametrize("given", ["EUR 1.000,50", "EUR 1,00", "EUR 12,34,567"])
def test_money_in_an_ambiguous_format_is_refused_rather_than_misread(given):
    with pytest.raises(ValidationError, match="an amount reads like"):
        Money.model_validate(given)


def test_money_with_thousands_separators_reads_exactly():
    assert Money.model_validate("EUR 1,250,000.50").amount == Decimal("1250000.50")


def test_money_in_an_unknown_currency_is_refused():
    with pytest.raises(ValidationError) as caught:
        Money.model_validate("ZZZ 100")

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], UnknownCurrency)
    assert "unknown currency 'ZZZ'" in str(caught.value)


@pytest.mark.parametrize("given", ["EUR", "EUR 100 200", "EUR100"])
def test_money_text_must_name_a_currency_and_an_amount(given):
    with pytest.raises(ValidationError, match="money reads like 'EUR 1250000'"):
        Money.model_validate(given)


@pytest.mark.parametrize(
    "given",
    [
        {"amount": 12345678901234567.89, "currency": "EUR"},
        {"amount": 1000.1, "currency": "EUR"},
        {"amount": 1000, "currency": "EUR"},
    ],
)
def test_an_amount_given_as_a_json_number_is_refused_with_a_sentence_saying_to_quote_it(given):
    with pytest.raises(ValidationError, match=r'an amount is written as text, in quotes \("1250000.50"\)'):
        Money.model_validate(given)


def test_money_given_as_a_bare_number_is_refused_for_want_of_its_currency():
    with pytest.raises(ValidationError, match="money names its currency"):
        Money.model_validate(1000)


@pytest.mark.parametrize(
    ("given", "sentence"),
    [
        ("EUR 1000.505", "EUR has 2 decimals (ISO 4217): 1000.505 has 3"),
        ("EUR 1000.500", "EUR has 2 decimals (ISO 4217): 1000.500 has 3"),
        ("JPY 100.5", "JPY has 0 decimals (ISO 4217): 100.5 has 1"),
        ({"amount": "0.0001", "currency": "TND"}, "TND has 3 decimals (ISO 4217): 0.0001 has 4"),
    ],
)
def test_an_amount_with_more_decimals_than_its_currency_has_is_refused(given, sentence):
    with pytest.raises(ValidationError, match=re.escape(sentence)) as caught:
        Money.model_validate(given)

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], AmountTooPrecise)


@pytest.mark.parametrize("given", ["JPY 1000", "TND 1000.125", "EUR 1000.5", "CLF 1.2345"])
def test_an_amount_with_up_to_its_currencys_decimals_is_taken(given):
    assert str(Money.model_validate(given).amount) == given.split()[1]


@pytest.mark.parametrize(
    "given",
    [
        "EUR 99999999999999999999999999999",
        "EUR 1,000,000,000,000,000,000",
        "EUR 0000000000000000001",
        {"amount": Decimal("1E+18"), "currency": "EUR"},
    ],
)
def test_an_amount_of_more_than_eighteen_digits_before_the_point_is_refused(given):
    with pytest.raises(ValidationError, match="an amount has at most 18 digits before the decimal point") as caught:
        Money.model_validate(given)

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], AmountTooLarge)


def test_the_largest_amount_is_taken_exactly():
    assert Money.model_validate("EUR 999,999,999,999,999,999.99").amount == Decimal("999999999999999999.99")


def test_a_unit_that_has_no_minor_unit_is_not_money():
    with pytest.raises(ValidationError, match="XAU has no minor unit in ISO 4217"):
        Money.model_validate("XAU 10")


def test_money_recorded_before_the_checks_on_decimals_and_size_is_read_as_it_was():
    recorded = {"amount": "99999999999999999999999999999.505", "currency": "EUR"}

    money = Money.model_validate(recorded, context=RECORDED)

    assert money.amount == Decimal("99999999999999999999999999999.505")
    with pytest.raises(ValidationError):
        Money.model_validate(recorded)


def test_money_is_shown_with_its_currency_and_grouped_digits():
    assert str(Money.model_validate("EUR 1250000.10")) == "EUR 1,250,000.10"


def test_money_is_immutable():
    money = Money.model_validate("EUR 100")

    with pytest.raises(ValidationError):
        money.amount = Decimal(1)  # type: ignore[misc]


# --- Partner codes -----------------------------------------------------------

PARTNER = TypeAdapter(PartnerCode)


@pytest.mark.parametrize("given", ["TN", "tn", " tn "])
def test_a_partner_code_is_an_iso_country_code_in_capitals(given):
    assert PARTNER.validate_python(given) == "TN"


def test_a_partner_code_that_names_no_country_is_refused():
    with pytest.raises(ValidationError) as caught:
        PARTNER.validate_python("XX")

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], UnknownPartner)
    assert "unknown partner 'XX'" in str(caught.value)


@pytest.mark.parametrize("given", ["TUN", "T", "T1"])
def test_a_partner_code_is_two_letters(given):
    with pytest.raises(ValidationError):
        PARTNER.validate_python(given)


def test_a_country_is_named_by_its_common_name():
    assert country_name("TN") == "Tunisia"
    assert country_name("TW") == "Taiwan"


def test_naming_an_unknown_country_is_refused():
    with pytest.raises(UnknownPartner):
        country_name("XX")


# --- Stamps and the recording moment -------------------------------------------


def test_a_stamp_needs_a_timezone_aware_moment():
    with pytest.raises(ValueError, match="timezone-aware"):
        Stamp("analyst", datetime(2021, 6, 6, 12), "key")


@pytest.mark.parametrize(
    ("moment", "latest"),
    [
        (datetime(2021, 6, 6, 9, 59, tzinfo=UTC), date(2021, 6, 6)),
        (datetime(2021, 6, 6, 10, 0, tzinfo=UTC), date(2021, 6, 7)),
        (datetime(2021, 6, 6, 0, 0, tzinfo=timezone(timedelta(hours=-10))), date(2021, 6, 7)),
    ],
)
def test_the_latest_calendar_day_is_the_date_in_utc_plus_14(moment, latest):
    assert latest_calendar_day(moment) == latest


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("tn ", "TN"),
        ("Tunisia", "TN"),
        ("TUNISIA", "TN"),
        ("türkiye", "TR"),
        ("Turkiye", "TR"),
        ("Republic of Serbia", "RS"),
    ],
)
def test_a_partner_is_taken_by_its_code_or_its_countrys_name_in_any_case(typed, code):
    assert partner_code(typed) == code


def test_an_unknown_partner_name_is_refused_naming_the_closest_codes_with_their_names():
    with pytest.raises(UnknownPartner) as refused:
        partner_code("Tunesia")

    assert str(refused.value).startswith(
        "unknown partner 'Tunesia': neither an ISO 3166-1 alpha-2 code nor a country's name; the closest: TN (Tunisia)"
    )
