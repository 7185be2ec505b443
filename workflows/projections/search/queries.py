"""What is asked of the search view: the facts and task events a search
finds, best first, with a snippet of each one's text around what was found.

A search ranks at most RANKED of the rows it finds, those recorded last:
ranking a word found in half of a record of a million facts would take
seconds, and a person looking for something that common narrows it (by a
partner, a type, a period, another word). The index finds the rows of a
partner or a type as it finds words, so a narrowed search ranks the last
RANKED of its own rows; the results say when the ranking was cut.

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
from workflows.projections.search.tables import SPAN_BITS, index_table, order_index, span_lexeme
from workflows.projections.search.words import WORD, NotASearch, Search, Term, search, words

# The most results one search gives, the most rows it ranks (those
# recorded last), and the characters of a snippet.
MOST = 500
RANKED = 1_000
# On PostgreSQL, a search whose terms the planner expects in at most FEW
# times as many rows as are ranked finds them all in the index; one in more
# walks the spans of positions newest first (search.tables).
FEW = 10
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
    """The rows a search found, best first, and whether more match; `cut`,
    when more rows matched than a search ranks, is how many it ranked (the
    ones recorded last): the rows are the best of those, not of every match."""

    search: Search
    rows: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False
    cut: int = 0


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
        ranked: int | None = None,
    ) -> Found:
        """The rows whose words hold every term of what was typed (see
        search.words.search), best first, at most `limit`: of a partner, of
        these types, happened from `since` to `until`, if given; each with
        its snippet: parts of its text, each marked if it is a word found.
        Only the `ranked` rows found that were recorded last are ranked
        (RANKED unless given; the result's `cut` says when more were found). NotASearch,
        UnknownPartner, in a sentence, for what cannot be searched."""
        if not 1 <= limit <= MOST:
            raise NotASearch(f"a search gives from 1 to {MOST} results; {limit:,} were asked for")
        ranked = RANKED if ranked is None else ranked
        if ranked < 1:
            raise NotASearch(f"a search ranks at least one row; {ranked:,} were asked for")
        wanted = search(typed)
        filters = Filters(partner, tuple(types), since, until)
        period, params = _period(filters)
        code, type_list = _narrowed(filters)
        table = self.table
        index, columns = index_table(table), ", ".join(f"r.{name}" for name in SHOWN)
        # The rows found that were recorded last (the index yields them in
        # that order, and stops), at most one more than are ranked, to know
        # whether there were more; then those ranked, then the wide rows of
        # the best alone.
        if self.db.postgres:
            query, narrowed = wanted.tsquery(), narrowing_tsquery(code, type_list)
            terms = "q && ?::tsquery" if narrowed else "q"
            found_by = [query, *params, *([narrowed] if narrowed else [])]
            # The period first: PostgreSQL checks conditions of a cost in the
            # order written, and a day is cheaper to compare than a document to match.
            if self._few(index, wanted, narrowed, ranked):
                # Few rows hold the terms: the GIN index finds them all, then they are put in order.
                last = (
                    "SELECT s.position AS found, s.occurred_first AS day, q "
                    f"FROM {index} s, to_tsquery('simple', ?) q "
                    f"WHERE {' AND '.join([*period, f's.document @@ ({terms})'])} ORDER BY s.position DESC LIMIT ?"
                )
            else:
                # Many do: the spans of positions newest first (search.tables),
                # each span's rows found by the GIN index and put in order; the
                # limit stops the walk in the span that holds enough. A nested
                # loop over a function's rows runs them in their order (no
                # plan can run it in parallel or join it otherwise: each span's
                # rows are asked by its number), so the rows come newest first,
                # as the primary key would give them, which would read every
                # row recorded since the last that holds a word (a word in half
                # the facts may be in none of the tasks recorded after them).
                condition = f"s.document @@ ({terms} && ('''span=' || span.n || '''')::tsquery)"
                last = (
                    "SELECT f.found, f.day, q "
                    f"FROM generate_series((SELECT max(position) >> {SPAN_BITS} FROM {index}), 0, -1) span(n), "
                    "to_tsquery('simple', ?) q, "
                    f"LATERAL (SELECT s.position AS found, s.occurred_first AS day FROM {index} s "
                    f"WHERE {' AND '.join([*period, condition])} ORDER BY s.position DESC) f LIMIT ?"
                )
            first = [*found_by, ranked + 1]
            # Ranked by the words alone, as before the spans were indexed
            # (ts_rank's normalisation counts a document's lexemes).
            score = f"ts_rank(ts_delete(d.document, {span_lexeme('last.found')}), last.q, 1)"
            ranking, order = f"last JOIN {index} d ON d.position = last.found", "score DESC"
        else:
            query = fts5_match(wanted, code, type_list)
            last = (
                f"SELECT {index}.rowid AS found, bm25({index}, 1.0, 0.0, 0.0) AS score, s.occurred_first AS day "
                f"FROM {index} JOIN {table} s INDEXED BY {order_index(table)} ON s.position = {index}.rowid "
                f"WHERE {' AND '.join([f'{index} MATCH ?', *period])} ORDER BY {index}.rowid DESC LIMIT ?"
            )
            first = [query, *params, ranked + 1]
            score, ranking, order = "last.score", "last", "score"
        sql = (
            f"WITH last AS ({last}), "
            f"best AS (SELECT found, {score} AS score, day FROM {ranking} ORDER BY found DESC LIMIT ?), "
            f"best_shown AS (SELECT * FROM best ORDER BY {order}, day DESC, found DESC LIMIT ?) "
            f"SELECT {columns}, (SELECT count(*) FROM last) AS matched FROM best_shown "
            f"JOIN {table} r ON r.position = best_shown.found "
            f"ORDER BY best_shown.{order}, best_shown.day DESC, best_shown.found DESC"
        )
        rows = self.db.query(sql, [*first, ranked, limit + 1])
        matched = rows[0]["matched"] if rows else 0
        for row in rows:
            del row["matched"]
            row["partners"] = [named for named in row["partners"].split(",") if named]
            row["snippet"] = snippet(wanted, row.pop("text"))
        return Found(wanted, rows[:limit], len(rows) > limit or matched > ranked, ranked if matched > ranked else 0)

    def _few(self, index: str, wanted: Search, narrowed: str, ranked: int) -> bool:
        """Whether few enough rows may hold the terms of a search that the
        GIN index had best find them all, then put them in order: a rare
        word, a common one of one partner. The planner's statistics give the
        rows of each word, partner and set of types (the search is not run:
        a plan each, in all a millisecond or two); the fewest bound those of all together,
        which the planner would put lower (it takes words found together,
        as in a phrase, as found apart). Walking the spans for a rare word
        would ask the index once a span, each time through the postings of
        every term."""
        # A phrase's words one by one; a prefix is its last word's.
        words = [
            Term((word,), term.prefix and at == len(term.words) - 1)
            for term in wanted.terms
            for at, word in enumerate(term.words)
        ]
        parts = [*(word.tsquery() for word in words), *(narrowed.split(" & ") if narrowed else [])]
        sql = f"SELECT 1 FROM {index} s WHERE s.document @@ ?::tsquery"
        return min(self.db.planned_rows(sql, [[part] for part in parts])) <= FEW * (ranked + 1)

    def types(self) -> list[str]:
        """The event types a search may be narrowed to, by name."""
        return sorted(searched_types().values())


def _narrowed(filters: Filters) -> tuple[str | None, list[str]]:
    """The partner's code and the types' names a search is narrowed to,
    which the index holds (letters alone: nothing either store reads as syntax)."""
    code = partner_code(filters.partner) if filters.partner else None
    return code, type_names(filters.types) if filters.types else []


def fts5_match(wanted: Search, partner: str | None, types: Sequence[str]) -> str:
    """What FTS5 is asked: the words searched for in the words column, the
    partner and the types in theirs."""
    match = f"words : ({wanted.fts5()})"
    if partner:
        match += f' AND partners : "{partner.lower()}"'
    if types:
        match += " AND type : (" + " OR ".join(f'"{name.lower()}"' for name in types) + ")"
    return match


def narrowing_tsquery(partner: str | None, types: Sequence[str]) -> str:
    """The lexemes of a partner and of types a search is narrowed to, as a
    tsquery beside the words' on PostgreSQL (search.view); empty if neither."""
    lexemes = [f"'partner={partner.lower()}'"] if partner else []
    if types:
        lexemes.append("(" + " | ".join(f"'type={name.lower()}'" for name in types) + ")")
    return " & ".join(lexemes)


def _period(filters: Filters) -> tuple[list[str], list[Any]]:
    """The conditions a period adds to a search, and their values."""
    where: list[str] = []
    params: list[Any] = []
    if filters.since:
        where.append("s.occurred_first >= ?")
        params.append(filters.since.isoformat())
    if filters.until:
        where.append("s.occurred_first <= ?")
        params.append(filters.until.isoformat())
    if filters.since and filters.until and filters.since > filters.until:
        raise NotASearch(f"the period runs from {filters.since} to {filters.until}: its start comes after its end")
    return where, params


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
