"""`accord import iati --dry-run` is the import without the commit: on every
IATI file of the tests it says what the import then stores, key by key; it
refuses what the import refuses, in the same sentences and with the same
exit status (a rule of the domain broken, partnerships not opened); and a
file imported before would record nothing again. `--open-partnerships`
opens the partnerships the file funds that are not opened, in the same
batch. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result

from tests.helpers import accord, as_json, keyed, stored_count, submit_rows
from tests.integration.test_iati import BY_TRANSACTION, PUBLISHED
from tests.integration.test_iati_published import COMMITTED_LAST, FILES, FIXTURES, PAID_ON_NOTHING

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Case:
    name: str
    xml: str
    partners: tuple[str, ...]  # the partnerships the file funds


CASES = [
    *(Case(p.file, (FIXTURES / p.file).read_text(), p.partners) for p in FILES),
    Case("xi-test-tranches-2.03.xml", (FIXTURES / "xi-test-tranches-2.03.xml").read_text(), ("TN",)),
    Case("published", PUBLISHED, ("TN",)),
    Case("paid-on-nothing", PAID_ON_NOTHING, ("BD", "IN")),
    Case("committed-last", COMMITTED_LAST, ("KE",)),
    Case("by-transaction", BY_TRANSACTION, ("MA", "TN")),
]
IDS = [case.name.removesuffix(".xml") for case in CASES]


def written(case: Case, tmp_path: Path) -> str:
    path = tmp_path / "file.xml"
    # As bytes: the Spanish file's line endings are CRLF, as published.
    path.write_bytes((FIXTURES / case.name).read_bytes() if case.name.endswith(".xml") else case.xml.encode())
    return str(path)


def opened(db: str, *partners: str) -> None:
    for partner in partners:
        result = accord(db, "submit", "PartnershipOpened", "--partner", partner, "--occurred-on", "2000-01-01")
        assert result.exit_code == 0, result.output


def receipt(result: Result) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    shown = as_json(result)
    return shown["recorded"], shown["already"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_dry_run_would_record_exactly_what_the_import_then_records(case: Case, db: str, tmp_path: Path) -> None:
    opened(db, *case.partners)
    path = written(case, tmp_path)

    planned = receipt(accord(db, "import", "iati", "--dry-run", "--json", path))
    imported = receipt(accord(db, "import", "iati", "--json", path))
    again = receipt(accord(db, "import", "iati", "--dry-run", "--json", path))

    assert planned == imported
    # A line imported before is recorded once: the dry run says so, key by key.
    assert again == ([], imported[0] + imported[1])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_on_a_store_missing_its_partnerships_the_dry_run_opens_what_the_import_opens(
    case: Case, db: str, tmp_path: Path
) -> None:
    path = written(case, tmp_path)

    planned = receipt(accord(db, "import", "iati", "--dry-run", "--open-partnerships", "--json", path))
    imported = receipt(accord(db, "import", "iati", "--open-partnerships", "--json", path))

    assert planned == imported
    opening = [row["subject"] for row in imported[0] if row["type"] == "PartnershipOpened"]
    funded = {row["subject"] for row in imported[0] if row["type"] != "PartnershipOpened"}
    assert sorted(opening) == sorted(funded)


def test_a_dry_run_refuses_what_the_import_refuses_in_the_same_sentences(db: str, tmp_path: Path) -> None:
    opened(db, "TN")
    path = tmp_path / "published.xml"
    path.write_text(PUBLISHED)
    assert accord(db, "import", "iati", str(path)).exit_code == 0
    # Paid by hand since: the store knows of a payment the file does not.
    paid = submit_rows(
        db,
        {"type": "FundingDisbursed", "partner": "TN", "funding": "XI-TEST-1-TN-BORDER"}
        | {"occurred_on": "2021-06-15", "amount": "EUR 600000"},
    )
    assert paid.exit_code == 0, paid.output
    # The publisher's next file pays more: within what the file commits, beyond what the store has left.
    path.write_text(
        PUBLISHED.replace(
            "</iati-activity>",
            '<transaction><transaction-type code="3"/><transaction-date iso-date="2021-07-01"/>'
            "<value>200000</value></transaction></iati-activity>",
            1,
        )
    )

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    assert imported.stderr.splitlines() == [
        "accord: line 32: disbursing EUR 200,000 on funding 'XI-TEST-1-TN-BORDER' would exceed its commitment "
        "of EUR 950,000 (EUR 100,000 decommitted, EUR 850,000.50 disbursed, EUR 99,999.50 remain)",
        "nothing was stored: 1 problem(s) in 5 submission(s)",
    ]


def test_a_store_missing_the_partnerships_refuses_the_dry_run_and_the_import_naming_them(
    db: str, tmp_path: Path
) -> None:
    path = tmp_path / "by-transaction.xml"
    path.write_text(BY_TRANSACTION)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    assert imported.stderr == (
        "accord: the file funds 2 partnership(s) not opened: MA, TN; pass --open-partnerships to open each as of "
        "its earliest transaction in the file, or open each first, e.g. "
        "accord submit PartnershipOpened --partner MA --occurred-on 2021-03-01; nothing was stored\n"
    )


def test_a_file_imported_before_would_record_nothing_again_said_line_by_line(db: str, tmp_path: Path) -> None:
    opened(db, "BD", "IN")
    path = tmp_path / "usaid.xml"
    path.write_text(PAID_ON_NOTHING)
    assert accord(db, "import", "iati", str(path)).exit_code == 0

    again = accord(db, "import", "iati", "--dry-run", str(path))

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[3:] == [
        "  line 14: recorded before: FundingCommitted USD 500000 on 2016-03-31",
        "  line 18: recorded before: FundingDisbursed USD 49751.52 on 2016-03-31",
        "  line 22: leave out: a disbursement in EUR on a commitment in USD (line 14): Accord keeps a funding "
        "line in one currency",
        "would record 0 event(s)",
        "already recorded: 2 (stored nothing for them)",
    ]


def test_the_import_opens_the_partnerships_it_funds_when_asked_the_file_their_source(db: str, tmp_path: Path) -> None:
    opened(db, "MA")
    path = tmp_path / "by-transaction.xml"
    path.write_text(BY_TRANSACTION)

    planned = accord(db, "import", "iati", "--dry-run", "--open-partnerships", str(path))
    imported = accord(db, "import", "iati", "--open-partnerships", str(path))

    assert planned.exit_code == 0, planned.output
    assert planned.stdout.splitlines()[0] == "open partnership TN as of 2021-03-01 (line 10)"
    assert planned.stdout.splitlines()[-1] == (
        "would record 4 event(s): FundingCommitted 2, FundingDisbursed 1, PartnershipOpened 1"
    )
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == "recorded 4 event(s): FundingCommitted 2, FundingDisbursed 1, PartnershipOpened 1\n"
    [opening] = [
        row
        for row in map(json.loads, accord(db, "export", "events", "--partner", "TN").stdout.splitlines())
        if row["type"] == "PartnershipOpened"
    ]
    assert (opening["id"], opening["occurred_on"], opening["notes"]) == (
        "iati:opened:TN",
        "2021-03-01",
        "Opened by importing the IATI file by-transaction.xml, as of its earliest transaction for TN (line 10).",
    )


def test_a_dry_run_on_no_store_is_refused_as_the_import_is_and_makes_none(tmp_path: Path) -> None:
    path = tmp_path / "published.xml"
    path.write_text(PUBLISHED)
    none = str(tmp_path / "none.db")

    planned = accord(none, "import", "iati", "--dry-run", str(path))
    imported = accord(none, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert planned.stderr.startswith(f"accord: there is no store at {none}: `accord init` makes one")
    assert not Path(none).exists()


def test_on_a_signed_store_a_dry_run_without_a_key_is_refused_as_the_import_is(
    db: str, admin: Path, tmp_path: Path
) -> None:
    path = tmp_path / "published.xml"
    path.write_text(PUBLISHED)
    opening = keyed(db, "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2020", key=admin)
    assert opening.exit_code == 0, opening.output
    before = stored_count(db)

    planned = keyed(db, "import", "iati", "--dry-run", str(path))
    imported = keyed(db, "import", "iati", str(path))
    signed = keyed(db, "import", "iati", "--dry-run", str(path), key=admin)

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    assert imported.stderr.startswith("accord: this store's records are signed: set ACCORD_KEY to your key file")
    assert signed.exit_code == 0, signed.output
    assert signed.stdout.splitlines()[-1] == (
        "would record 4 event(s): FundingCommitted 1, FundingDecommitted 1, FundingDisbursed 1, FundingIncreased 1"
    )
    assert stored_count(db) == before  # a dry run's transaction is rolled back


def test_a_file_larger_than_accord_reads_is_refused_by_the_dry_run_and_the_import_alike(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workflows.interchange.iati.LARGEST", 2048)
    path = tmp_path / "published.xml"
    path.write_text(PUBLISHED)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    assert imported.stderr == f"accord: {path} is larger than 2 KB\n"


def test_the_help_teaches_the_dry_run_and_opening_partnerships_by_example(db: str) -> None:
    shown = accord(db, "import", "iati", "--help").stdout

    assert "  accord import iati --dry-run --open-partnerships funding.xml\n" in shown
    assert "  accord import iati --open-partnerships funding.xml\n" in shown
    assert "--open-partnerships  Open each partnership the file funds that is not opened" in shown


def test_a_hostile_file_name_is_named_in_the_opening_as_a_line_of_text(db: str, tmp_path: Path) -> None:
    name = "fund\ning\x1b[2J" + "x" * 230 + ".xml"
    path = tmp_path / name
    path.write_text(BY_TRANSACTION)

    imported = accord(db, "import", "iati", "--open-partnerships", str(path))

    assert imported.exit_code == 0, imported.output
    [notes] = [
        row["notes"]
        for row in map(json.loads, accord(db, "export", "events", "--partner", "MA").stdout.splitlines())
        if row["type"] == "PartnershipOpened"
    ]
    assert notes == (
        f"Opened by importing the IATI file fund ing [2J{'x' * 230}.xml, as of its earliest transaction for MA "
        "(line 6)."
    )


def test_a_dry_run_by_someone_the_policy_refuses_is_refused_as_the_import_is(db: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[roles]\nfinance = ["alice"]\n\n[permit]\nFundingDisbursed = ["finance"]\n')
    opened(db, "TN")
    path = tmp_path / "published.xml"
    path.write_text(PUBLISHED)

    planned = accord(db, "--policy", str(policy), "import", "iati", "--dry-run", str(path), actor="dave")
    imported = accord(db, "--policy", str(policy), "import", "iati", str(path), actor="dave")
    allowed = accord(db, "--policy", str(policy), "import", "iati", "--dry-run", str(path), actor="alice")

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    assert imported.stderr.startswith("accord: line 14: dave may not record FundingDisbursed: the policy")
    assert allowed.exit_code == 0, allowed.output
