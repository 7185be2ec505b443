"""The search page: what its address asks (the words typed, a partner, a
type, a period), read with the bounds of workflows.web.params, and the
results as the page shows them, each linked to its pages.

A search reads the record as it stands now, not at the moment the header
may have chosen: a retracted fact is not found, a corrected one is found by
its corrected text. Every text of a result reaches the page through the
template's escaping, the snippet too: the words found are marked by the
template, never by markup in the text."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request

from workflows.sentences.words import day
from workflows.web import params
from workflows.web.addresses import reading

if TYPE_CHECKING:
    from workflows.application.service import Accord
    from workflows.web.addresses import Work

# Results a page shows.
SHOWN = 50
# What each kind of result is, as the page says it.
KINDS = {"partnership": "Fact", "meeting": "Meeting", "initiative": "Initiative", "instrument": "Funding envelope"}


@reading("q", "partner", "type", "since", "until")
def search_work(request: Request, zone: ZoneInfo) -> Work:
    query = request.query_params
    typed = params.text(query.get("q"), "the search")
    partner = params.text(query.get("partner"), "partner")
    type_name = params.text(query.get("type"), "type")
    since, until = params.day(query.get("since"), "since"), params.day(query.get("until"), "until")
    return lambda app, today: search(app, typed, partner, type_name, since, until)


def search(
    app: Accord, typed: str | None, partner: str | None, type_name: str | None, since: date | None, until: date | None
) -> dict[str, Any]:
    """The page's values: the results of what was typed (none before anything is)."""
    values: dict[str, Any] = {
        "title": f"Search: {typed}" if typed else "Search",
        "q": typed or "",
        "partner": partner or "",
        "type": type_name or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "partners": [row["code"] for row in app.reader.partnerships.partners()],
        "types": app.reader.search.types(),
        "results": [],
        "more": False,
        "cut": 0,
    }
    if not typed:
        return values
    found = app.reader.search.find(
        typed, partner=partner, types=[type_name] if type_name else [], since=since, until=until, limit=SHOWN
    )
    values["results"] = [_shown(row) for row in found.rows]
    values["more"] = found.more
    values["cut"] = found.cut
    return values


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A result with what its lines say and where they link."""
    task = row["kind"] == "task"
    subject = quote(row["subject"])
    links = [("the task", f"/tasks/{subject}")] if task else [("the fact in the log", f"/audit/{row['position']}")]
    if row["kind"] == "meeting":
        links.append(("the meeting's briefing", f"/meetings/{subject}"))
    links += [(f"partnership {code}", f"/partners/{quote(code)}") for code in row["partners"]]
    return {
        **row,
        "said_kind": "Task" if task else KINDS.get(row["kind"], "Fact"),
        "day": day(row["occurred_on"]),
        "when": "recorded" if task else "happened",
        "target": links[0][1],
        "links": links[1:] if not task or row["partners"] else [],
    }
