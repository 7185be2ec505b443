"""`accord schema` is the contract of `accord submit`: a line the schema
accepts is a line submit accepts, and the other way round."""

import json
import os
from datetime import date
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from domain.errors import DomainError
from domain.schemas import currencies_by_minor_unit
from domain.vocabulary import AMENDMENTS, DIALECT, VOCABULARY, json_schema, parse
from tests.unit.test_vocabulary import SAMPLES

WHOLE = Draft202012Validator(json_schema())
# The same examples on every CI run (a landing never hangs on a new draw);
# new ones on every run elsewhere, where finding one is the point.
FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": bool(os.environ.get("CI"))}
# Corrections and retractions, one on each kind of record.
AMENDMENT_SAMPLES = [
    {"type": "FactCorrected", "partner": "TN", "target": "tn-visit", "changes": {"place": "Tunis"}, "reason": "typo"},
    {"type": "FactRetracted", "meeting": "jha-2021-06", "target": "k1", "reason": "entered twice", "id": "r-1"},
    {"type": "FactCorrected", "instrument": "NDICI", "target": "env", "changes": {"share": "0.1"}, "reason": "x"},
    {"type": "FactRetracted", "initiative": "action-plan", "target": "k2", "reason": "not ours"},
]
DEMO = [
    json.loads(line)
    for line in files("workflows.data").joinpath("demo.jsonl").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def schema_takes(line: dict[str, Any]) -> bool:
    return WHOLE.is_valid(line)


def submit_takes(line: dict[str, Any]) -> bool:
    """Whether submit takes the line's fields. Rules across fields (a period
    that ends before it starts) are what no JSON Schema can say: a line that
    breaks only those counts as taken."""
    try:
        parse(line)
    except ValidationError as error:
        return all(problem["loc"] == () for problem in error.errors())
    except DomainError:
        return False
    return True


def test_the_whole_schema_and_each_types_schema_name_their_dialect():
    assert json_schema()["$schema"] == DIALECT
    for name in [*VOCABULARY, *AMENDMENTS]:
        assert json_schema(name)["$schema"] == DIALECT


def test_every_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(json_schema())
    for name in [*VOCABULARY, *AMENDMENTS]:
        Draft202012Validator.check_schema(json_schema(name))


@pytest.mark.parametrize("line", AMENDMENT_SAMPLES, ids=lambda line: f"{line['type']}-{sorted(line)[1]}")
def test_every_amendment_sample_is_valid_under_the_schema_and_its_types(line):
    assert submit_takes(line)
    assert schema_takes(line)
    assert Draft202012Validator(json_schema(line["type"])).is_valid(line)


@pytest.mark.parametrize("line", DEMO, ids=lambda line: f"{line['type']}:{line.get('id', '')}")
def test_every_line_of_the_demo_is_valid_under_the_schema(line):
    assert schema_takes(line), list(WHOLE.iter_errors(line))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_submission_is_valid_under_its_types_schema(name):
    assert Draft202012Validator(json_schema(name)).is_valid(SAMPLES[name])


# --- Money, fuzzed both ways --------------------------------------------------

CURRENCIES = [code for codes in currencies_by_minor_unit().values() for code in codes]
digits = st.text("0123456789", min_size=1, max_size=22)
plausible = st.builds(
    lambda whole, decimals: f"{whole}.{decimals}" if decimals else str(whole),
    st.integers(0, 10**19),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=4)),
)
amount_text = st.one_of(
    plausible,
    plausible,
    digits,
    st.builds(lambda whole, fraction: f"{whole}.{fraction}", digits, st.text("0123456789", min_size=0, max_size=5)),
    st.builds(
        lambda head, groups: ",".join([head, *groups]),
        st.text("0123456789", min_size=1, max_size=4),
        st.lists(st.text("0123456789", min_size=2, max_size=4), min_size=1, max_size=7),
    ),
    st.builds(lambda text: f"-{text}", digits),
    st.text("0123456789.,-+eE _", max_size=12),
)
currency = st.one_of(
    st.sampled_from(CURRENCIES),
    st.sampled_from(CURRENCIES).map(str.lower),
    st.sampled_from(["XAU", "XDR", "ZZZ", "EU", "EURO", "€", " eur ", "ıdr"]),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
)
money = st.one_of(
    st.builds(lambda c, a, sep: f"{c}{sep}{a}", currency, amount_text, st.sampled_from([" ", "  ", "\t", ""])),
    st.builds(lambda c, a: f"{a} {c}", currency, amount_text),
    st.builds(lambda c, a: {"amount": a, "currency": c}, currency, amount_text),
    st.builds(lambda c, a: {"amount": a, "currency": c}, currency, st.one_of(st.integers(), st.floats())),
    st.builds(lambda c, a: {"amount": a, "currency": c, "extra": 1}, currency, amount_text),
    st.sampled_from([{"amount": "100"}, {"currency": "EUR"}, 100, 1.5, None, [], "EUR", "EUR ١٠٠", "EUR 1٠0"]),
)
BASE = {"type": "FundingCommitted", "partner": "TN", "occurred_on": "2021-05-20", "funding": "f", "instrument": "I"}


