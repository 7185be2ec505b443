"""What is asked of the search view: the facts and task events a search
finds, best first, with a snippet of each one's text around what was found.

Both stores find the same rows (they index the same folded words, and run
the same terms: search.words) and order them alike: by how well each
matches (BM25 on SQLite; ts_rank on PostgreSQL, normalised by the length of
the text as BM25 is), then the most recent first (the date it happened,
then the order recorded). The scores differ between the stores; the order
differs only between rows that match about as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.codes import partner_code
from workflows.projections.base import Queries
from workflows.projections.search.tables import index_table, order_index
from workflows.projections.search.words import WORD, NotASearch, Search, search, words

# The most results one search gives, and the characters of a snippet.
MOST = 500
SNIPPET = 220
BEFORE = 60
SHOWN = ("position", "kind", "type", "subject", "partners", "aggregate", "occurred_on", "summary", "text")


@dataclass(frozen=True)
class Filters:
    """What narrows a search: a partner's code, event types by name, and a period the facts happened in."""

    partner: str | None = None
    types: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None


@dataclass
class Found:
    """The rows a search found, best first, and whether more match."""

    search: Search
    rows: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False


class SearchQueries(Queries):
    view = "search"

    def find(
        self,
        typed: str,
        *,
        partner: str | None = None,
        types: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        limit: int = 20,
    ) -> Found:
        """The rows whose words hold every term of what was typed (see
        search.words.search), best first, at most `limit`: of a partner, of
        these types, happened from `since` to `until`, if given; each with
        its snippet: parts of its text, each marked if it is a word found.
        NotASearch, UnknownPartner, in a sentence, for what cannot be searched."""
        if not 1 <= limit <= MOST:
            raise NotASearch(f"a search gives from 1 to {MOST} results; {limit:,} were asked for")
        wanted = search(typed)
        where, params = _filtered(Filters(partner, tuple(types), since, until))
        table = self.table
        index, columns = index_table(table), ", ".join(f"r.{name}" for name in SHOWN)
        # The best rows found, ranked by what the index keeps beside it (the
        # day, the partners, the type), then the wide rows of those alone.
        if self.db.postgres:
            best = (
                "SELECT s.position AS found, ts_rank(s.document, q, 1) AS score, s.occurred_first AS day "
                f"FROM {index} s, to_tsquery('simple', ?) q WHERE s.document @@ q {where} "
                "ORDER BY score DESC, day DESC, found DESC LIMIT ?"
            )
            order, query = "best.score DESC", wanted.tsquery()
        else:
            best = (
                f"SELECT s.position AS found, bm25({index}) AS score, s.occurred_first AS day "
                f"FROM {index} JOIN {table} s INDEXED BY {order_index(table)} ON s.position = {index}.rowid "
                f"WHERE {index} MATCH ? {where} ORDER BY score, day DESC, found DESC LIMIT ?"
            )
            order, query = "best.score", wanted.fts5()
        sql = (
            f"SELECT {columns} FROM ({best}) best JOIN {table} r ON r.position = best.found "
            f"ORDER BY {order}, best.day DESC, best.found DESC"
        )
        rows = self.db.query(sql, [query, *params, limit + 1])
        for row in rows:
            row["partners"] = [code for code in row["partners"].split(",") if code]
            row["snippet"] = snippet(wanted, row.pop("text"))
        return Found(wanted, rows[:limit], len(rows) > limit)

    def types(self) -> list[str]:
        """The event types a search may be narrowed to, by name."""
        return sorted(searched_types().values())


def _filtered(filters: Filters) -> tuple[str, list[Any]]:
    """The conditions filters add to a search, and their values."""
    where: list[str] = []
    params: list[Any] = []
    if filters.partner:
        where.append("s.partners LIKE ?")
        params.append(f"%,{partner_code(filters.partner)},%")
    if filters.types:
        types = type_names(filters.types)
        where.append(f"s.type IN ({', '.join('?' * len(types))})")
        params += types
    if filters.since:
        where.append("s.occurred_first >= ?")
        params.append(filters.since.isoformat())
    if filters.until:
        where.append("s.occurred_first <= ?")
        params.append(filters.until.isoformat())
    if filters.since and filters.until and filters.since > filters.until:
        raise NotASearch(f"the period runs from {filters.since} to {filters.until}: its start comes after its end")
    return "".join(f" AND {condition}" for condition in where), params


def searched_types() -> dict[str, str]:
    """Every event type the search holds, by its name folded (visitheld: VisitHeld)."""
    from workflows.projections.search.view import FACTS, TASK_EVENTS

    classes: list[type[Any]] = [*FACTS, *TASK_EVENTS]
    return {cls.__name__.lower(): cls.__name__ for cls in classes}


def type_names(given: Sequence[str]) -> list[str]:
    """Event types by their names, written as a person may (VisitHeld,
    visit held, visit-held); NotASearch naming one the search does not hold."""
    known = searched_types()
    names = []
    for name in given:
        folded = re.sub(r"[\s_-]+", "", name).lower()
        if folded not in known:
            raise NotASearch(
                f"{name[:60]!r} is not a type the search holds; it holds {', '.join(sorted(known.values()))}"
            )
        names.append(known[folded])
    return names


def snippet(wanted: Search, text: str) -> list[tuple[str, bool]]:
    """Some of a text around the first word found (up to SNIPPET
    characters), in parts, each marked if it is a word found; the start of
    the text if none of its words is (the sentence or a partner's name matched)."""
    text = " ".join(text.split())
    hits = [found for found in WORD.finditer(text) if any(wanted.matches(word) for word in words(found.group()))]
    start = 0
    if hits and hits[0].start() > BEFORE:
        # From the start of a word, some way before the first found.
        start = text.find(" ", hits[0].start() - BEFORE) + 1
    end = min(len(text), start + SNIPPET)
    if end < len(text) and (space := text.rfind(" ", start, end)) > start:
        end = space
    parts: list[tuple[str, bool]] = [("…", False)] if start else []
    at = start
    for hit in hits:
        if hit.start() < at or hit.end() > end:
            continue
        parts += [(text[at : hit.start()], False), (hit.group(), True)]
        at = hit.end()
    parts.append((text[at:end] + ("…" if end < len(text) else ""), False))
    return [(part, hit) for part, hit in parts if part]
