"""What a person types into a search, read into terms neither store can
take as syntax: words folded as the record's are, phrases, prefixes, and
what cannot be searched refused in a sentence."""

from __future__ import annotations

import re

import pytest

from workflows.projections.search.queries import snippet
from workflows.projections.search.words import NotASearch, fold, search, words

# Inside each quoted term: letters and digits and spaces, nothing else.
FTS5_TERM = re.compile(r'"[^\W_]+(?: [^\W_]+)*"\*?')
TSQUERY_TERM = re.compile(r"\(?'[^\W_]+'(?: <-> '[^\W_]+')*(?::\*)?\)?")


def test_words_are_folded_for_case_and_accents_and_split_at_every_mark() -> None:
    assert words("Éléments de l'ÉTÉ: co-opération_2021") == ["elements", "de", "l", "ete", "co", "operation", "2021"]
    assert fold("Straße") == "strasse"


def test_words_phrases_and_prefixes_are_read_into_terms() -> None:
    wanted = search('Smuggling "joint  Operation" smuggl* border-crossing')

    assert wanted.fts5() == '"smuggling" "joint operation" "smuggl"* "border" "crossing"'
    assert wanted.tsquery() == "'smuggling' & ('joint' <-> 'operation') & 'smuggl':* & 'border' & 'crossing'"


@pytest.mark.hostile
@pytest.mark.parametrize(
    "typed",
    [
        "smuggling OR visit NOT x",
        "NEAR(a b, 2)",
        'visit" OR "1"="1',
        "a* ^b -c +d {e f} col:g",
        "x'; DROP TABLE view_search_1; --",
        "' & !x | y:* <-> (z",
        "\\' \\\" %s %(x)s ?",
        "ﬁnance ½ ² Ⅻ 東京 مرحبا 😀 Zürich",
        "\u202ereversed\u200b zero width",
    ],
)
def test_no_typed_text_reaches_either_store_as_syntax(typed: str) -> None:
    wanted = search(typed)

    assert all(FTS5_TERM.fullmatch(term.fts5()) for term in wanted.terms)
    assert all(TSQUERY_TERM.fullmatch(term.tsquery()) for term in wanted.terms)


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "holds no word to search for"),
        ('"" *** ( ) -- ;', "holds no word to search for"),
        ("😀😀", "holds no word to search for"),
        ("a\x00b", "a NUL character (U+0000)"),
        ("a\x1bb", "an escape character (U+001B)"),
        ("x" * 10_000, "at most 200 characters; this one holds 10,000"),
        (" ".join(["w"] * 17), "at most 16 words or phrases; this one holds 17"),
    ],
)
def test_what_cannot_be_searched_is_refused_in_a_sentence(typed: str, said: str) -> None:
    with pytest.raises(NotASearch, match=re.escape(said)):
        search(typed)


def test_a_snippet_marks_the_words_found_around_the_first() -> None:
    text = "word " * 40 + "the Smugglers' routes and smuggling ring " + "tail " * 60

    parts = snippet(search("smuggl*"), text)

    assert parts[0] == ("…", False)
    assert [part for part, hit in parts if hit] == ["Smugglers", "smuggling"]
    assert parts[-1][0].endswith("…")
    assert sum(len(part) for part, _ in parts) <= 222


def test_a_snippet_without_a_word_found_is_the_start_of_the_text() -> None:
    assert snippet(search("tunisia"), "Commissioner  Johansson\nmet") == [("Commissioner Johansson met", False)]