@settings(max_examples=1000, **FUZZ)
@given(money)
def test_an_amount_is_taken_by_the_schema_exactly_when_submit_takes_it(amount):
    line = {**BASE, "amount": amount}

    assert schema_takes(line) == submit_takes(line), amount


@pytest.mark.parametrize(
    "amount",
    [
        {"amount": 12345678901234567.89, "currency": "EUR"},
        {"amount": 1000.1, "currency": "EUR"},
        "EUR 1000.505",
        "EUR 99999999999999999999999999999",
    ],
)
def test_the_amounts_submit_refuses_the_schema_refuses(amount):
    line = {**BASE, "amount": amount}

    assert not submit_takes(line)
    assert not schema_takes(line)


@pytest.mark.parametrize(
    "amount", ["EUR 8000000000", "8,000,000,000.50 eur", {"amount": "8000000000", "currency": "EUR"}]
)
def test_the_amounts_submit_takes_the_schema_takes(amount):
    line = {**BASE, "amount": amount}

    assert submit_takes(line)
    assert schema_takes(line)


# --- Every field of every type, fuzzed both ways ------------------------------

# Text without a line break at its end: Python's jsonschema reads a pattern's
# `$` as "at the end, or before a final line break", which JSON Schema's
# regular expressions (and pydantic's) do not.
text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n"), max_size=8)
day = st.dates(min_value=date(1, 1, 1)).map(date.isoformat)
dates = st.one_of(
    day,
    day.map(lambda text: text[:7]),
    day.map(lambda text: text[:4]),
    st.sampled_from(["2021-02-29", "2020-02-29", "1900-02-29", "2000-02-29", "2021-04-31", "0000", "2021-13"]),
    st.sampled_from(["2021-00-10", "2021-1-5", " 2021-05 ", "٢٠٢١", "2021-05-20T10:00", "20210520"]),
)
codes = st.one_of(
    st.sampled_from(["TN", "tn", " Tn ", "XX", "TUN", "T", "", "ıT"]),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=2, max_size=2),
)
numbers = st.one_of(st.integers(-5, 3000), st.floats(allow_nan=False), st.sampled_from([0.5, 2000.0, 90.0, True]))
wild = st.one_of(
    st.none(),
    text,
    numbers,
    dates,
    codes,
    money,
    st.sampled_from(["0.10", ".5", "1", "1.00", "1.5", "0", "protection", "eu", "about", "a-ref", "2021"]),
    st.lists(st.one_of(text, st.sampled_from(["protection", "root_causes", "TN"])), max_size=3),
    st.dictionaries(text, text, max_size=2),
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A sample of some type with one to three fields changed, dropped or added."""
    line = dict(draw(st.sampled_from([*(SAMPLES[name] for name in sorted(SAMPLES)), *AMENDMENT_SAMPLES])))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from([*line, "extra"]))
        if field == "type":
            continue
        if draw(st.integers(0, 9)) == 0:
            line.pop(field, None)
        else:
            line[field] = draw(wild)
    return line


@settings(max_examples=2000, **FUZZ)
@given(mutated())
def test_a_line_is_taken_by_the_schema_exactly_when_submit_takes_its_fields(line):
    assert schema_takes(line) == submit_takes(line), line
