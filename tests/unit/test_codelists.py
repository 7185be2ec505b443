"""IATI's codelists as vendored (workflows/data/iati-codelists): each file
well-formed and IATI's, read once, its codes known or withdrawn as IATI
lists them, its version named by its repository and commit; and the
sentences the IATI import gives for a code a list does not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from domain.codes import country_codes
from workflows.interchange import codelists
from workflows.interchange.codelists import SOURCES, codelist, known, withdrawn
from workflows.interchange.iati_codes import (
    SHOWN,
    notes,
    quoted,
    unknown_transaction_type,
    unrecordable_country,
    unrecordable_currency,
)

README = (codelists.DATA / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_vendored_codelist_is_well_formed_iati_and_named_with_its_commit_in_the_readme(name: str) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(codelists.DATA / f"{name}.xml"), parser).getroot()

    assert (root.tag, root.get("name")) == ("codelist", name)
    assert f"`{name}.xml`" in README and SOURCES[name].commit in README
    assert re.fullmatch(r"[0-9a-f]{40}", SOURCES[name].commit)


@pytest.mark.parametrize(
    ("name", "characters"),
    [
        ("Country", 60_508),
        ("Currency", 31_824),
        ("OrganisationType", 5_752),
        ("Region", 4_810),
        ("Sector", 80_049),  # the extract; the published file is 300,402
        ("SectorCategory", 22_169),
        ("TransactionType", 4_503),
    ],
)
def test_each_file_is_as_long_as_the_readme_says_it_was_published(name: str, characters: int) -> None:
    # The published text's own length, in characters: a file edited by hand shows here.
    assert len((codelists.DATA / f"{name}.xml").read_text(encoding="utf-8")) == characters
    assert f"{characters:,}" in README


@pytest.mark.parametrize(
    ("name", "items", "withdrawn_items"),
    [
        ("Country", 251, 1),
        ("Currency", 176, 9),
        ("OrganisationType", 16, 0),
        ("Region", 17, 0),
        ("Sector", 323, 28),
        ("SectorCategory", 50, 1),
        ("TransactionType", 13, 0),  # 1 to 11 as vendored, 12 and 13 as IATI 2.03 added them
    ],
)
def test_each_codelist_holds_the_items_iati_published(name: str, items: int, withdrawn_items: int) -> None:
    statuses = codelist(name).statuses

    assert len(statuses) == items
    assert sum(status == "withdrawn" for status in statuses.values()) == withdrawn_items
    assert set(statuses.values()) <= {"active", "withdrawn"}


def test_known_codes_are_known_and_others_are_not() -> None:
    assert known("Sector", "15190") and known("SectorCategory", "151") and known("Region", "289")
    assert known("Currency", "EUR") and known("Country", "TN") and known("OrganisationType", "90")
    assert known("TransactionType", "2") and known("TransactionType", "13")
    assert not known("Sector", "15199") and not known("Currency", "EURO") and not known("Country", "tn")
    assert not known("TransactionType", "C") and not known("OrganisationType", "") and not known("Region", "1027")


def test_withdrawn_codes_are_known_as_withdrawn() -> None:
    assert withdrawn("Sector", "15164") and withdrawn("Currency", "LTL") and withdrawn("Country", "AN")
    assert known("Sector", "15164")
    assert not withdrawn("Sector", "15190") and not withdrawn("Sector", "99999")


def test_a_codelist_is_named_with_its_repository_and_commit_and_its_own_title() -> None:
    sector = codelist("Sector")

    assert sector.named == "IATI's Sector codelist (IATI-Codelists-NonEmbedded at 01cbd84)"
    assert sector.title == "DAC 5 Digit Sector"
    assert codelist("TransactionType").named == "IATI's TransactionType codelist (IATI-Codelists at 0fee8cb)"


def test_each_codelist_is_read_once() -> None:
    assert codelist("Currency") is codelist("Currency")


def test_a_codelist_not_vendored_is_refused_naming_those_that_are() -> None:
    with pytest.raises(KeyError, match="no IATI codelist 'Vocabulary' is vendored: Accord checks Country, Currency"):
        codelist("Vocabulary")


def test_every_partner_and_currency_accord_exports_is_one_iati_knows_or_iso_4217_has() -> None:
    # Accord's partners are ISO 3166-1 codes (pycountry): every one is in IATI's list.
    assert [code for code in country_codes() if unrecordable_country(code)] == []
    assert unrecordable_currency("ZWG", "the value's currency") is None  # ISO 4217 has it, IATI's list not yet


def test_a_transaction_type_not_in_the_list_is_said_with_the_list_and_its_version() -> None:
    assert unknown_transaction_type("4") is None
    assert unknown_transaction_type("C") == (
        "a transaction that is of type 'C', which IATI's TransactionType codelist (IATI-Codelists at 0fee8cb) "
        "does not have (1 to 13; Accord records 2, a commitment, and 3, a disbursement)"
    )
    assert "names no type" in str(unknown_transaction_type(None))


def test_a_currency_in_neither_list_is_said_with_where_the_file_names_it() -> None:
    assert unrecordable_currency("EUR", "the value's currency") is None
    assert unrecordable_currency("eur", "the value's currency") is None  # as the domain reads codes
    assert unrecordable_currency("XYZ", "the activity's default-currency") == (
        "the activity's default-currency 'XYZ' is in neither IATI's Currency codelist "
        "(IATI-Codelists-NonEmbedded at b1254d5) nor ISO 4217: money is recorded in a currency of either, "
        "e.g. EUR, USD"
    )
    assert "names no currency" in str(unrecordable_currency("", "the value's currency"))


def test_a_country_accord_cannot_record_funding_on_is_said_why() -> None:
    assert unrecordable_country("TN") is None
    assert "is not in IATI's Country codelist" in str(unrecordable_country("QQ"))
    assert "is withdrawn from IATI's Country codelist" in str(unrecordable_country("AN"))
    assert "not in ISO 3166-1, whose codes Accord records partners by" in str(unrecordable_country("XK"))


def test_codes_accord_does_not_record_by_are_noted_at_their_lines() -> None:
    activity = etree.fromstring(
        b"""<iati-activity default-currency="EUR">
 <reporting-org ref="XI-1" type="99"/>
 <participating-org role="1" type="10"/>
 <recipient-region code="1027" vocabulary="1"/>
 <recipient-region code="XYZ" vocabulary="99"/>
 <sector vocabulary="1" code="15164"/>
 <sector code="15199"/>
 <sector vocabulary="2" code="999"/>
 <sector vocabulary="98" code="anything"/>
 <transaction><sector code="15190"/><value currency="ZWG">1</value></transaction>
