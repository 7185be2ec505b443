"""The round trip: a store exported as IATI (`accord export iati`) and the
file imported into an empty store (`accord import iati --open-partnerships`)
give the same funding report, `accord report funding --json`, pillars and
envelopes included (Accord's IATI vocabulary, docs/recording.md): the demo,
and a richer record of several partners, currencies, pillars, tranches,
decommitments, payments, a correction and a retraction. Tags of Accord's
vocabulary that name no pillar are left out with their reason, and other
publishers' tags say nothing of pillars. Each test runs on SQLite and
PostgreSQL, each store into an empty one of its own kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from domain.initiative import Instrument
from domain.partnership import Partnership as P
from tests.conftest import fresh_postgres_database
from tests.helpers import accord, application, as_json, initialised, submit_rows
from tests.hostile_record import ONE_LINE

pytestmark = pytest.mark.integration

NDICI, TRUST_FUND = "NDICI-Global Europe", "EU Trust Fund for Africa"


@pytest.fixture
def empty(db: str, tmp_path: Path) -> Iterator[str]:
    """A second empty store of the kind `db` is: a SQLite file, or a
    PostgreSQL database of its own."""
    if not db.startswith("postgresql"):
        yield initialised(str(tmp_path / "empty.db"))
        return
    for url in fresh_postgres_database():
        yield initialised(url)


def fact(kind: str, partner: str, funding: str, amount: str, on: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": key,
        "partner": partner,
        "funding": funding,
        "amount": amount,
        "occurred_on": on,
        **extra,
    }


# Several partners, currencies (EUR, USD, GBP, JPY) and instruments; lines
# serving several pillars, one or none; tranches, decommitments and payments,
# some serving other pillars than their line; a payment corrected, another
# retracted; two envelopes, one with a share, one without.
HELD = [
    *({"type": "PartnershipOpened", "partner": code, "occurred_on": "2020-01-15"} for code in ("TN", "MA", "EG")),
    {
        "type": "FundingEnvelopeSet",
        "id": "ndici-envelope",
        "instrument": NDICI,
        "amount": "EUR 8000000000",
        "share": "0.10",
        "first_year": 2021,
        "last_year": 2027,
        "occurred_on": "2021-06",
    },
    {
        "type": "FundingEnvelopeSet",
        "id": "eutf-envelope",
        "instrument": TRUST_FUND,
        "amount": "EUR 5000000000",
        "first_year": 2015,
        "last_year": 2025,
        "occurred_on": "2020",
    },
    fact(
        "FundingCommitted",
        "TN",
        "tn-border",
        "EUR 1250000.10",
        "2021-03-15",
        "tn-border",
        instrument=NDICI,
        title="Border management",
        pillars=["migration_governance", "protection"],
    ),
    fact("FundingIncreased", "TN", "tn-border", "EUR 500000", "2021-09", "tn-border-2", pillars=["protection"]),
    fact("FundingDisbursed", "TN", "tn-border", "EUR 250000.05", "2021-10-01", "tn-border-paid-1"),
    fact(
        "FundingDisbursed",
        "TN",
        "tn-border",
        "EUR 1000000",
        "2022",
        "tn-border-paid-2",
        pillars=["migration_governance", "protection"],
    ),
    fact(
        "FundingCommitted",
        "TN",
        "tn-jobs",
        "EUR 2000000",
        "2022-01",
        "tn-jobs",
        instrument=NDICI,
        title="Jobs for young people",
        pillars=["root_causes"],
    ),
    fact("FundingDecommitted", "TN", "tn-jobs", "EUR 500000", "2023", "tn-jobs-less", pillars=["root_causes"]),
    fact(
        "FundingCommitted",
        "MA",
        "ma-mobility",
        "USD 400000",
        "2022",
        "ma-mobility",
        instrument=NDICI,
        pillars=["legal_pathways"],
    ),
    fact("FundingDisbursed", "MA", "ma-mobility", "USD 100000", "2022-06", "ma-paid", pillars=["legal_pathways"]),
    fact("FundingDisbursed", "MA", "ma-mobility", "USD 50000", "2022-07", "ma-paid-2", pillars=["legal_pathways"]),
    fact("FundingCommitted", "MA", "ma-data", "JPY 50000000", "2021", "ma-data", instrument=NDICI),
    fact(
        "FundingCommitted",
        "EG",
        "eg-returns",
        "GBP 750000.50",
        "2021-07-01",
        "eg-returns",
        instrument=TRUST_FUND,
        title="Return and reintegration",
        pillars=["return_readmission", "migration_governance", "protection"],
    ),
    fact("FundingIncreased", "EG", "eg-returns", "GBP 250000", "2022-02-01", "eg-returns-2"),
    fact("FundingDisbursed", "EG", "eg-returns", "GBP 300000", "2022-03", "eg-returns-paid"),
    fact("FundingDecommitted", "EG", "eg-returns", "GBP 100000.25", "2023-01-15", "eg-returns-less"),
    {
        "type": "FactCorrected",
        "partner": "TN",
        "target": "tn-border-paid-2",
        "changes": {"amount": "EUR 900000"},
        "reason": "the payment order says 900,000",
    },
    {"type": "FactRetracted", "partner": "MA", "target": "ma-paid-2", "reason": "paid from another line"},
]


def held(db: str) -> str:
    result = submit_rows(db, *HELD)
    assert result.exit_code == 0, result.output
    return db


def round_trip(db: str, empty: str, tmp_path: Path) -> Result:
    """`db` exported, and the file imported into `empty`."""
    path = tmp_path / "funding.xml"
    exported = accord(db, "export", "iati", "-o", str(path))
    assert exported.exit_code == 0, exported.output
    imported = accord(empty, "import", "iati", "--open-partnerships", str(path))
    assert imported.exit_code == 0, imported.output
    return imported


def funding(db: str) -> dict[str, Any]:
    """`accord report funding --json`."""
    report: dict[str, Any] = as_json(accord(db, "report", "funding", "--json"))
    return report


def table(report: dict[str, Any], title: str) -> list[dict[str, Any]]:
    [found] = [t for t in report["tables"] if t["title"].startswith(title)]
    rows: list[dict[str, Any]] = found["rows"]
    return rows


def facts(db: str) -> list[tuple[Any, ...]]:
    """Each funding fact and envelope as it stands (corrected, none
    retracted), by key: what IATI carries of it, pillars included."""
    with application(db) as app:
        kinds = [P.FundingCommitted, P.FundingIncreased, P.FundingDisbursed, P.FundingDecommitted]
        found = [
            (
                e.key,
                type(e).__name__,
                e.subject,
                getattr(e, "funding", ""),
                str(e.amount),
                str(e.occurred_on),
                e.pillars,
            )
            for e in app.facts_of_types([*kinds, Instrument.FundingEnvelopeSet])
        ]
    return sorted(found)


def test_the_demo_exported_and_imported_into_an_empty_store_gives_the_same_funding_report(
    demo_db: str, empty: str, tmp_path: Path
) -> None:
    imported = round_trip(demo_db, empty, tmp_path)

    assert (
        imported.stdout == "recorded FundingEnvelopeSet on NDICI-Global Europe (key note-2021-06-06/envelope-NDICI)\n"
    )
    assert "left out: nothing" in imported.stderr
    report = funding(empty)
    assert report == funding(demo_db)
    [envelope] = table(report, "Envelopes and targets")
    assert (envelope["instrument"], envelope["envelope"], envelope["share"]) == (NDICI, "8000000000", "0.10")
    planned = accord(empty, "import", "iati", "--dry-run", str(tmp_path / "funding.xml"))
    assert planned.stdout.splitlines()[:2] == [
        "activity XM-ACCORD-ENVELOPE-NDICI-Global-Europe (line 3): envelope of NDICI-Global Europe",
        "  line 21: recorded before: FundingEnvelopeSet EUR 8000000000 on 2021-06-06",
    ]


def test_a_held_record_exported_and_imported_into_an_empty_store_gives_the_same_funding_report(
    db: str, empty: str, tmp_path: Path
) -> None:
    held(db)

    imported = round_trip(db, empty, tmp_path)

    assert imported.stdout == (
        "recorded 18 event(s): FundingCommitted 5, FundingDecommitted 2, FundingDisbursed 4, "
        "FundingEnvelopeSet 2, FundingIncreased 2, PartnershipOpened 3\n"
    )
    assert "left out: nothing" in imported.stderr
    mine, theirs = funding(db), funding(empty)
    assert theirs == mine
    # Every pillar comes back, each line counted under each of its own.
    pillars = {(row["pillar"], row["currency"]): row["committed"] for row in table(theirs, "By pillar")}
    assert pillars == {
        ("legal_pathways", "USD"): "400000",
        ("migration_governance", "EUR"): "1750000.10",
        ("migration_governance", "GBP"): "900000.25",
        ("protection", "EUR"): "1750000.10",
        ("protection", "GBP"): "900000.25",
        ("return_readmission", "GBP"): "900000.25",
        ("root_causes", "EUR"): "1500000",
        ("", "JPY"): "50000000",
    }
    # And each fact serves the pillars it was recorded with, as corrected, the one retracted left out.
    assert facts(empty) == facts(db)
    assert ("ma-paid-2" not in {key for key, *_ in facts(empty)}) and len(facts(empty)) == 15


def test_a_file_imported_again_records_nothing_more(db: str, empty: str, tmp_path: Path) -> None:
    held(db)
    round_trip(db, empty, tmp_path)

    again = accord(empty, "import", "iati", str(tmp_path / "funding.xml"))

    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("recorded 0 event(s)")
    assert funding(empty) == funding(db)


def test_an_envelope_the_store_already_gives_its_instrument_is_left_out_not_refusing_the_file(
    demo_db: str, tmp_path: Path
) -> None:
    # The demo's envelope, recorded again under another key, with funding on it.
    other = initialised(str(tmp_path / "other.db"))
    rows = [{**row, "id": "another-key"} if row.get("id") == "ndici-envelope" else row for row in HELD[:6]]
    assert submit_rows(other, *rows).exit_code == 0

    imported = round_trip(other, demo_db, tmp_path)

    assert "left out: 1 envelope set before" in imported.stderr
    assert "FundingCommitted 1" in imported.stdout


# Titles and instruments as people write them, spaces and all, and text
# that means something to a terminal, HTML, XML or a spreadsheet.
WRITTEN = [*ONE_LINE, "  two  spaces, and one after ", "\u00a0no-break\u3000ideographic\u2003em"]


@pytest.mark.hostile
def test_titles_and_instruments_come_back_as_written(db: str, empty: str, tmp_path: Path) -> None:
    rows = [
        fact("FundingCommitted", "TN", f"line-{n}", "EUR 1000", "2021", f"line-{n}", instrument=text, title=text)
        for n, text in enumerate(WRITTEN)
    ]
    assert submit_rows(db, {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2020"}, *rows).exit_code == 0

    round_trip(db, empty, tmp_path)

    lines = table(funding(empty), "Funding lines")
    assert {line["funding"]: (line["instrument"], line["title"]) for line in lines} == {
        f"line-{n}": (text, text) for n, text in enumerate(WRITTEN)
    }
    assert funding(empty) == funding(db)


# Another publisher's activity, funding Tunisia: a commitment and a payment,
# with `{tags}` among its elements and `{own}` on the payment's date.
ACTIVITY = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}<iati-activities version="2.03" xmlns:accord="urn:accord:iati">
 <iati-activity default-currency="EUR">
  <iati-identifier>XI-TEST-TAGS</iati-identifier>
  <reporting-org ref="XI-TEST" type="10"><narrative>A publisher</narrative></reporting-org>
  <title><narrative>Tagged</narrative></title>
  <recipient-country code="TN"/>
  {tags}
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-15"/><value currency="EUR">1000</value>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-04-15" {own}/><value currency="EUR">400</value>
  </transaction>
 </iati-activity>
</iati-activities>
"""


