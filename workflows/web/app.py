"""The web console's wiring: routes, templates, the moment each page
stands for, security headers, errors as pages.

Pages are read on threads of their own, by kind of work (workflows.web.workers):
readers of the record now, each with its own application and connections;
a few replays of the record as it stood, kept by moment (workflows.web.replays);
sign-ins, whose password hash takes a fifth of a second; and one writer, where
every change made on a page is recorded. The event loop stays free while a
page is read. The views are brought up to date first, as a command does.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from workflows.application.errors import BAD_INPUT, explain, explained
from workflows.application.service import OnStandby
from workflows.application.sessions import HOURS, Sessions, TooManyAttempts
from workflows.config import accounts
from workflows.config.settings import Settings
from workflows.reports.html import STYLE
from workflows.sentences.words import country, day
from workflows.web import addresses, approvals, delegations, pages, record, search
from workflows.web.moments import Moment, NotAMoment
from workflows.web.params import NotUnderstood
from workflows.web.replays import Replays
from workflows.web.workers import Busy, Workers

if TYPE_CHECKING:
    from workflows.application.service import Accord

T = TypeVar("T")

TEMPLATES = Path(__file__).parent / "templates"
SCRIPT = (Path(__file__).parent / "static" / "accord.js").read_text(encoding="utf-8")
# Seconds between looks at the log's head, for live pages.
LOOK = 1.0
# Pages kept, the least recently read dropped first.
KEPT = 64
# Nothing but this site's own stylesheet and script (no inline one); forms post here.
SECURITY = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
CSS = (
    STYLE
    + """