</iati-activity>"""
    )

    found = [(noted.line, noted.kind) for noted in notes(activity)]

    assert found == [
        (2, "unknown organisation type"),
        (4, "unknown region"),
        (6, "withdrawn sector"),
        (7, "unknown sector"),
        (8, "unknown sector"),
        (10, "currency not in IATI's list"),
    ]
    assert notes(activity)[3].reason == (
        "sector '15199' (vocabulary 1), which IATI's Sector codelist (IATI-Codelists-NonEmbedded at 01cbd84) "
        "does not have: noted, as Accord records no sectors"
    )
    assert notes(activity)[5].reason.endswith("money in it is recorded as ISO 4217 has it")


@pytest.mark.hostile
@pytest.mark.parametrize(
    "code",
    ["Q" * 10_000, "<script>alert(1)</script>", "[bold]x[/bold]", "\u202eNT", "\x9b31m", "T\x00N", "' OR 1=1 --"],
)
def test_a_hostile_code_is_shown_quoted_escaped_and_bounded(code: str) -> None:
    for sentence in (
        unknown_transaction_type(code),
        unrecordable_currency(code, "the value's currency"),
        unrecordable_country(code),
    ):
        assert sentence is not None and quoted(code) in sentence
        assert len(sentence) < 400
        assert sentence.isprintable()


def test_a_long_code_is_cut_and_its_length_said() -> None:
    assert quoted("Q" * 10_000) == f"'{'Q' * SHOWN}…' (10,000 characters)"
    assert quoted("TN") == "'TN'"


def test_the_vendored_files_are_package_data() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"data/iati-codelists/*"' in pyproject
