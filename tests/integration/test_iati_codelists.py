"""An IATI file's codes checked against IATI's own codelists (vendored in
workflows/data/iati-codelists) by `accord import iati` and its dry run: a
code Accord records by (a transaction's type and currency, the recipient
country) that the list does not have refuses the file or leaves out what
it names; a code Accord does not record (a sector, an organisation's type,
a region) is noted and counted, and what is recorded is the same. Each
sentence names the line, the code, the codelist and its version. Hostile
codes (10,000 characters, a NUL, markup, a terminal's escapes) never crash
it. Accord's own export trips none of it. Each test runs on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import accord, as_json, stored_count

pytestmark = pytest.mark.integration

SECTOR = "IATI's Sector codelist (IATI-Codelists-NonEmbedded at 01cbd84)"
CURRENCY = "IATI's Currency codelist (IATI-Codelists-NonEmbedded at b1254d5)"

BASE = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="EUR">
  <iati-identifier>XI-TEST-1-CODES</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="10"/>
  <participating-org role="1" type="10"/>
  <recipient-country code="TN"/>
  <recipient-region code="189" vocabulary="1"/>
  <sector vocabulary="1" code="15190"/>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value>100000</value>
  </transaction>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2021-04-01"/><value currency="EUR">40000</value>
  </transaction>
 </iati-activity>
</iati-activities>
"""
RECORDED = [
    "  line 10: record FundingCommitted EUR 100000 on 2021-03-01",
    "  line 13: record FundingDisbursed EUR 40000 on 2021-04-01",
]


def written(tmp_path: Path, *changes: tuple[str, str]) -> str:
    """BASE with each (old, new) of `changes` made, as a file."""
    xml = BASE
    for old, new in changes:
        assert old in xml, old
        xml = xml.replace(old, new)
    path = tmp_path / "codes.xml"
    path.write_text(xml)
    return str(path)


def with_tunisia(db: str) -> str:
    result = accord(db, "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2020-01-01")
    assert result.exit_code == 0, result.output
    return db


def summary(stderr: str) -> str:
    [line] = [line for line in stderr.splitlines() if "activity(ies)" in line]
    return line


@dataclass(frozen=True)
class Noted:
    name: str
    change: tuple[str, str]
    line: int
    kind: str
    sentence: str


NOTED = [
    Noted(
        "unknown-sector",
        ('code="15190"', 'code="15199"'),
        9,
        "unknown sector",
        f"sector '15199' (vocabulary 1), which {SECTOR} does not have: noted, as Accord records no sectors",
    ),
    Noted(
        "withdrawn-sector",
        ('code="15190"', 'code="15164"'),
        9,
        "withdrawn sector",
        f"sector '15164' (vocabulary 1), which {SECTOR} lists as withdrawn: noted, as Accord records no sectors",
    ),
    Noted(
        "unknown-category",
        ('vocabulary="1" code="15190"', 'vocabulary="2" code="159"'),
        9,
        "unknown sector",
        "sector '159' (vocabulary 2), which IATI's SectorCategory codelist (IATI-Codelists-NonEmbedded at 0733cd9) "
        "does not have: noted, as Accord records no sectors",
    ),
    Noted(
        "unknown-region",
        ('code="189"', 'code="1027"'),
        8,
        "unknown region",
        "region '1027' (vocabulary 1), which IATI's Region codelist (IATI-Codelists-NonEmbedded at 0dfd1d1) "
        "does not have: noted, as Accord records no regions",
    ),
    Noted(
        "unknown-reporting-org-type",
        ('ref="XI-TEST-1" type="10"', 'ref="XI-TEST-1" type="99"'),
        5,
        "unknown organisation type",
        "<reporting-org> is of type '99', which IATI's OrganisationType codelist (IATI-Codelists-NonEmbedded at "
        "8dceb75) does not have (e.g. 10, government; 40, multilateral): noted, as Accord records no "
        "organisation's type",
    ),
    Noted(
        "unknown-participating-org-type",
        ('role="1" type="10"', 'role="1" type="Government"'),
        6,
        "unknown organisation type",
        "<participating-org> is of type 'Government', which IATI's OrganisationType codelist "
        "(IATI-Codelists-NonEmbedded at 8dceb75) does not have (e.g. 10, government; 40, multilateral): noted, "
        "as Accord records no organisation's type",
    ),
]


@pytest.mark.parametrize("case", NOTED, ids=[case.name for case in NOTED])
def test_a_code_accord_does_not_record_by_is_noted_and_what_is_recorded_is_the_same(
    case: Noted, db: str, tmp_path: Path
) -> None:
    path = written(tmp_path, case.change)
    with_tunisia(db)

    planned = accord(db, "import", "iati", "--dry-run", path)
    imported = accord(db, "import", "iati", path)

    assert planned.exit_code == 0, planned.output
    assert f"  line {case.line}: note: {case.sentence}" in planned.stdout.splitlines()
    assert summary(planned.stderr).endswith(f"would take 2 transaction(s); left out: nothing; noted: 1 {case.kind}")
    assert imported.exit_code == 0, imported.output
    assert "recorded 2 event(s)" in imported.stdout
    assert summary(imported.stderr).endswith(f"took 2 transaction(s); left out: nothing; noted: 1 {case.kind}")


