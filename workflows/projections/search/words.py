"""The words a search reads and looks for, made the same way for both
stores: letters and digits, case and accents folded, so that SQLite's FTS5
and PostgreSQL's tsvector index the same words and a query finds the same
facts on either. And what a person types, read into terms that can never
be taken as either store's query syntax."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from domain.text import describe_character
from workflows.base.failures import BadInput

# The most characters a search holds, and the most terms.
LONGEST = 200
TERMS = 16
# A word: letters and digits (underscore and every other mark separate words).
WORD = re.compile(r"[^\W_]+")
# A term typed: a quoted phrase, or a run of other characters (a word, maybe ending in *).
TYPED = re.compile(r'"([^"]*)"?|([^\s"]+)')
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class NotASearch(BadInput):
    """What was typed cannot be searched for; the message says why and what would be."""


def fold(text: str) -> str:
    """Text with case and accents folded: "Éléments" and "elements" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The words of a text as both stores index them."""
    # Most words are ASCII, with no accents to fold: folding whole texts
    # character by character was most of the cost of indexing them.
    if text.isascii():
        return WORD.findall(text.lower())
    found = WORD.findall(unicodedata.normalize("NFC", text).casefold())
    if all(map(str.isascii, found)):
        # Marks between ASCII words (· …), which end no word up with an accent.
        return found
    return [folded for word in found for folded in ((word,) if word.isascii() else _folded(word))]


@lru_cache(maxsize=65_536)
def _folded(word: str) -> tuple[str, ...]:
    """A word with its accents folded: one word, or several where folding
    makes a mark of a character (½ is 1⁄2)."""
    return tuple(WORD.findall(fold(word)))


@dataclass(frozen=True)
class Term:
    """A word to find (a prefix, if it ended in *), or a phrase: words in a row."""

    words: tuple[str, ...]
    prefix: bool = False

    def fts5(self) -> str:
        # Only letters and digits inside the quotes: nothing FTS5 reads as syntax.
        return f'"{" ".join(self.words)}"' + ("*" if self.prefix else "")

    def tsquery(self) -> str:
        # Only letters and digits inside the quotes: nothing to_tsquery reads as syntax.
        said = " <-> ".join(f"'{word}'" for word in self.words)
        said = said + ":*" if self.prefix else said
        return f"({said})" if len(self.words) > 1 else said


@dataclass(frozen=True)
class Search:
    """A search as typed, read into terms: every term must be found."""

    typed: str
    terms: tuple[Term, ...]

    def fts5(self) -> str:
        return " ".join(term.fts5() for term in self.terms)

    def tsquery(self) -> str:
        return " & ".join(term.tsquery() for term in self.terms)

    def matches(self, word: str) -> bool:
        """Whether a folded word of a fact is one the search looks for (a snippet marks it)."""
        for term in self.terms:
            if term.prefix and word.startswith(term.words[-1]):
                return True
            if word in term.words:
                return True
        return False


def search(typed: str) -> Search:
    """What a person typed, read into terms: words (each must be found),
    "a phrase" in quotes (its words in a row), and a word ending in * (a
    prefix: smuggl* finds smuggling and smugglers). Any other mark separates
    words, so no text is ever read as a store's query syntax. NotASearch,
    in a sentence, if it cannot be searched for."""
    if len(typed) > LONGEST:
        raise NotASearch(f"a search holds at most {LONGEST} characters; this one holds {len(typed):,}")
    if found := CONTROL.search(typed):
        raise NotASearch(f"a search holds {describe_character(found.group())}: type words, letters and digits")
    terms = []
    for phrase, given in TYPED.findall(typed):
        text = phrase or given
        found_words = tuple(words(text))
        if not found_words:
            continue
        # A prefix of one letter would match most of the record.
        prefix = not phrase and text.endswith("*") and len(found_words) == 1 and len(found_words[0]) > 1
        if phrase:
            terms.append(Term(found_words))
        else:
            terms += [Term((word,)) for word in found_words[:-1]] + [Term(found_words[-1:], prefix)]
    if not terms:
        raise NotASearch(f"{_quoted(typed)} holds no word to search for: type words, letters and digits")
    if len(terms) > TERMS:
        raise NotASearch(f"a search holds at most {TERMS} words or phrases; this one holds {len(terms)}")
    return Search(typed, tuple(dict.fromkeys(terms)))


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")