header.site { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1.5rem;
  border-bottom: 1px solid #ccc; padding-bottom: .5rem; margin-bottom: 1rem; }
header.site .name { font-weight: 700; font-size: 1.1rem; color: inherit; text-decoration: none; }
header.site nav ul { margin: 0; }
header.site .who { margin-left: auto; font-size: .85rem; }
header.site .who form { display: inline; }
form.moment { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: end; font-size: .85rem; }
form.moment label { display: flex; flex-direction: column; }
form.filters { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: end; margin: .5rem 0 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; }
.banner { background: #fff4ce; border: 1px solid #e0c060; padding: .5rem .75rem; border-radius: 4px; }
.error { background: #fde7e9; border: 1px solid #d13438; padding: .75rem; border-radius: 4px; }
.overdue-text { color: #b30000; font-weight: 600; }
pre.json { background: #f6f6f6; padding: .75rem; overflow-x: auto; font-size: .8rem; }
code.digest { overflow-wrap: anywhere; }
details summary { cursor: pointer; margin: 1rem 0 .5rem; font-weight: 600; }
a.next { display: inline-block; margin: .5rem 0; }
form.record { max-width: 46rem; }
form.record .field { display: flex; flex-direction: column; gap: .2rem; margin: 0 0 .9rem; }
form.record input, form.record select, form.record textarea { font: inherit; padding: .3rem .4rem; max-width: 100%; }
form.record fieldset { border: 1px solid #ccc; border-radius: 4px; }
form.record label.inline { display: inline-flex; gap: .3rem; margin-right: 1rem; }
form.record .help { color: #555; }
form.record .wrong :is(input, select, textarea, fieldset) { border: 2px solid #d13438; }
form.record .problem { color: #a4262c; font-weight: 600; margin: 0; }
form.search { display: flex; gap: .25rem; align-items: baseline; }
form.search input { width: 14rem; max-width: 60vw; }
ol.results li { margin-bottom: .75rem; }
ol.results p { margin: .1rem 0; }
ol.results .meta, p.hint { font-size: .85rem; color: #555; }
mark { background: #fff0a0; padding: 0 .1em; }
article.proposal { border: 1px solid #ccc; border-radius: 4px; padding: .5rem .75rem; margin: 0 0 1rem; }
article.proposal h3 { margin: 0 0 .25rem; overflow-wrap: anywhere; }
article.proposal p { margin: .25rem 0; }
article.proposal .meta { font-size: .85rem; color: #555; }
form.decide { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: end; margin: .5rem 0 0; }
form.decide label { display: flex; flex-direction: column; font-size: .85rem; max-width: 100%; }
form.decide input { font: inherit; width: 20rem; max-width: 100%; }
"""
)
# What a change did, said on the task's page after it.
DONE = {"assign": "assigned", "defer": "deferred", "complete": "completed", "cancel": "cancelled"}
NOBODY = "no one may sign in: there is no users file (ACCORD_USERS; `accord users add` makes one)"
NAVIGATION = (
    ("Portfolio", "/"),
    ("Tasks", "/tasks"),
    ("Meetings", "/meetings"),
    ("Funding", "/funding"),
    ("What changed", "/changes"),
    ("Audit log", "/audit"),
    ("Record", "/record"),
    ("Approvals", "/approvals"),
)


class Console:
    """The applications pages are read from, one a reader's thread, and the
    one that records a change made on a page, on the writer's thread: over
    the same store, unless pages are read on a hot standby (ACCORD_READ_DB)
    and changes made on its primary."""

    def __init__(
        self, settings: Settings, build: Callable[[], Accord], build_recording: Callable[[], Accord] | None = None
    ) -> None:
        self.settings = settings
        self.zone = settings.schedule.zone
        # Who is signed in, kept beside the users file (none: nobody signs in).
        self.sessions = Sessions(settings.web.users) if settings.web.users else None
        # The users file as last read, by the time it was last changed.
        self._users: tuple[int | None, dict[str, str]] | None = None
        self.workers = Workers(build, build_recording)
        self.replays = Replays(settings)
        # Pages read, by address, how far the views have read the log, and day (see `read`).
        self.kept: OrderedDict[tuple[str | None, int, Any], dict[str, Any]] = OrderedDict()
        self._keeping = threading.Lock()
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False
        )
        # A date as people write it: "7 June 2021", "June 2021", "2021".
        self.templates.filters["day"] = day
        # A partner by its name: "Tunisia".
        self.templates.filters["country"] = country

    def app(self) -> Accord:
        """The calling thread's application, which pages are read from."""
        return self.workers.app()

    def recording(self) -> Accord:
        """The application a change made on a page is recorded by (on the writer's thread)."""
        return self.workers.recording()

    def shown(self, recorded: Accord) -> None:
        """After a change recorded on the primary: its views brought up to
        date there, and the standby waited for (a few seconds at most) until
        it has them, so the page read next shows the change."""
        reading = self.app()
        if isinstance(reading, OnStandby):
            recorded.refresh()
            reading.wait_for(recorded)

    async def run(self, work: Callable[[], Any]) -> Any:
        """`work` on the writer's thread, one at a time: what records (a
        form's fact, a correction) and what a form reads around it."""
        return await self.workers.write(work)

    async def record(self, act: Callable[[Accord], T]) -> T:
        """`act` on the application that records, on the writer's thread;
        what it recorded then shown (see `shown`)."""

        def work() -> T:
            recording = self.recording()
            done = act(recording)
            self.shown(recording)
            return done

        done: T = await self.run(work)
        return done

    def close(self) -> None:
        self.workers.close()
        self.replays.close()

    async def read(
        self, moment: Moment, work: Callable[[Accord, Any], dict[str, Any]], replay: bool, key: str | None = None
    ) -> dict[str, Any]:
        """`work(record, today)` over the record the moment stands for: a
        replay of it (on a replay's thread), or (now, or `replay` false: a
        page of the log itself, which filters by the moment) the store now,
        on a reader's thread. A page with a `key` (its address, in the
        parameters it reads) is kept until the log moves or the day
        changes: it is a function of them, and read again only then."""
        replayed = replay and not moment.now
        reading = self.workers.replay if replayed else self.workers.read
        return await reading(lambda: self._read(moment, work, replayed, key))

    def _read(
        self, moment: Moment, work: Callable[[Accord, Any], dict[str, Any]], replayed: bool, key: str | None
    ) -> dict[str, Any]:
        app = self.app()
        self.workers.caught_up(app)
        # On a standby, where its views stand, which may trail its log's head.
        head = app.read_to()
        behind = app.behind()
        standby = {"standby": behind} if behind else {}
        today = app.clock.today()
        kept = (key, head, today)
        with self._keeping:
            if key is not None and kept in self.kept:
                self.kept.move_to_end(kept)
                return {**self.kept[kept], **standby}
        # Events a reader could not carry, which a page may leave out: said on every page.
        uncarried = app.failed()
        if not replayed:
            values = {**work(app, today), "said": "now", "today": today, "head": head}
        else:
            moment.has_come(today, app.clock.now())
            values = {**self.replays.read(app, moment, head, work), "head": head}
        values["uncarried"] = uncarried
        if key is not None:
            with self._keeping:
                self.kept[kept] = values
                while len(self.kept) > KEPT:
                    self.kept.popitem(last=False)
        return {**values, **standby}

    def who(self, request: Request) -> str | None:
        """Who is signed in: the name the reverse proxy says, when Accord
        is told to trust its header; else the session's, while it holds
        (workflows.application.sessions)."""
        header = self.settings.web.web_user_header
        if header:
            return request.headers.get(header) or None
        if self.sessions is None:
            return None
        return self.sessions.user_of(request.session.get("token"), self.users())

    def users(self) -> dict[str, str]:
        """Who may sign in, as the users file says now: read again only when
        it changed (every page asks who is signed in)."""
        path = self.settings.web.users
        if not path:
            return {}
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            stamp = None
        if self._users is None or self._users[0] != stamp:
            self._users = (stamp, accounts.load(path))
        return self._users[1]

    @staticmethod
    def token(request: Request) -> str:
        """The session's token against cross-site forms: every form carries
        it, and a form posted without it changes nothing."""
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return str(request.session["csrf"])

    def render(self, request: Request, template: str, values: dict[str, Any], status: int = 200) -> HTMLResponse:
        moment: Moment = request.state.moment

        def link(path: str, **params: Any) -> str:
            """A link to a page of this site with these parameters (those
            given a value), at the same moment."""
            given = {name: value for name, value in params.items() if value not in (None, "")}
            given.update(moment.params(self.zone))
            return path + ("?" + urlencode(given) if given else "")

        text = self.templates.get_template(template).render(
            **values,
            request=request,
            moment=moment,
            link=link,
            user=self.who(request),
            csrf=self.token(request),
            keep=moment.query(self.zone),
            known_at_field=moment.field(self.zone),
            navigation=NAVIGATION,
            # What the last change made here did, said once on the page after it.
            notice=request.session.pop("notice", None),
            zone=self.settings.schedule.timezone,
        )
        return HTMLResponse(text, status_code=status, headers=SECURITY)


def create(settings: Settings, build: Callable[[], Accord] | None = None) -> Starlette:
    """The web console over the store the settings name."""
    build_recording = None
    if build is None:
        from workflows.application.compose import build as compose_build
        from workflows.application.compose import build_standby

        def build() -> Accord:
            return build_standby(settings) if settings.read_db else compose_build(settings)

        if settings.read_db:

            def build_recording() -> Accord:
                return compose_build(settings)

    console = Console(settings, build, build_recording)

    def page(
        template: str,
        work: Callable[[Request, ZoneInfo], addresses.Work],
        replay: bool = True,
        live: bool = True,
        keep: bool = True,
    ) -> Callable[..., Any]:
        """A page's endpoint: `work` reads the values of its address (each
        one it cannot use answered 400), and gives what reads the page's
        values, at the request's moment (a replay, unless `replay` is false);
        a `live` page is read again in place when something new is recorded;
        a page that is the same for everyone at the same head of the log is
        kept (`keep`). What its address names and the record lacks (a
        partner, a task) is not found (404); a filter the record cannot
        apply (an unknown event type) is not understood (400)."""

        async def endpoint(request: Request) -> Response:
            request.state.moment = Moment()  # until the query's is read: an error page stands for now
            try:
                request.state.moment = Moment.of(request.query_params, console.zone)
                # Only what the page reads names it: another parameter is refused, not kept apart.
                given = addresses.understood(request, work)
                reads = work(request, console.zone)
                key = request.url.path + "?" + urlencode(given) if keep else None
                values = await console.read(request.state.moment, reads, replay, key)
            except Exception as error:  # said as a page, as the command line says it in a sentence
                message = bad_input(error)
                if message is None:
                    return unavailable(request, error)
                if isinstance(error, NotUnderstood) or not request.path_params:
                    return not_understood(request, message)
                return console.render(request, "error.html", {"title": "Not found", "message": message}, 404)
            return console.render(request, template, {**values, "live": live})

        return endpoint

    target = settings.funding_target

    def bad_input(error: Exception) -> str | None:
        """What a person asked that cannot be done, in a sentence; None for any other failure."""
        if isinstance(error, NotUnderstood):
            return str(error)
        status, message = explain(error, settings)
        return message if status == BAD_INPUT else None

    def unavailable(request: Request, error: Exception) -> HTMLResponse:
        """A page the store cannot give now (out of reach, or holding an
        event its code cannot read), said as the command line says it;
        an error Accord does not know is raised, to be logged."""
        known = explained(error, settings)
        if known is None:
            raise error
        return console.render(request, "error.html", {"title": "Not available", "message": known[1]}, 503)

    def not_understood(request: Request, message: str) -> HTMLResponse:
        return console.render(request, "error.html", {"title": "Not understood", "message": message}, 400)

    @addresses.reading("in")
    def portfolio_work(request: Request, zone: ZoneInfo) -> addresses.Work:
        into = addresses.currency_of(request)
        query = request.state.moment.query(zone)
        return lambda app, today: pages.portfolio(app, today, target, lambda code: f"/partners/{code}{query}", into)

    @addresses.reading("in")
    def funding_work(request: Request, zone: ZoneInfo) -> addresses.Work:
        into = addresses.currency_of(request)
        return lambda app, today: pages.funding(app, today, target, into)

    def task_work(request: Request, zone: ZoneInfo) -> addresses.Work:
        ref = addresses.path_value(request, "ref", "a task's id")
        return lambda app, today: task_page(app, today, request, ref, zone)

    def task_page(app: Accord, today: Any, request: Request, ref: str, zone: ZoneInfo) -> dict[str, Any]:
        values = pages.task(app, today, ref, zone)
        user = console.who(request)
        done = request.session.pop("done", None)
        return {**values, "may_change": pages.may_change(console.app(), user), "done": done, "failed": None}

    async def posted(request: Request) -> dict[str, str] | None:
        """A form's fields, if it carries the session's token; else None."""
        form = await request.form()
        given = str(form.get("csrf", ""))
        if not (given and secrets.compare_digest(given, console.token(request))):
            return None
        return {name: str(value) for name, value in form.items()}

    def refused(request: Request, message: str, status: int) -> HTMLResponse:
        request.state.moment = Moment()
        return console.render(request, "error.html", {"title": "Not done", "message": message}, status)

    def out_of_date(request: Request, back: str) -> Response:
        """The answer to a form posted without the session's token: where no
        one is signed in any more (signed out in another tab, the session
        ended), to sign in and back to `back`; else refused. Nothing is done."""
        if console.who(request) is None:
            request.session["notice"] = "You are signed out (in another tab, or your session ended): sign in again."
            return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
        return refused(request, "this form is out of date or from another site: load the page and try again", 403)

    async def signed(request: Request, back: str) -> tuple[dict[str, str], str] | Response:
        """A posted form's fields and who posted it; or the answer that
        refuses it: out of date (see `out_of_date`), or to sign in and back
        to `back`."""
        form = await posted(request)
        if form is None:
            return out_of_date(request, back)
        user = console.who(request)
        if user is None:
            return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
        return form, user

    async def change_task(request: Request) -> Response:
        try:
            ref = addresses.path_value(request, "ref", "a task's id")
            change = addresses.path_value(request, "change", "a change")
        except NotUnderstood as error:
            return refused(request, str(error), 400)
        given = await signed(request, f"/tasks/{ref}")
        if isinstance(given, Response):
            return given
        form, user = given
        changes: dict[str, Callable[[Any, Any], Any]] = {
            "assign": lambda t, stamp: t.assign(form.get("owner", "").strip(), stamp),
            "defer": lambda t, stamp: t.defer(_day(form.get("to", "")), form.get("reason", "").strip(), stamp),
            "complete": lambda t, stamp: t.complete(form.get("note", "").strip(), stamp),
            "cancel": lambda t, stamp: t.cancel(form.get("reason", "").strip(), stamp),
        }
        if change not in changes:
            return refused(request, f"{change!r} is not a change of a task (assign, defer, complete, cancel)", 404)

        def apply(app: Accord) -> str:
            if not pages.may_change(app, user):
                raise PermissionError(f"{user} has no role in the policy: the console only reads for them")
            return str(app.change_task(ref, user, changes[change]).id)

        try:
            task_id = await console.record(apply)
        except PermissionError as error:
            return refused(request, str(error), 403)
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            request.state.moment = Moment()
            try:
                values = await console.read(
                    Moment(), lambda app, today: task_page(app, today, request, ref, console.zone), True
                )
            except Exception as unread:  # no such task: nothing to show the change on
                if bad_input(unread) is None:
                    raise
                return refused(request, message, 404)
            return console.render(request, "task.html", {**values, "failed": message}, 400)
        request.session["done"] = DONE[change]
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)

    async def login(request: Request) -> Response:
        request.state.moment = Moment()
        target = request.query_params.get("next", "/")
        target = target if target.startswith("/") and not target.startswith("//") else "/"
        if request.method == "GET":
            return console.render(request, "login.html", {"title": "Sign in", "next": target, "failed": None})
        form = await posted(request)
        if form is None:
            return out_of_date(request, target)
        name, password = form.get("name", "").strip(), form.get("password", "")
        address = request.client.host if request.client else "unknown"

        def signed_in() -> str | None:
            # On a sign-in thread, as the password's hash takes a fifth of a second.
            sessions, known = console.sessions, console.users()
            if sessions is None:
                return None
            sessions.check_attempt(name, address)
            if not accounts.check(known, name, password):
                sessions.failed(name, address)
                return None
            return sessions.open(name, known[name])

        try:
            token = await console.workers.sign_in(signed_in)
        except (TooManyAttempts, Busy) as error:
            status = 429 if isinstance(error, TooManyAttempts) else 503
            return console.render(
                request, "login.html", {"title": "Sign in", "next": target, "failed": str(error)}, status
            )
        except Exception as error:  # the sessions' file cannot be kept: said as a page
            return unavailable(request, error)
        if token is None:
            failed = (
                "that name and password do not match a user"
                if console.sessions
                else "no one may sign in: no users file (ACCORD_USERS)"
            )
            return console.render(request, "login.html", {"title": "Sign in", "next": target, "failed": failed}, 401)
        request.session.clear()
        request.session["token"] = token
        return RedirectResponse(target, status_code=303)

    async def events(request: Request) -> Response:
        """Server-sent events: the log's head, once at first and again each
        time it moves (looked at every LOOK seconds), for live pages."""

        async def heads() -> AsyncIterator[str]:
            shown, quiet = None, 0.0
            while not await request.is_disconnected():
                head = await console.workers.read(lambda: console.app().read_to())
                if head != shown:
                    shown, quiet = head, 0.0
                    yield f"event: head\ndata: {head}\n\n"
                elif quiet >= 15:
                    quiet = 0.0
                    yield ": still here\n\n"
                await asyncio.sleep(LOOK)
                quiet += LOOK

        headers = {**SECURITY, "cache-control": "no-store", "x-accel-buffering": "no"}
        return StreamingResponse(heads(), media_type="text/event-stream", headers=headers)

    async def logout(request: Request) -> Response:
        if await posted(request) is None:
            return out_of_date(request, "/")
        if console.sessions is not None:
            # Ended on the server: every tab, and any copy of the cookie, is signed out.
            console.sessions.close(request.session.get("token"))
        request.session.clear()
        return RedirectResponse("/", status_code=303)

    routes = [
        Route("/", page("report.html", portfolio_work)),
        Route("/partners/{code}", page("report.html", addresses.partner_work)),
        Route("/funding", page("report.html", funding_work)),
        Route("/meetings", page("meetings.html", lambda r, zone: lambda app, today: pages.meetings(app, today))),
        Route("/meetings/{meeting}", page("report.html", addresses.briefing_work)),
        Route("/tasks", page("tasks.html", addresses.tasks_work)),
        Route("/audit", page("audit.html", addresses.audit_work, replay=False)),
        Route("/audit/{position}", page("event.html", addresses.event_work, replay=False)),
        Route("/search", page("search.html", search.search_work, replay=False, live=False)),
        Route("/changes", page("changes.html", addresses.changes_work, replay=False, keep=False)),
        Route("/tasks/{ref}", page("task.html", task_work, live=False, keep=False)),
        Route("/tasks/{ref}/{change}", change_task, methods=["POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/events", events),
        *record.routes(console, refused, out_of_date, bad_input),
        *approvals.routes(console, console.zone, signed, bad_input),
        *delegations.routes(console, console.zone, signed, bad_input),
        Route("/accord.css", lambda request: Response(CSS, media_type="text/css", headers=SECURITY)),
        Route("/accord.js", lambda request: Response(SCRIPT, media_type="text/javascript", headers=SECURITY)),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            console.close()

    async def no_page(request: Request, error: Exception) -> Response:
        """An address no page stands at (404), or one that takes no such
        method (405): said as a page, as every refusal is, not as bare text."""
        request.state.moment = Moment()
        status = getattr(error, "status_code", 404)
        headers = getattr(error, "headers", None) or {}
        title = "Not allowed" if status == 405 else "Not found"
        # Starlette names a route's methods in no set order: said sorted, the same each time.
        allowed = ", ".join(sorted(method.strip() for method in headers.get("Allow", "").split(",") if method.strip()))
        message = (
            f"this address takes {allowed or 'another method'} only"
            if status == 405
            else "no page of the console is at this address: the links at the top lead to its pages"
        )
        response = console.render(request, "error.html", {"title": title, "message": message}, status)
        response.headers.update({**headers, "Allow": allowed} if allowed else headers)
        return response

    session = Middleware(
        SessionMiddleware,
        secret_key=settings.web.web_secret or secrets.token_urlsafe(48),
        session_cookie="accord_session",
        max_age=HOURS * 3600,
        same_site="strict",
        # Sent over TLS only where the console is reached over it (ACCORD_WEB_URL https://...).
        https_only=(settings.delivery.web_url or "").startswith("https://"),
    )
    web = Starlette(
        routes=routes, lifespan=lifespan, middleware=[session], exception_handlers={404: no_page, 405: no_page}
    )
    # For those who look at what it keeps (the tests, the bench).
    web.state.console = console
    return web


def _day(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise NotAMoment(f"{text!r} is not a date such as 2021-09-30") from None