def test_a_currency_iso_4217_has_and_iati_s_list_not_yet_is_noted_where_named_and_recorded(
    db: str, tmp_path: Path
) -> None:
    path = written(
        tmp_path, ('default-currency="EUR"', 'default-currency="ZWG"'), ('currency="EUR">', 'currency="ZWG">')
    )
    with_tunisia(db)

    planned = accord(db, "import", "iati", "--dry-run", path)

    assert planned.exit_code == 0, planned.output
    assert planned.stdout.splitlines()[:4] == [
        "activity XI-TEST-1-CODES (line 3): TN",
        f"  line 3: note: default currency 'ZWG', which {CURRENCY} does not have: money in it is recorded as "
        "ISO 4217 has it",
        "  line 10: record FundingCommitted ZWG 100000 on 2021-03-01",
        "  line 13: record FundingDisbursed ZWG 40000 on 2021-04-01",
    ]
    assert f"  line 14: note: currency 'ZWG', which {CURRENCY} does not have" in planned.stdout
    assert summary(planned.stderr).endswith(
        "left out: nothing; noted: 1 currency not in IATI's list, 1 default currency not in IATI's list"
    )


def test_the_json_plan_carries_each_note_as_a_step_of_its_activity(db: str, tmp_path: Path) -> None:
    path = written(tmp_path, ('code="15190"', 'code="15199"'))
    with_tunisia(db)

    shown = as_json(accord(db, "import", "iati", "--dry-run", "--json", path))

    [activity] = shown["activities"]
    assert [step["line"] for step in activity["steps"]] == [9, 10, 13]
    assert activity["steps"][0]["what"].startswith("note: sector '15199' (vocabulary 1), which IATI's Sector codelist")


@pytest.mark.parametrize(
    ("change", "line", "said"),
    [
        (('currency="EUR">40000', 'currency="XYZ">40000'), 13, "the value's currency 'XYZ'"),
        (('default-currency="EUR"', 'default-currency="XYZ"'), 10, "the activity's default-currency 'XYZ'"),
    ],
    ids=["value", "default"],
)
def test_a_currency_in_neither_iati_s_list_nor_iso_4217_refuses_the_file_naming_its_line(
    change: tuple[str, str], line: int, said: str, db: str, tmp_path: Path
) -> None:
    path = written(tmp_path, change)
    with_tunisia(db)
    before = stored_count(db)

    planned = accord(db, "import", "iati", "--dry-run", path)
    imported = accord(db, "import", "iati", path)

    sentence = (
        f"codes.xml, line {line}: {said} is in neither {CURRENCY} nor ISO 4217: money is recorded in a "
        "currency of either, e.g. EUR, USD; nothing was stored"
    )
    for result in (planned, imported):
        assert result.exit_code == 2
        assert sentence in " ".join(result.stderr.split())
    assert stored_count(db) == before


def test_a_transaction_type_not_in_iati_s_list_is_left_out_with_the_list_and_its_version(
    db: str, tmp_path: Path
) -> None:
    path = written(tmp_path, ('<transaction-type code="3"/>', '<transaction-type code="D"/>'))
    with_tunisia(db)

    planned = accord(db, "import", "iati", "--dry-run", path)
    imported = accord(db, "import", "iati", path)

    assert planned.stdout.splitlines()[:3] == [
        "activity XI-TEST-1-CODES (line 3): TN",
        RECORDED[0],
        "  line 13: leave out: a transaction that is of type 'D', which IATI's TransactionType codelist "
        "(IATI-Codelists at 0fee8cb) does not have (1 to 13; Accord records 2, a commitment, and 3, a disbursement)",
    ]
    assert summary(planned.stderr).endswith("would take 1 transaction(s); left out: 1 unknown transaction type")
    assert imported.exit_code == 0 and "recorded FundingCommitted on TN" in imported.stdout


def test_a_pledge_of_iati_2_03_is_a_known_type_left_out_as_before(db: str, tmp_path: Path) -> None:
    path = written(tmp_path, ('<transaction-type code="3"/>', '<transaction-type code="12"/>'))
    with_tunisia(db)

    planned = accord(db, "import", "iati", "--dry-run", path)

    assert "  line 13: leave out: outgoing pledge (type 12): Accord records commitments and disbursements" in (
        planned.stdout.splitlines()
    )


def test_a_recipient_country_not_in_iati_s_list_leaves_its_activity_out_naming_the_list(
    db: str, tmp_path: Path
) -> None:
    path = written(tmp_path, ('<recipient-country code="TN"/>', '<recipient-country code="QQ"/>'))

    planned = accord(db, "import", "iati", "--dry-run", path)
    imported = accord(db, "import", "iati", path)

    assert planned.stdout.splitlines() == [
        "activity XI-TEST-1-CODES (line 3): no partner",
        "  line 3: leave out: recipient country 'QQ' is not in IATI's Country codelist (IATI-Codelists-NonEmbedded "
        "at 09507dd): a country is named by its code, e.g. TN; 2 transaction(s) left out",
        "would record 0 event(s)",
    ]
    assert summary(planned.stderr).endswith("would take 0 transaction(s); left out: 1 unknown country")
    assert imported.exit_code == 0 and "recorded 0 event(s)" in imported.stdout


