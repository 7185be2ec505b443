"""Full-text search over the record (`accord search`, the console's
/search): facts and tasks found by their words, best first then the most
recent, filtered by partner, type and period; the record as it stands, so
a retracted fact is not found and a corrected one is found by its corrected
text; hostile searches answered or refused in a sentence; every text of a
result escaped on the page. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import accord, as_json, submit_rows, visit
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.projections.search import queries
from workflows.web.app import create

pytestmark = pytest.mark.integration

SCRIPT = "<script>window.hacked = 1</script>"


@pytest.fixture
def record(db: str) -> str:
    """Tunisia and Morocco, three visits and a note: smuggling said three
    times in one short note, once in a long one."""
    rows = [
        {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2020-09-23"},
        {"type": "PartnershipOpened", "partner": "MA", "occurred_on": "2020-09-23"},
        visit("TN", 3, id="tn-visit", place="Tunis", topics=["migrant smuggling", "returns"]),
        visit("MA", 10, id="ma-visit", notes="Smuggling networks, smuggling routes and smuggling ships."),
        visit("TN", 20, id="tn-late", met=["President Saïed"], notes="A long day. " * 40 + "Smuggling came up once."),
        {
            "type": "PartnershipNoteAdded",
            "partner": "MA",
            "occurred_on": "2021-06-01",
            "text": "Talent partnership: the Éléments of a first call " + SCRIPT,
            "id": "ma-note",
        },
    ]
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output
    return db


def found(db: str, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = as_json(accord(db, "search", *args, "--json"))
    return rows


def facts(db: str, *args: str) -> list[tuple[str, str]]:
    """What a search finds of the facts (tasks left out): type and partner, best first."""
    return [(row["type"], row["subject"]) for row in found(db, *args) if row["kind"] != "task"]


def test_facts_are_found_by_the_words_of_their_notes_fields_and_partners_names(record: str) -> None:
    assert ("VisitHeld", "TN") in facts(record, "tunis")
    assert facts(record, "ELEMENTS first call") == [("PartnershipNoteAdded", "MA")]
    assert facts(record, "saied") == [("VisitHeld", "TN")]
    assert facts(record, '"talent partnership"') == [("PartnershipNoteAdded", "MA")]
    assert facts(record, "Morocco visit held") == [("VisitHeld", "MA")]
    [task] = [row for row in found(record, "follow up", "--partner", "MA") if row["type"] == "TaskOpened"]
    assert "Morocco" in task["summary"] and task["kind"] == "task"


def test_the_best_match_comes_first_then_the_most_recent(record: str) -> None:
    assert facts(record, "smuggling") == [("VisitHeld", "MA"), ("VisitHeld", "TN"), ("VisitHeld", "TN")]
    # Visits that match alike (the same words but their day): the one that happened last first.
    opened = {"type": "PartnershipOpened", "partner": "LY", "occurred_on": "2020-09-23"}
    assert submit_rows(record, opened, visit("LY", 25), visit("LY", 1), visit("LY", 12)).exit_code == 0
    assert [row["occurred_on"] for row in found(record, "johansson libya", "--type", "VisitHeld")] == [
        "2021-05-25",
        "2021-05-12",
        "2021-05-01",
    ]


def test_filters_keep_a_partner_a_type_and_a_period(record: str) -> None:
    assert facts(record, "smuggling", "--partner", "tn") == [("VisitHeld", "TN"), ("VisitHeld", "TN")]
    assert facts(record, "smuggl*", "--since", "2021-05-04", "--until", "2021-05-19") == [("VisitHeld", "MA")]
    assert {row["type"] for row in found(record, "visit", "--type", "task opened")} == {"TaskOpened"}
    assert len(found(record, "visit", "--limit", "2")) == 2


def test_a_search_ranks_the_rows_recorded_last_and_says_when_more_match(
    record: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "RANKED", 2)

    # Three visits say smuggling: the two recorded last are ranked, the Moroccan one the best of them.
    assert facts(record, "smuggling") == [("VisitHeld", "MA"), ("VisitHeld", "TN")]
    said = accord(record, "search", "smuggling").output
    assert "The best of the 2 recorded last: more than 2 match." in said
    # A partner's rows are found in the index, however many of the others were recorded after them.
    assert facts(record, "smuggling", "--partner", "TN") == [("VisitHeld", "TN"), ("VisitHeld", "TN")]
    assert "more than 2 match" not in accord(record, "search", "smuggling", "--partner", "TN").output


def test_a_search_narrowed_ranks_the_last_of_its_own_rows(record: str) -> None:
    app = build(Settings(db=record))
    app.refresh()
    everything = app.reader.search.find("smuggling", ranked=1)
    of_tunisia = app.reader.search.find("smuggling", partner="TN", ranked=1)
    visits = app.reader.search.find("smuggling", types=["visit held"], ranked=5)
    app.close()

    assert [row["subject"] for row in everything.rows] == ["TN"] and everything.cut == 1 and everything.more
    assert [row["subject"] for row in of_tunisia.rows] == ["TN"] and of_tunisia.cut == 1
    assert len(visits.rows) == 3 and visits.cut == 0 and not visits.more


def test_a_snippet_marks_the_words_found(record: str) -> None:
    [row] = [row for row in found(record, "smuggling", "--partner", "MA") if row["kind"] != "task"]

    assert row["snippet"] == "Commissioner Johansson · Smuggling networks, smuggling routes and smuggling ships."
    assert row["found"] == ["Smuggling", "smuggling"]


def test_a_retracted_fact_is_not_found_and_a_corrected_one_by_its_corrected_text(record: str) -> None:
    retracted = accord(record, "retract", "ma-visit", "--partner", "MA", "--reason", "it was in Tunisia")
    corrected = accord(
        record, "correct", "tn-visit", "--partner", "TN", "--set", "place=Sfax", "--reason", "misread the note"
    )
    assert retracted.exit_code == corrected.exit_code == 0, retracted.output + corrected.output

    assert ("VisitHeld", "MA") not in facts(record, "smuggling")
    assert facts(record, "tunis") == []
    assert facts(record, "sfax") == [("VisitHeld", "TN")]
    # A rebuild finds what catching up found.
    assert accord(record, "projections", "rebuild", "search").exit_code == 0
    assert facts(record, "sfax") == [("VisitHeld", "TN")] and facts(record, "tunis") == []
    verdict = accord(record, "audit", "verify")
    assert "projection search: equal to a fresh replay" in verdict.output


@pytest.mark.hostile
@pytest.mark.parametrize(
    "typed",
    [
        "smuggling OR visit",
        'NEAR(smuggling routes) "unbalanced',
        "x'; DROP TABLE accord_views; --",
        "' & !x | y:* <-> (z",
        "col:smuggling ^visit -tunis +ma {a b}",
        "Zürich 東京 😀 ½",
    ],
)
def test_a_hostile_search_is_answered_as_words(record: str, typed: str) -> None:
    result = accord(record, "search", typed, "--json")

    assert result.exit_code == 0, result.output
    assert isinstance(as_json(result), list)
    assert facts(record, "smuggling")  # the views are all still there


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["\x00"], "a search holds a NUL character (U+0000)"),
        (["x" * 10_000], "a search holds at most 200 characters; this one holds 10,000"),
        (['"" ** ()'], "holds no word to search for"),
        (["visit", "--partner", "XX"], "unknown partner 'XX'"),
        (["visit", "--type", "Visit'--"], '"Visit\'--" is not a type the search holds'),
        (["visit", "--since", "2021-06-01", "--until", "2021-01-01"], "its start comes after its end"),
        (["visit", "--limit", "501"], "a search gives from 1 to 500 results; 501 were asked for"),
    ],
)
def test_a_search_that_cannot_be_made_is_refused_in_a_sentence(record: str, args: list[str], said: str) -> None:
    result = accord(record, "search", *args)

    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output


@pytest.fixture
def web(record: str) -> Iterator[TestClient]:
    with TestClient(create(Settings(db=record))) as client:
        yield client


def test_the_console_finds_facts_links_them_and_marks_the_words_found(web: TestClient) -> None:
    page = web.get("/search", params={"q": "smuggling", "partner": "MA"})

    assert page.status_code == 200
    assert "<mark>Smuggling</mark> networks, <mark>smuggling</mark> routes" in page.text
    assert re.search(r'<a href="/audit/\d+">Visit to Morocco', page.text)
    assert '<a href="/partners/MA">partnership MA</a>' in page.text
    assert 'action="/search"' in web.get("/tasks").text  # the box in every page's header


def test_the_console_says_when_a_search_ranked_only_the_rows_recorded_last(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "RANKED", 2)

    said = unescape(re.sub(r"<[^>]+>", "", web.get("/search", params={"q": "smuggling"}).text))

    assert "of the 2 recorded last: more than 2 match; narrow by partner, type or period" in said


@pytest.mark.hostile
def test_the_console_shows_a_found_script_as_text(web: TestClient) -> None:
    page = web.get("/search", params={"q": "elements"})

    assert page.status_code == 200
    assert "<script>window" not in page.text
    assert "&lt;script&gt;window.hacked = 1&lt;/script&gt;" in page.text
    searched = web.get("/search", params={"q": f"elements {SCRIPT}"})
    assert searched.status_code == 200 and "<script>window" not in searched.text


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({"q": "\x00"}, 400, "the search holds a control character"),
        ({"q": "x" * 10_000}, 400, "the search holds at most 200 characters; this one holds 10,000"),
        ({"q": '"" ** ()'}, 400, "holds no word to search for"),
        ({"q": "visit", "partner": "XX"}, 400, "unknown partner 'XX'"),
        ({"q": "visit", "type": "<b>"}, 400, "'<b>' is not a type the search holds"),
        ({"q": "visit", "since": "2021-02-30"}, 400, "since must be a day written YYYY-MM-DD"),
        ({"q": "NEAR(a b) OR \"x'; DROP TABLE accord_views; --"}, 200, "Nothing found for"),
        ({"q": "Zürich 東京 😀"}, 200, "Nothing found for"),
    ],
)
def test_the_console_answers_a_hostile_search_in_a_sentence(
    web: TestClient, params: dict[str, str], status: int, said: str
) -> None:
    page = web.get("/search", params=params)

    assert page.status_code == status
    assert said in unescape(re.sub(r"<[^>]+>", "", page.text))


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
@pytest.mark.parametrize("few", [0, 10**9], ids=["spans walked", "every match found at once"])
def test_a_search_ranks_the_rows_recorded_last_however_far_apart_on_postgresql(
    db: str, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a search of many matches walks spans of positions
    newest first (search.tables), one of few has the index find them all:
    either way it ranks the rows recorded last, spans apart, past spans that
    hold none of its words and rows recorded after them that hold none."""
    import psycopg

    monkeypatch.setattr(queries, "FEW", few)

    def note(partner: str, n: int, text: str) -> dict[str, Any]:
        day = f"2021-06-{n + 1:02d}"
        return {"type": "PartnershipNoteAdded", "partner": partner, "occurred_on": day, "text": f"{text} Note {n}."}

    def jump(position: int) -> None:
        # The log's next positions, as a store reaches them after many events.
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("SELECT setval('accord_events_notification_id_seq', %s)", (position,))

    codes = ["TN", "MA", "LY"]
    opened = [{"type": "PartnershipOpened", "partner": code, "occurred_on": "2020-01-01"} for code in codes]
    assert submit_rows(db, *opened, *(note("TN", n, "Smuggling routes.") for n in range(3))).exit_code == 0
    jump(3 * 2**16 + 10)
    assert submit_rows(db, note("MA", 0, "Smuggling at sea."), note("MA", 1, "Smuggling and returns.")).exit_code == 0
    jump(6 * 2**16 + 10)
    assert submit_rows(db, *(note("LY", n, "Returns only.") for n in range(3))).exit_code == 0

    app = build(Settings(db=db))
    app.refresh()
    last_two = app.reader.search.find("smuggling", ranked=2)
    last_three = app.reader.search.find("smuggling", ranked=3)
    every = app.reader.search.find("smuggling")
    of_tunisia = app.reader.search.find("smuggling", partner="TN", ranked=1)
    app.close()

    assert [row["subject"] for row in last_two.rows] == ["MA", "MA"] and last_two.cut == 2 and last_two.more
    assert sorted(row["subject"] for row in last_three.rows) == ["MA", "MA", "TN"] and last_three.cut == 3
    assert len(every.rows) == 5 and every.cut == 0 and not every.more
    assert [row["subject"] for row in of_tunisia.rows] == ["TN"] and of_tunisia.cut == 1
    positions = [row["position"] for row in every.rows]
    assert min(positions) < 2**16 and max(positions) > 3 * 2**16