def tag(code: str, vocabulary: str = "99", uri: str = "urn:accord:iati:pillars") -> str:
    return f'<tag code="{code}" vocabulary="{vocabulary}" vocabulary-uri="{uri}"/>'


def imported(db: str, tmp_path: Path, tags: str = "", own: str = "", doctype: str = "") -> Result:
    path = tmp_path / "tagged.xml"
    path.write_text(ACTIVITY.format(tags=tags, own=own, doctype=doctype))
    return accord(db, "import", "iati", "--open-partnerships", str(path))


def test_other_publishers_tags_say_nothing_of_pillars(db: str, tmp_path: Path) -> None:
    tags = "".join(
        [
            tag("protection", uri="https://example.org/our-themes"),  # the publisher's own vocabulary
            tag("protection", vocabulary="1"),  # another vocabulary, under Accord's URI
            tag("10.7", vocabulary="3", uri=""),  # a sustainable development target
            tag("root_causes"),
            tag("root_causes"),  # once
        ]
    )

    result = imported(db, tmp_path, tags)

    assert result.exit_code == 0, result.output
    assert "left out: nothing" in result.stderr
    [line] = table(funding(db), "Funding lines")
    assert line["pillars"] == ["root_causes"]
    assert {pillars for *_, pillars in facts(db)} == {("root_causes",)}


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("tags", "own", "left_out"),
    [
        (tag("smuggling"), "", "line 8: leave out: pillar 'smuggling' of Accord's vocabulary"),
        (tag("x" * 100_000), "", "line 8: leave out: pillar 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"),
        (tag(""), "", "line 8: leave out: pillar '(empty)'"),
        (tag("Protection"), "", "line 8: leave out: pillar 'Protection'"),
        (tag("protection\u202eevil"), "", "line 8: leave out: pillar 'protection\\u202eevil'"),  # shown as its escape
        ("", 'accord:pillars="protection smuggling"', "line 12: leave out: pillar 'smuggling'"),
    ],
    ids=["unknown", "absurdly-long", "empty", "capitalised", "bidi", "on-a-transaction"],
)
def test_a_code_of_accords_vocabulary_that_names_no_pillar_is_left_out_with_its_reason(
    db: str, tmp_path: Path, tags: str, own: str, left_out: str
) -> None:
    path = tmp_path / "tagged.xml"
    path.write_text(ACTIVITY.format(tags=tags, own=own, doctype=""))

    planned = accord(db, "import", "iati", "--dry-run", "--open-partnerships", str(path))
    result = accord(db, "import", "iati", "--open-partnerships", str(path))

    assert result.exit_code == 0, result.output
    assert "left out: 1 unknown pillar" in result.stderr
    [said] = [line.strip() for line in planned.stdout.splitlines() if "leave out" in line]
    assert said.startswith(left_out)
    assert said.endswith(
        "is not one of Accord's pillars (protection, root_causes, migration_governance, return_readmission, "
        f"legal_pathways); {'the transaction is' if own else '2 transaction(s)'} left out"
    )
    assert len(said) < 400
    # Never recorded under fewer pillars: the activity (or its payment) is not recorded at all.
    assert [(kind, pillars) for _, kind, *_, pillars in facts(db)] == ([("FundingCommitted", ())] if own else [])


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("doctype", "code", "said"),
    [
        ("", "prot&#0;ection", "invalid xmlChar value 0"),
        (
            '<!DOCTYPE iati-activities [<!ENTITY p SYSTEM "file:///etc/hostname">]>',
            "&p;",
            "Attribute references external entity 'p'",
        ),
        (
            "<!DOCTYPE iati-activities ["
            + '<!ENTITY l0 "protection">'
            + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
            + "]>",
            "&l9;",
            "Maximum entity amplification factor exceeded",
        ),
    ],
    ids=["nul", "external-entity", "billion-laughs"],
)
def test_a_tag_no_xml_reader_should_read_refuses_the_file_in_a_sentence(
    db: str, tmp_path: Path, doctype: str, code: str, said: str
) -> None:
    result = imported(db, tmp_path, tag(code), doctype=doctype)

    assert result.exit_code == 2
    # The file named, and the parser's own words for what is wrong.
    [first, *_] = result.stderr.splitlines()
    assert first.startswith(f"accord: {tmp_path / 'tagged.xml'}: not XML") and said in first
    assert facts(db) == []


def test_an_internal_entity_in_a_tag_is_read_as_the_text_it_stands_for(db: str, tmp_path: Path) -> None:
    doctype = '<!DOCTYPE iati-activities [<!ENTITY p "protection">]>'

    result = imported(db, tmp_path, tag("&p;"), doctype=doctype)

    assert result.exit_code == 0, result.output
    assert {pillars for *_, pillars in facts(db)} == {("protection",)}


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('accord:share="0.10"', 'accord:share="ten percent"', "field 'share': a share reads like 0.10"),
        ('period-start iso-date="2021-01-01"', 'period-start iso-date="20x1-01-01"', "field 'first_year'"),
        (">8000000000<", ">8e9<", "field 'amount': an amount reads like 1250000.50"),
    ],
    ids=["share", "year", "amount"],
)
def test_an_envelope_altered_in_the_file_refuses_it_naming_its_line_and_field(
    demo_db: str, empty: str, tmp_path: Path, old: str, new: str, said: str
) -> None:
    path = tmp_path / "funding.xml"
    assert accord(demo_db, "export", "iati", "-o", str(path)).exit_code == 0
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))

    result = accord(empty, "import", "iati", str(path))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"accord: line 21: FundingEnvelopeSet: {said}")
    assert facts(empty) == []