def test_a_transaction_s_recipient_kosovo_is_left_out_as_no_iso_code_accord_records_partners_by(
    db: str, tmp_path: Path
) -> None:
    path = written(
        tmp_path,
        ('  <recipient-country code="TN"/>\n  <recipient-region code="189" vocabulary="1"/>\n', ""),
        ("<value>100000</value>", '<value>100000</value><recipient-country code="TN"/>'),
        ('<value currency="EUR">40000</value>', '<value currency="EUR">40000</value><recipient-country code="XK"/>'),
    )
    with_tunisia(db)

    planned = accord(db, "import", "iati", "--dry-run", path)

    assert planned.exit_code == 0, planned.output
    assert (
        "  line 11: leave out: recipient country 'XK' is in IATI's Country codelist (IATI-Codelists-NonEmbedded at "
        "09507dd) but not in ISO 3166-1, whose codes Accord records partners by"
    ) in planned.stdout.splitlines()
    assert summary(planned.stderr).endswith("would take 1 transaction(s); left out: 1 unknown country")


def test_accord_s_own_export_imports_with_no_code_noted_or_left_out_for_its_codes(
    demo_db: str, db: str, tmp_path: Path
) -> None:
    path = tmp_path / "demo.xml"
    assert accord(demo_db, "export", "iati", "-o", str(path)).exit_code == 0

    planned = accord(db, "import", "iati", "--dry-run", "--open-partnerships", str(path))

    assert planned.exit_code == 0, planned.output
    assert "note:" not in planned.stdout and "unknown" not in planned.stdout
    assert "noted" not in summary(planned.stderr) and "unknown" not in summary(planned.stderr)


# Hostile codes: shown quoted, escaped and bounded, never a crash.


@pytest.mark.hostile
def test_a_currency_code_of_10_000_characters_is_refused_in_a_sentence_of_bounded_length(
    db: str, tmp_path: Path
) -> None:
    path = written(tmp_path, ('currency="EUR">40000', f'currency="{"Q" * 10_000}">40000'))
    with_tunisia(db)

    result = accord(db, "import", "iati", "--dry-run", path)

    assert result.exit_code == 2
    assert f"the value's currency '{'Q' * 40}…' (10,000 characters) is in neither" in " ".join(result.stderr.split())
    assert len(result.output) < 1_000


@pytest.mark.hostile
def test_a_country_code_of_10_000_characters_leaves_its_activity_out_in_bounded_output(db: str, tmp_path: Path) -> None:
    path = written(tmp_path, ('<recipient-country code="TN"/>', f'<recipient-country code="{"Q" * 10_000}"/>'))

    result = accord(db, "import", "iati", "--dry-run", path)

    assert result.exit_code == 0, result.output[:500]
    assert "activity XI-TEST-1-CODES (line 3): no partner" in result.stdout
    assert "(10,000 characters) is not in IATI's Country codelist" in result.stdout
    assert len(result.output) < 1_000


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("written_code", "shown"),
    [
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "'<script>alert(1)</script>'"),
        ("[bold red]x[/bold red]", "'[bold red]x[/bold red]'"),
        ("&#x1b;]0;owned&#x7;", None),  # not XML 1.0: refused by the parser
        ("&#x9b;31m", "'\\x9b31m'"),
        ("&#x202e;NT", "'\\u202eNT'"),
    ],
    ids=["html", "rich-markup", "escape", "c1-csi", "right-to-left"],
)
def test_a_markup_or_escape_looking_sector_is_noted_as_text_quoted_and_escaped(
    written_code: str, shown: str | None, db: str, tmp_path: Path
) -> None:
    path = written(tmp_path, ('code="15190"', f'code="{written_code}"'))
    with_tunisia(db)

    result = accord(db, "import", "iati", "--dry-run", path)

    if shown is None:
        assert result.exit_code == 2 and "codes.xml: not XML" in result.stderr and "line 9" in result.stderr
        return
    assert result.exit_code == 0, result.output
    assert f"  line 9: note: sector {shown} (vocabulary 1), which {SECTOR} does not have" in result.stdout
    assert "\x9b" not in result.output and "\u202e" not in result.output and "\x1b" not in result.output


@pytest.mark.hostile
def test_a_nul_in_a_code_is_refused_by_the_parser_naming_its_line(db: str, tmp_path: Path) -> None:
    path = written(tmp_path, ('default-currency="EUR"', 'default-currency="E&#0;UR"'))

    result = accord(db, "import", "iati", "--dry-run", path)

    assert result.exit_code == 2
    assert "codes.xml: not XML" in result.stderr and "line 3" in result.stderr
