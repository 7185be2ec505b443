"""Recording facts from the browser: a page of the types there are, and a
form for each, made from the vocabulary that makes the command line's
options (workflows.application.forms), with the records there are to pick
from. A form is previewed first (what it would record and the tasks the
rules would open), then recorded under the signed-in user as the policy
allows, each problem said beside its field in the command line's words. A
form carries a key of its own: posted twice, it is recorded once."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from workflows.application.forms import (
    PEOPLE,
    FormRefused,
    catalogue,
    corrected,
    fields_of,
    from_form,
    shown,
    subject_of,
    summary,
)
from workflows.application.reads import NoFactThere
from workflows.reports.numbers import PILLARS
from workflows.sentences import sentence
from workflows.sentences.words import PARTIES, country, day, words_of
from workflows.web import addresses, pages, params
from workflows.web.moments import Moment
from workflows.web.params import NotUnderstood

if TYPE_CHECKING:
    from workflows.application.service import Accord


class Console(Protocol):
    """What the forms ask of the console (workflows.web.app.Console)."""

    def app(self) -> Accord: ...
    def recording(self) -> Accord: ...
    def shown(self, recorded: Accord) -> None: ...
    async def run(self, work: Callable[[], Any]) -> Any: ...
    def who(self, request: Request) -> str | None: ...
    def token(self, request: Request) -> str: ...
    def render(self, request: Request, template: str, values: dict[str, Any], status: int = 200) -> HTMLResponse: ...


# A form's key: made when the form is shown, recorded as the fact's submission key.
KEY = "form:"
# The most values one field of a posted form may carry (a fact's lists hold far fewer).
MOST_VALUES = 100


def choice_words(field: str, value: str) -> str:
    """A choice as people read it: "Return and readmission", "a member state"."""
    if field == "pillars":
        return PILLARS.get(value, value)
    if field == "party":
        return PARTIES.get(value, value).capitalize()
    return value.replace("_", " ").capitalize()


def pickers(app: Accord) -> dict[str, list[tuple[str, str]]]:
    """The records there are to pick from, by the field that names one:
    each value with what it is, in words."""
    reader = app.reader
    lines = reader.funding.lines()
    people = [
        (row["name"], f"named in {row['facts']:,} fact{'s' * (row['facts'] != 1)}") for row in reader.people.names()
    ]
    instruments = sorted(
        {str(row["instrument"]) for row in lines} | {str(e["instrument"]) for e in reader.funding.envelopes()}
    )
    return {
        "partner": [(row["code"], row["name"] or country(row["code"])) for row in reader.partnerships.partners()],
        "funding": [
            (row["funding"], f"{country(row['partner'])}: {row['title'] or row['instrument']}") for row in lines
        ],
        "meeting": [(row["meeting"], f"{row['body']}, {day(row['held_on'])}") for row in reader.meetings.meetings()],
        "dialogue": [
            (row["ref"], f"{country(row['partners'])}: {row['name']}") for row in reader.timeline.named("dialogue")
        ],
        "initiative": [(row["ref"], row["name"]) for row in reader.timeline.named("initiative")],
        "instrument": [(name, name) for name in instruments],
        "indicator": [(row["indicator"], row["title"]) for row in reader.results.indicators()],
        **dict.fromkeys(PEOPLE, people),
    }


def routes(
    console: Console,
    refused: Callable[[Request, str, int], HTMLResponse],
    out_of_date: Callable[[Request, str], Response],
    bad_input: Callable[[Exception], str | None],
) -> list[Route]:
    """The pages that record facts, on the console's application."""

    def may_record(app: Accord, user: str | None, type_name: str) -> str | None:
        """Why this user may not record this type here, or None."""
        if user is None:
            return None
        if not pages.may_change(app, user):
            return f"{user} has no role in the policy: the console only reads for them"
        assert app.policy is not None
        found = app.policy.refusals(user, [type_name])
        return found[0][1] if found else None

    async def signed_form(request: Request) -> tuple[dict[str, list[str]], str, str] | Response:
        """A posted form's fields, who posted it and its key; or the answer
        that refuses it: no session's token (403), no one signed in (to
        sign in, then back), no key of its own (400)."""
        posted = await everything_posted(request, console)
        if posted is None:
            return out_of_date(request, request.url.path)
        user = console.who(request)
        if user is None:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        key = (posted.pop("key", None) or [""])[0]
        if not key.startswith(KEY) or len(key) > 64:
            return refused(request, "this form has no key of its own: load the page and try again", 400)
        return posted, user, key

    async def index(request: Request) -> Response:
        request.state.moment = Moment()
        groups = await console.run(catalogue)
        return console.render(request, "record.html", {"title": "Record a fact", "groups": groups})

    def form_values(app: Accord, type_name: str, posted: dict[str, list[str]], key: str) -> dict[str, Any]:
        fields = fields_of(type_name)
        return {
            "title": f"Record: {words_of(type_name)}",
            "type": type_name,
            "about": summary(type_name),
            "fields": fields,
            "choice_words": choice_words,
            "values": posted or {field.name: [field.default] for field in fields if field.default},
            "pickers": pickers(app),
            "key": key,
            "problems": {},
            "general": [],
            "preview": None,
        }

    async def form(request: Request) -> Response:
        request.state.moment = Moment()
        try:
            type_name = addresses.path_value(request, "type", "an event type")
            values = await console.run(
                lambda: form_values(console.app(), type_name, {}, KEY + secrets.token_urlsafe(18))
            )
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            return refused(request, message, 404)
        user = console.who(request)
        values["refusal"] = await console.run(lambda: may_record(console.app(), user, type_name)) if user else None
        return console.render(request, "form.html", values)

    async def post(request: Request) -> Response:
        request.state.moment = Moment()
        try:
            type_name = addresses.path_value(request, "type", "an event type")
            fields_of(type_name)
        except (NotUnderstood, FormRefused) as error:
            return refused(request, str(error), 404)
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            return refused(request, message, 404)
        signed = await signed_form(request)
        if isinstance(signed, Response):
            return signed
        posted, user, key = signed
        action = (posted.pop("action", None) or ["preview"])[0]

        def decide() -> tuple[str, Any]:
            app = console.recording()
            said = may_record(app, user, type_name)
            if said is not None:
                raise PermissionError(said)
            submission = from_form(type_name, posted, key)
            if action != "record":
                return "preview", (submission, app.preview(submission, user))
            before = app.head()
            receipt = app.submit([submission], user)
            console.shown(app)
            if receipt.proposed:
                return f"proposed to {receipt.proposed[0][1]}", (submission, None)
            return "recorded", (submission, app.recorded_at(submission, before))

        try:
            done, (submission, found) = await console.run(decide)
        except PermissionError as error:
            return refused(request, str(error), 403)
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            values = await console.run(lambda: form_values(console.app(), type_name, posted, key))
            if isinstance(error, FormRefused):
                values.update(problems=error.by_field, general=error.general)
            else:  # the domain's rules, or the policy: the command line's sentence
                values.update(general=[message])
            values["refusal"] = None
            return console.render(request, "form.html", values, 400)
        if done == "preview":
            values = await console.run(lambda: form_values(console.app(), type_name, posted, key))
            values["refusal"] = None
            values["preview"] = {
                "fact": sentence(type_name, submission.model_dump(mode="json")),
                "already": found.already,
                "tasks": [{**task, "due": day(str(task["due_on"]))} for task in found.tasks],
            }
            return console.render(request, "form.html", values)
        fact = sentence(type_name, submission.model_dump(mode="json"))
        if done.startswith("proposed to "):
            # The policy's [approval]: not a fact until approved (domain.approval).
            role = done.removeprefix("proposed to ")
            request.session["notice"] = f"Proposed, awaiting approval by {role}: {fact}. It counts nowhere until then."
            return RedirectResponse("/audit", status_code=303)
        request.session["notice"] = f"Recorded: {fact}."
        return RedirectResponse(f"/audit/{found}" if found else "/audit", status_code=303)

    def amend_values(app: Accord, position: int, retract: bool, key: str) -> dict[str, Any]:
        """The page that corrects or retracts the fact at a position: its
        fields as it stands now, prefilled."""
        fact, standing = app.fact_standing(position)
        type_name = type(fact).__name__
        if standing is None:
            raise NoFactThere(f"the fact at position {position} was retracted: there is nothing left to amend")
        record = subject_of(type_name)
        fields = [field for field in fields_of(type_name) if field.name != record]
        verb = "Retract" if retract else "Correct"
        on = country(standing[record]) if record == "partner" else standing[record]
        return {
            "title": f"{verb}: {words_of(type_name)} on {on}",
            "fact": sentence(type_name, standing),
            "type": type_name,
            "position": position,
            "retract": retract,
            "fields": fields,
            "choice_words": choice_words,
            "values": shown(standing),
            "pickers": pickers(app),
            "key": key,
            "reason": "",
            "problems": {},
            "general": [],
        }

    def position_of(request: Request) -> int:
        return params.whole(request.path_params["position"], "a position", smallest=1, largest=params.LAST_POSITION)

    async def amend_form(request: Request) -> Response:
        request.state.moment = Moment()
        retract = request.url.path.endswith("/retract")
        try:
            position = position_of(request)
            key = KEY + secrets.token_urlsafe(18)
            values = await console.run(lambda: amend_values(console.app(), position, retract, key))
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            return refused(request, message, 404)
        user = console.who(request)
        amendment = "FactRetracted" if retract else "FactCorrected"
        values["refusal"] = await console.run(lambda: may_record(console.app(), user, amendment)) if user else None
        if user is None:
            values["refusal"] = "sign in to correct or retract a fact"
        return console.render(request, "amend.html", values)

    async def amend(request: Request) -> Response:
        request.state.moment = Moment()
        retract = request.url.path.endswith("/retract")
        amendment = "FactRetracted" if retract else "FactCorrected"
        try:
            position = position_of(request)
        except NotUnderstood as error:
            return refused(request, str(error), 404)
        signed = await signed_form(request)
        if isinstance(signed, Response):
            return signed
        posted, user, key = signed
        reason = (posted.pop("reason", None) or [""])[0]

        def decide() -> tuple[str, int | None]:
            app = console.recording()
            said = may_record(app, user, amendment)
            if said is not None:
                raise PermissionError(said)
            fact, standing = app.fact_standing(position)
            type_name = type(fact).__name__
            if standing is None:
                raise NoFactThere(f"the fact at position {position} was retracted: there is nothing left to amend")
            changes = {} if retract else {"changes": corrected(type_name, standing, posted, key)}
            submission = app_amendment(app, amendment, position, {**changes, "reason": reason.strip(), "id": key})
            before = app.head()
            receipt = app.submit([submission], user)
            console.shown(app)
            said = "Retracted" if retract else "Corrected"
            if receipt.proposed:
                said = f"{said} once approved by {receipt.proposed[0][1]} (proposed, counting nowhere until then)"
            return f"{said}: {sentence(type_name, standing)}.", app.recorded_at(submission, before)

        try:
            notice, found = await console.run(decide)
        except PermissionError as error:
            return refused(request, str(error), 403)
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            try:
                values = await console.run(lambda: amend_values(console.app(), position, retract, key))
            except Exception as unread:
                if bad_input(unread) is None:
                    raise
                return refused(request, message, 404)
            values.update(values=posted or values["values"], reason=reason, refusal=None)
            if isinstance(error, FormRefused):
                values.update(problems=error.by_field, general=error.general)
            elif not reason.strip():  # the one field the command line also asks for first
                values.update(problems={"reason": [message.removesuffix("; nothing was stored")]})
            else:  # the domain's rules: the command line's sentence
                values.update(general=[message])
            return console.render(request, "amend.html", values, 400)
        request.session["notice"] = notice
        return RedirectResponse(f"/audit/{found}" if found else f"/audit/{position}", status_code=303)

    return [
        Route("/record", index),
        Route("/record/{type}", form, methods=["GET"]),
        Route("/record/{type}", post, methods=["POST"]),
        Route("/audit/{position}/correct", amend_form, methods=["GET"]),
        Route("/audit/{position}/correct", amend, methods=["POST"]),
        Route("/audit/{position}/retract", amend_form, methods=["GET"]),
        Route("/audit/{position}/retract", amend, methods=["POST"]),
    ]


def app_amendment(app: Accord, type_name: str, position: int, fields: dict[str, Any]) -> Any:
    """A correction or retraction of the fact at a position, as `accord
    correct --position` makes it (its problems named as the form's fields)."""
    from workflows.application.intake import amendment

    return amendment(
        app, type_name, target=None, position=position, record={}, fields=fields, option_name=amendment_field
    )


def amendment_field(field: str) -> str:
    """A field of an amendment as its form names it: "Amount" for changes.amount."""
    head, _, rest = field.partition(".")
    name = rest.split(".")[0] if head == "changes" and rest else head
    return {"reason": "Why", "changes": "The correction", "id": "The form's key"}.get(
        name, name.replace("_", " ").capitalize()
    )


async def everything_posted(request: Request, console: Console) -> dict[str, list[str]] | None:
    """A form's fields, each with every value posted under its name, if it
    carries the session's token; else None. Files are not taken; a field
    of more than MOST_VALUES values is cut there."""
    form = await request.form()
    given = str(form.get("csrf", ""))
    if not (given and secrets.compare_digest(given, console.token(request))):
        return None
    return {
        name: [value for value in form.getlist(name)[:MOST_VALUES] if isinstance(value, str)]
        for name in form
        if name != "csrf"
    }
