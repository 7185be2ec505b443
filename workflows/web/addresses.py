"""What each page reads from its address, read before anything else is:
each function takes the request (and the business zone) and gives the work
that reads the page's values from the record it stands for. Every value is
read by workflows.web.params or workflows.web.moments, with its bounds.

Each says which values of its query it reads (`reading`), beside the
moment's, which every page reads: a page is kept by those values alone,
and a value it does not read is refused, as a value it cannot use is (a
parameter that changed nothing would otherwise make a page read again, and
keep it again, for every value a stranger cares to send)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from starlette.requests import Request

from workflows.reports.currency import currency
from workflows.web import pages, params
from workflows.web.moments import EARLIEST, moment_of
from workflows.web.params import NotUnderstood, shown

if TYPE_CHECKING:
    from workflows.application.service import Accord

# What reads a page's values: from the record, on the day it stands for.
Work = Callable[["Accord", Any], dict[str, Any]]
# The values of its query every page reads: the moment it stands for.
MOMENT = ("as_of", "known_at")
# The values of its query each page reads besides, by what reads its address.
READ: WeakKeyDictionary[Callable[..., Any], tuple[str, ...]] = WeakKeyDictionary()

Reader = TypeVar("Reader", bound=Callable[..., Any])


def reading(*names: str) -> Callable[[Reader], Reader]:
    """Mark what reads a page's address as reading these values of its query."""

    def marked(reader: Reader) -> Reader:
        READ[reader] = names
        return reader

    return marked


def understood(request: Request, reader: Callable[..., Any]) -> list[tuple[str, str]]:
    """The values of the query the page reads (`reader` reads its address),
    by name, blank ones left out as the page leaves them; NotUnderstood for
    one it does not read."""
    names = READ.get(reader, ()) + MOMENT
    query = request.query_params
    for name in query:
        if name not in names:
            raise NotUnderstood(
                f"this page reads no value named {shown(name)} from its address; it reads {', '.join(names)}"
            )
    return [(name, query[name].strip()) for name in sorted(names) if query.get(name, "").strip()]


def path_value(request: Request, name: str, said: str) -> str:
    """A value of the page's path: bounded, and free of control characters."""
    return params.text(request.path_params[name], said) or ""


def currency_of(request: Request) -> str | None:
    """The currency a page shows the funding in too, if asked (?in=EUR): money Accord records."""
    text = params.text(request.query_params.get("in"), "in")
    return currency(text) if text else None


@reading("in")
def partner_work(request: Request, zone: ZoneInfo) -> Work:
    code = path_value(request, "code", "a partner's code")
    into = currency_of(request)
    return lambda app, today: pages.partner(app, today, code, into)


def briefing_work(request: Request, zone: ZoneInfo) -> Work:
    meeting = path_value(request, "meeting", "a meeting's reference")
    return lambda app, today: pages.briefing(app, today, meeting)


@reading("status", "partner", "owner", "page")
def tasks_work(request: Request, zone: ZoneInfo) -> Work:
    query = request.query_params
    status = params.choice(query.get("status"), "status", pages.TASK_STATUSES, "open")
    partner, owner = params.text(query.get("partner"), "partner"), params.text(query.get("owner"), "owner")
    page = params.whole(query.get("page"), "page", largest=params.LAST_PAGE, default=0)
    return lambda app, today: pages.tasks(app, today, status, partner, owner, page)


@reading("after", "partner", "type")
def audit_work(request: Request, zone: ZoneInfo) -> Work:
    query = request.query_params
    # The page after `after` starts at the position after it, which the stores must hold too.
    after = params.whole(query.get("after"), "after", largest=params.LAST_POSITION - 1, default=0)
    partner, type_name = params.text(query.get("partner"), "partner"), params.text(query.get("type"), "type")
    until = request.state.moment.known_at
    return lambda app, today: pages.audit(app, zone, after=after, partner=partner, type_name=type_name, until=until)


def event_work(request: Request, zone: ZoneInfo) -> Work:
    position = params.whole(request.path_params["position"], "a position", smallest=1, largest=params.LAST_POSITION)
    return lambda app, today: pages.event(app, zone, position)


@reading("since", "until")
def changes_work(request: Request, zone: ZoneInfo) -> Work:
    """Between two moments (by default the last seven days up to now)."""
    query = request.query_params
    since_text, until_text = query.get("since", ""), query.get("until", "")
    given_since = moment_of(since_text, zone, "since") if since_text.strip() else None
    given_until = moment_of(until_text, zone, "until") if until_text.strip() else None

    def changes_page(app: Accord, today: Any) -> dict[str, Any]:
        until = given_until or app.clock.now()
        # A week before, or from the earliest moment Accord computes with.
        since = given_since or until - min(timedelta(days=7), until - EARLIEST)
        field = "%Y-%m-%dT%H:%M"
        return {
            **pages.changes(app, zone, since, until),
            "since": since.astimezone(zone).strftime(field),
            "until": until.astimezone(zone).strftime(field),
        }

    return changes_page
