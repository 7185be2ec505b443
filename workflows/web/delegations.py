"""Delegations in the console (domain.approval.Delegation): the signed-in
user's delegations, given and received, in force or not; a form granting
one (a delegate picked among the console's users, a role the user holds
under the policy, a window of days) and a button revoking one, through the
application service `accord delegate` uses. A refusal is said beside the
field it concerns, in the command line's sentence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from workflows.web import params
from workflows.web.moments import Moment
from workflows.web.params import NotUnderstood

if TYPE_CHECKING:
    from workflows.application.service import Accord

T = TypeVar("T")

# The form's fields, in its order: what a refusal is said beside.
FIELDS = ("delegate", "role", "starts_on", "ends_on", "reason")


class Console(Protocol):
    """What the page asks of the console (workflows.web.app.Console)."""

    async def record(self, act: Callable[[Accord], T]) -> T: ...
    def who(self, request: Request) -> str | None: ...
    def users(self) -> dict[str, str]: ...
    def render(self, request: Request, template: str, values: dict[str, Any], status: int = 200) -> HTMLResponse: ...
    async def read(
        self, moment: Moment, work: Callable[[Accord, Any], dict[str, Any]], replay: bool, key: str | None = None
    ) -> dict[str, Any]: ...


class Refused(ValueError):
    """A field of the form the grant cannot take, said beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def standing(grant: Any, today: date, zone: tzinfo) -> str:
    """Where a grant stands now, in words."""
    if grant.revoked_at is not None:
        return f"revoked on {grant.revoked_at.astimezone(zone):%Y-%m-%d %H:%M}"
    if grant.ends_on < today:
        return "ended"
    if grant.starts_on > today:
        return "not yet in force"
    return "in force"


def said(grant: Any, today: date, zone: tzinfo) -> dict[str, Any]:
    return {
        "grantor": grant.grantor,
        "delegate": grant.delegate,
        "role": grant.role,
        "window": f"{grant.starts_on.isoformat()} to {grant.ends_on.isoformat()}",
        "sentence": grant.granted,
        "standing": standing(grant, today, zone),
        "revocable": grant.revoked_at is None,
    }


def held(app: Accord, user: str) -> list[str]:
    """The roles the policy in force gives `user`: those they may delegate."""
    roles = app.policy.roles if app.policy is not None else {}
    return sorted(role for role, people in roles.items() if user in people)


def listing(app: Accord, user: str, users: list[str], zone: tzinfo) -> dict[str, Any]:
    """The user's delegations, given and received, the roles they may
    delegate and whom to (the console's users but themselves)."""
    today = app.clock.today()
    grants = app.delegations(user)
    return {
        "title": "Delegations",
        "given": [said(g, today, zone) for g in grants if g.grantor == user],
        "received": [said(g, today, zone) for g in grants if g.delegate == user],
        "roles": held(app, user),
        "people": [name for name in users if name != user],
        "today": today.isoformat(),
    }


def grant_of(form: dict[str, str], users: list[str]) -> tuple[str, str, date | None, date]:
    """The delegate, role and window a grant form asks for, each bounded
    and checked where it enters; Refused beside the first field that is not."""

    def field(name: str, words: str) -> str | None:
        try:
            return params.text(form.get(name), words)
        except NotUnderstood as error:
            raise Refused(name, str(error)) from None

    delegate, role = field("delegate", "the delegate"), field("role", "the role")
    if delegate is None:
        raise Refused("delegate", "choose who may act for you")
    if users and delegate not in users:
        raise Refused("delegate", f"{params.shown(delegate)} is not one of the console's users: choose one")
    if role is None:
        raise Refused("role", "choose the role of yours they act in")
    days = {}
    for name, words in (("starts_on", "the first day"), ("ends_on", "the last day")):
        try:
            days[name] = params.day(form.get(name), words)
        except NotUnderstood as error:
            raise Refused(name, str(error)) from None
    if days["ends_on"] is None:
        raise Refused("ends_on", "name the last day the delegate may act (YYYY-MM-DD)")
    starts_on, ends_on = days["starts_on"], days["ends_on"]
    if starts_on is not None and ends_on < starts_on:
        raise Refused("ends_on", f"a delegation ends ({ends_on}) before it begins ({starts_on})")
    return delegate, role, starts_on, ends_on


def routes(
    console: Console,
    zone: tzinfo,
    signed: Callable[[Request, str], Awaitable[tuple[dict[str, str], str] | Response]],
    bad_input: Callable[[Exception], str | None],
) -> list[Route]:
    """The delegations page, its grant form and its revoke buttons."""

    def to_sign_in() -> Response:
        return RedirectResponse(f"/login?next={quote('/delegations')}", status_code=303)

    async def page(
        request: Request,
        user: str,
        given: dict[str, str] | None = None,
        problems: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        request.state.moment = Moment()
        users = sorted(console.users())
        values = await console.read(Moment(), lambda app, today: listing(app, user, users, zone), False)
        # What was typed stays in the form, each field's refusal beside it.
        shown = {name: (given or {}).get(name, "") for name in FIELDS}
        values |= {"given_values": shown, "problems": problems or {}, "live": False}
        return console.render(request, "delegations.html", values, status)

    async def index(request: Request) -> Response:
        request.state.moment = Moment()
        user = console.who(request)
        if user is None:
            return to_sign_in()
        return await page(request, user)

    async def grant(request: Request) -> Response:
        request.state.moment = Moment()
        given = await signed(request, "/delegations")
        if isinstance(given, Response):
            return given
        form, user = given
        # Only what fits is kept for the form again: a field of 200,000 characters is not shown back.
        kept = {name: value for name, value in form.items() if name in FIELDS and len(value) <= params.LONGEST}
        try:
            delegate, role, starts_on, ends_on = grant_of(form, sorted(console.users()))
        except Refused as refused:
            return await page(request, user, kept, {refused.field: f"{refused}; nothing was stored"}, 400)

        def act(app: Accord) -> Any:
            return app.delegate(delegate, role, starts_on or app.clock.today(), ends_on, user)

        try:
            granted = await console.record(act)
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            # The service's sentence, beside the field it names (else the window's end).
            beside = getattr(error, "field", None) or "ends_on"
            return await page(request, user, kept, {beside: message}, 400)
        request.session["notice"] = f"Granted: {granted.granted}."
        return RedirectResponse("/delegations", status_code=303)

    async def revoke(request: Request) -> Response:
        request.state.moment = Moment()
        given = await signed(request, "/delegations")
        if isinstance(given, Response):
            return given
        form, user = given
        try:
            delegate = params.text(form.get("delegate"), "the delegate") or ""
            role = params.text(form.get("role"), "the role") or ""
        except NotUnderstood as error:
            return await page(request, user, None, {"revoke": f"{error}; nothing was stored"}, 400)
        try:
            reason = params.reason(form.get("reason"))
        except NotUnderstood as error:
            return await page(request, user, None, {"revoke": f"{error}; nothing was stored"}, 400)

        try:
            revoked = await console.record(lambda app: app.revoke_delegation(delegate, role, reason, user))
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            return await page(request, user, None, {"revoke": message}, 400)
        request.session["notice"] = "Revoked: " + "; ".join(grant.said for grant in revoked) + "."
        return RedirectResponse("/delegations", status_code=303)

    return [
        Route("/delegations", index, methods=["GET"]),
        Route("/delegations", grant, methods=["POST"]),
        Route("/delegations/revoke", revoke, methods=["POST"]),
    ]
