"""`accord import iati` reads its file as it plans it, one activity at a
time, each dropped once planned: a large file imports whole, with the
counts its dry run gave; a file cut off in the middle of an activity is
refused naming the line where it ends, and nothing is stored; entities are
never expanded, nor files or the network reached for. How fast, and in how
much memory, is measured by `scripts/bench --part iati`. Each test runs on
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import accord, as_json, stored_count
from tests.integration.test_iati_published import FIXTURES
from workflows.base.textfile import NotText
from workflows.interchange.xmlstream import _Bounded, records
from workflows.store.postgres import INSERT_ROWS

pytestmark = pytest.mark.integration

TRANCHES = (FIXTURES / "xi-test-tranches-2.03.xml").read_text()
HEAD, _, REST = TRANCHES.partition(" <iati-activity ")
ACTIVITIES = " <iati-activity " + REST.removesuffix("</iati-activities>\n")


def many(copies: int) -> str:
    """The tranches fixture's activities `copies` times over, each copy's
    identifiers its own (XI-TEST-1-… becomes XI-TEST-1-…-C<n>)."""
    body = "".join(
        ACTIVITIES.replace("-TN-LABOUR-MOBILITY<", f"-TN-LABOUR-MOBILITY-C{n}<")
        .replace("-TN-PROTECTION<", f"-TN-PROTECTION-C{n}<")
        .replace('ref="TN-LM-', f'ref="C{n}-TN-LM-')
        for n in range(copies)
    )
    return f"{HEAD}{body}</iati-activities>\n"


def opened_tn(db: str) -> None:
    result = accord(db, "submit", "PartnershipOpened", "--partner", "TN", "--occurred-on", "2000-01-01")
    assert result.exit_code == 0, result.output


def test_a_file_of_megabytes_imports_whole_with_the_counts_its_dry_run_gave(db: str, tmp_path: Path) -> None:
    opened_tn(db)
    one, large = tmp_path / "one.xml", tmp_path / "large.xml"
    one.write_text(many(1))
    large.write_text(many(500))
    before = stored_count(db)

    alone = as_json(accord(db, "import", "iati", "--dry-run", "--json", str(one)))
    planned = as_json(accord(db, "import", "iati", "--dry-run", "--json", str(large)))
    imported = as_json(accord(db, "import", "iati", "--json", str(large)))

    assert large.stat().st_size > 1_500_000
    assert len(imported["activities"]) == 1000  # every activity accounted for
    assert planned["activities"] == imported["activities"]
    assert planned["recorded"] == imported["recorded"]
    assert stored_count(db) - before == len(imported["recorded"]) == 500 * len(alone["recorded"]) > INSERT_ROWS
    # The last activity's lines are the file's own.
    last = imported["activities"][-1]
    assert last["identifier"] == "XI-TEST-1-TN-PROTECTION-C499"
    assert last["line"] == _last_line(many(500), "<iati-activity ")
    assert last["steps"][-1]["line"] == _last_line(many(500), "<transaction>")
    # Stored in several statements of one transaction (PostgreSQL), in order: the chain holds.
    assert accord(db, "audit", "verify", "--no-views").exit_code == 0


def _last_line(text: str, start: str) -> int:
    return max(number for number, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith(start))


def test_a_file_cut_off_in_an_activity_is_refused_naming_its_line_and_stores_nothing(db: str, tmp_path: Path) -> None:
    opened_tn(db)
    whole = many(3)
    # Cut in the middle of the third copy's first transaction, after five whole activities.
    cut = whole[: whole.index("<transaction ref=", whole.index("-LABOUR-MOBILITY-C2<")) + 20]
    path = tmp_path / "cut.xml"
    path.write_text(cut)
    before = stored_count(db)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    ends = cut.count("\n") + 1
    assert imported.stderr.startswith(f"accord: {path}: not XML: "), imported.stderr
    assert f"line {ends}, column" in imported.stderr
    assert stored_count(db) == before


def with_entities(tmp_path: Path, entities: str, title: str) -> Path:
    """The tranches fixture declaring `entities` in its DOCTYPE, its first title `title`."""
    xml = many(1).replace("<iati-activities ", f"<!DOCTYPE iati-activities [{entities}]>\n<iati-activities ", 1)
    path = tmp_path / "entities.xml"
    path.write_text(xml.replace("Labour mobility and skills partnership with Tunisia", title))
    return path


@pytest.mark.hostile
def test_entities_are_never_expanded_nor_a_file_or_the_network_read_through_them(db: str, tmp_path: Path) -> None:
    opened_tn(db)
    secret = tmp_path / "secret.txt"
    secret.write_text("LEAKED-FROM-DISK")
    declared = (
        f'<!ENTITY inner "EXPANDED-INNER"><!ENTITY disk SYSTEM "{secret.as_uri()}">'
        '<!ENTITY web SYSTEM "http://127.0.0.1:9/x">'
    )
    path = with_entities(tmp_path, declared, "Labour &inner;&disk;&web;")

    planned = accord(db, "import", "iati", "--dry-run", "--json", str(path))
    imported = accord(db, "import", "iati", "--json", str(path))
    shown = accord(db, "report", "funding", "--json")

    assert planned.exit_code == imported.exit_code == shown.exit_code == 0, imported.output
    assert as_json(imported)["recorded"]
    for said in (planned.output, imported.output, shown.output):
        assert "EXPANDED-INNER" not in said and "LEAKED-FROM-DISK" not in said


@pytest.mark.hostile
def test_entities_that_multiply_are_refused_and_nothing_is_stored(db: str, tmp_path: Path) -> None:
    opened_tn(db)
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    path = with_entities(tmp_path, f'<!ENTITY l0 "ha">{laughs}', "Labour &l9;")
    before = stored_count(db)

    planned = accord(db, "import", "iati", "--dry-run", str(path))
    imported = accord(db, "import", "iati", str(path))

    assert (planned.exit_code, planned.stderr) == (imported.exit_code, imported.stderr)
    assert imported.exit_code == 2
    assert imported.stderr.startswith(f"accord: {path}: not XML: "), imported.stderr
    assert "hahaha" not in imported.output
    assert stored_count(db) == before


def test_the_reader_holds_one_activity_at_a_time_and_none_nested_deeper(tmp_path: Path) -> None:
    path = tmp_path / "nested.xml"
    nested = "<iati-activity><iati-identifier>NESTED</iati-identifier></iati-activity>"
    path.write_text(
        '<iati-activities version="2.03"><!-- a comment -->'
        + "".join(f"<iati-activity><iati-identifier>A{n}</iati-identifier>{nested}</iati-activity>" for n in range(5))
        + "<other/></iati-activities>"
    )
    read = records(path, "iati-activities", "iati-activity", 10_000)

    root = next(read)
    held = [
        (activity.findtext("iati-identifier"), [len(before) for before in activity.itersiblings(preceding=True)])
        for activity in read
    ]

    assert root.get("version") == "2.03"
    # By the time each activity is read, of those before it (and the
    # comment) only the last is left, emptied; the activity nested in each
    # is not read as one.
    assert held == [(f"A{n}", [0]) for n in range(5)]


def test_a_file_that_grows_past_the_largest_as_it_is_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "large.xml"
    path.write_text(many(2))

    # A pipe, or a file written to after its size was taken: what is read is counted.
    with path.open("rb") as file, pytest.raises(NotText, match="is larger than 1 KB"):
        reading = _Bounded(file, 1024)
        while reading.read(512):
            pass
