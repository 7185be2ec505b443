"""The ECB's reference-rate files read as it publishes them, each rate the
exact text it wrote, and every file that is not one refused by its line."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from workflows.interchange.ecb import RatesFileError, parse_rates, read_rates

ECB = Path(__file__).parent.parent / "fixtures" / "ecb"
HISTORY = ECB / "eurofxref-hist-2021-q2.csv"


def test_the_history_gives_each_day_its_rates_exactly_and_leaves_out_what_is_not_quoted() -> None:
    days = {rates.day: rates for rates in read_rates(HISTORY)}

    assert len(days) == 65
    june17 = days[date(2021, 6, 17)]
    assert (june17.base, june17.rates["USD"], june17.rates["GBP"], june17.rates["JPY"]) == (
        "EUR",
        Decimal("1.1937"),
        Decimal("0.85525"),
        Decimal("132.09"),
    )
    # The history lists withdrawn currencies (CYP, EEK...) as N/A: not quoted that day.
    assert "CYP" not in june17.rates and "EEK" not in june17.rates
    assert str(june17.rates["GBP"]) == "0.85525"


def test_the_days_file_and_the_xml_say_what_the_history_says() -> None:
    [day] = read_rates(ECB / "eurofxref.csv")
    history = {rates.day: rates for rates in read_rates(HISTORY)}
    from_xml = read_rates(ECB / "eurofxref-hist-2021-06.xml")

    assert (day.day, day.rates["USD"], day.rates["GBP"]) == (date(2026, 10, 30), Decimal("1.1172"), Decimal("0.83380"))
    assert [rates.day for rates in from_xml] == [date(2021, 6, 18), date(2021, 6, 17), date(2021, 6, 16)]
    assert all(rates.rates == history[rates.day].rates for rates in from_xml)


def test_a_zip_as_the_ecb_serves_it_is_read_through() -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("eurofxref-hist.csv", HISTORY.read_bytes())

    assert parse_rates(packed.getvalue(), "eurofxref-hist.zip") == read_rates(HISTORY)


HEADER = "Date,USD,GBP,\n"


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        (b"Date,USD,\n\n", "it holds no day of rates"),
        (b"Day,USD\n", "line 1: the ECB's files begin with a header 'Date, USD, JPY, ...'"),
        (b"Date,usd,GBP,\n", "line 1: 'usd' is not a currency"),
        (b"Date,USD,USD,\n", "line 1: its currencies are missing, repeated or too many"),
        ((HEADER + "2021-06-17,1.1937,0.85525,\n2021-02-30,1.2,0.9,\n").encode(), "line 3: '2021-02-30' is not a day"),
        ((HEADER + "2021-06-17,1,19,0.85,\n").encode(), "line 2: 3 values for 2 currencies"),
        ((HEADER + "2021-06-17,1e3,0.85,\n").encode(), "line 2: '1e3' is not a rate of USD"),
        ((HEADER + "2021-06-17,-1.2,0.85,\n").encode(), "line 2: '-1.2' is not a rate of USD"),
        ((HEADER + "2021-06-17,0,0.85,\n").encode(), "line 2: '0' is not a rate of USD"),
        ((HEADER + "2021-06-17,١٫٢,0.85,\n").encode(), "is not a rate of USD"),
        ((HEADER + "2021-06-17,N/A,N/A,\n").encode(), "line 2: no currency is quoted"),
        (b"Date,EUR,\n2021-06-17,1,\n", "line 2: EUR is quoted against itself"),
        (b"\xff\xfeD\x00", "not UTF-8 text"),
        (b"<Envelope><Cube></Cube></Envelope>", "it holds no Cube with a time"),
        (b"<not xml", "line 1: not XML that can be read"),
    ],
)
def test_a_file_that_is_not_the_ecbs_is_refused_by_its_line(content: bytes, says: str) -> None:
    with pytest.raises(RatesFileError) as refused:
        parse_rates(content, "rates.csv")

    assert str(refused.value).startswith("rates.csv: ")
    assert says in str(refused.value)
    assert str(refused.value).endswith("nothing was recorded")


@pytest.mark.hostile
def test_xml_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("1.5")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<e xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
        "<Cube><Cube time='2021-06-17'><Cube currency='USD' rate='&x;'/></Cube></Cube></e>"
    ).encode()

    with pytest.raises(RatesFileError) as refused:
        parse_rates(xml, "rates.xml")

    assert "external entity 'x'" in str(refused.value)
    assert "1.5" not in str(refused.value)


@pytest.mark.hostile
def test_a_zip_of_several_files_is_refused() -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("a.csv", "Date,USD,\n")
        archive.writestr("b.csv", "Date,USD,\n")

    with pytest.raises(RatesFileError, match="a zip of the ECB holds one file; this one holds 2"):
        parse_rates(packed.getvalue(), "rates.zip")
