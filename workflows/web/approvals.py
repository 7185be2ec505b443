"""Four eyes on money in the console (domain.approval): the signed-in
user's queue of proposals (awaiting their approval, awaiting others',
decided), each said as its fact's sentence with what it would change on
its funding line, and the buttons that approve or reject it through the
same application service as `accord approve` and `accord reject`. A
refusal is said in the domain's sentence; a second press of a button
meets the domain's refusal of a second approval, said as plainly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote
from uuid import UUID

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from workflows.application.approvals import LineChange, Proposal
from workflows.sentences import sentence
from workflows.sentences.words import day
from workflows.web import params
from workflows.web.moments import Moment
from workflows.web.params import NotUnderstood

if TYPE_CHECKING:
    from workflows.application.approvals import FundingLine, Listed
    from workflows.application.service import Accord

T = TypeVar("T")


class Console(Protocol):
    """What the page asks of the console (workflows.web.app.Console)."""

    async def record(self, act: Callable[[Accord], T]) -> T: ...
    def who(self, request: Request) -> str | None: ...
    def render(self, request: Request, template: str, values: dict[str, Any], status: int = 200) -> HTMLResponse: ...
    async def read(
        self, moment: Moment, work: Callable[[Accord, Any], dict[str, Any]], replay: bool, key: str | None = None
    ) -> dict[str, Any]: ...


# Decided proposals the page shows, the most recently proposed first.
RECENT = 20


def moment_said(at: datetime, zone: tzinfo) -> str:
    """A moment in the business zone, as the audit log's pages say it to the minute."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def day_said(at: datetime, zone: tzinfo) -> str:
    """The business day of a moment, as a sentence says it: "7 December 2026"."""
    return day(at.astimezone(zone).date().isoformat())


def line_said(line: FundingLine) -> dict[str, str]:
    """A funding line's figures as the funding report says them: its
    commitment net of decommitments, what was paid out, what remains."""
    currency = line.currency
    return {
        "committed": f"{currency} {line.committed - line.decommitted:,}",
        "disbursed": f"{currency} {line.disbursed:,}",
        "remaining": f"{currency} {line.remaining:,}",
    }


def change_said(change: LineChange) -> dict[str, Any]:
    """What approving a proposal would do to a funding line, as the page shows it."""
    return {
        "partner": change.partner,
        "funding": change.funding,
        "before": line_said(change.before) if change.before else None,
        "after": line_said(change.after) if change.after else None,
        "why": change.why,
    }


def decisions(app: Accord, proposal_id: UUID, zone: tzinfo) -> list[dict[str, Any]]:
    """Each approval and the rejection of a proposal, in order: who (for
    whom, as a delegate), when, and the reason of a rejection."""
    said = []
    for event in app.repository.event_store.get(proposal_id):
        if isinstance(event, Proposal.FactApproved | Proposal.FactRejected):
            said.append(
                {
                    "verb": "approved" if isinstance(event, Proposal.FactApproved) else "rejected",
                    "by": event.actor + (f" for {event.acting_for}" if event.acting_for else ""),
                    "on": moment_said(event.timestamp, zone),
                    "day": day_said(event.timestamp, zone),
                    "reason": getattr(event, "reason", ""),
                }
            )
    return said


def shown(app: Accord, listed: Listed, zone: tzinfo) -> dict[str, Any]:
    """A proposal as the page shows it."""
    proposal = listed.proposal
    approved = [by + (f" for {acting_for}" if acting_for else "") for by, acting_for in proposal.approved_by]
    return {
        "position": listed.position,
        "key": proposal.key,
        "sentence": sentence(proposal.type, proposal.submission),
        "type": proposal.type,
        "proposer": proposal.proposer,
        "proposed_at": moment_said(listed.proposed_at, zone),
        "role": proposal.role,
        "approvals": proposal.approvals,
        "approved": approved,
        "status": proposal.status,
        "mine": listed.mine,
        "why_not": listed.why_not,
        "changes": [change_said(one) for one in app.line_changes(proposal)] if proposal.status == "proposed" else [],
        "decisions": decisions(app, proposal.id, zone) if proposal.status != "proposed" else [],
    }


def queue(app: Accord, user: str, zone: tzinfo) -> dict[str, Any]:
    """The signed-in user's approvals: those awaiting their approval (they
    may decide them under the policy and the delegations in force now),
    those awaiting others', and the RECENT last decided."""
    listed = app.proposals(user)
    waiting = [one for one in listed if one.proposal.status == "proposed"]
    decided = [one for one in reversed(listed) if one.proposal.status != "proposed"]
    return {
        "title": "Approvals",
        "mine": [shown(app, one, zone) for one in waiting if one.mine],
        "others": [shown(app, one, zone) for one in waiting if not one.mine],
        "decided": [shown(app, one, zone) for one in decided[:RECENT]],
        "decided_count": len(decided),
        "recent": RECENT,
        # Without the policy's [approval] section nothing awaits anyone: the page says so.
        "needed": sorted(app.policy.approval) if app.policy is not None else [],
    }


def state_of(app: Accord, originator: UUID, key: str, zone: tzinfo, on_proposal: bool) -> dict[str, Any] | None:
    """The proposal an event of the log belongs to (`on_proposal`: the
    event's own aggregate), or else the proposal its fact was recorded from
    (the same key on the same aggregate, approved), for its page. None for
    an event no proposal stands behind."""
    proposal = app.find(originator if on_proposal else Proposal.id_of(originator, key))
    if not isinstance(proposal, Proposal) or not (on_proposal or proposal.status == "approved"):
        return None
    return {
        "approved_from": not on_proposal,
        "sentence": sentence(proposal.type, proposal.submission),
        "proposer": proposal.proposer,
        "proposed_at": moment_said(proposal.created_on, zone),
        "proposed_on": day_said(proposal.created_on, zone),
        "role": proposal.role,
        "approvals": proposal.approvals,
        "approved": len(proposal.approved_by),
        "status": proposal.status,
        "decisions": decisions(app, proposal.id, zone),
    }


def routes(
    console: Console,
    zone: tzinfo,
    signed: Callable[[Request, str], Awaitable[tuple[dict[str, str], str] | Response]],
    bad_input: Callable[[Exception], str | None],
) -> list[Route]:
    """The approvals page and its two buttons."""

    def to_sign_in() -> Response:
        return RedirectResponse(f"/login?next={quote('/approvals')}", status_code=303)

    async def page(request: Request, user: str, failed: str | None = None, status: int = 200) -> HTMLResponse:
        request.state.moment = Moment()
        values = await console.read(Moment(), lambda app, today: queue(app, user, zone), False)
        # Not live, as a task's page is not: a reason half typed is not put out of place.
        return console.render(request, "approvals.html", {**values, "failed": failed, "live": False}, status)

    async def index(request: Request) -> Response:
        request.state.moment = Moment()
        user = console.who(request)
        if user is None:
            return to_sign_in()
        return await page(request, user)

    async def approve(request: Request) -> Response:
        return await decide(request, "approve")

    async def reject(request: Request) -> Response:
        return await decide(request, "reject")

    async def decide(request: Request, verb: str) -> Response:
        request.state.moment = Moment()
        given = await signed(request, "/approvals")
        if isinstance(given, Response):
            return given
        form, user = given
        try:
            position = params.whole(
                request.path_params["position"], "a position", smallest=1, largest=params.LAST_POSITION
            )
        except NotUnderstood as error:
            return await page(request, user, str(error), 404)
        try:
            reason = params.reason(form.get("reason"))
        except NotUnderstood as error:
            return await page(request, user, f"{error}; nothing was stored", 400)
        if verb == "reject" and not reason:
            failed = "say why you reject it: the log keeps the reason with the rejection; nothing was stored"
            return await page(request, user, failed, 400)

        def act(app: Accord) -> Proposal:
            ref = str(position)
            return app.approve(ref, user) if verb == "approve" else app.reject(ref, reason, user)

        try:
            decided = await console.record(act)
        except Exception as error:
            message = bad_input(error)
            if message is None:
                raise
            return await page(request, user, message, 400)
        fact = sentence(decided.type, decided.submission)
        if decided.status == "approved":
            notice = f"Approved and recorded as a fact: {fact}."
        elif decided.status == "rejected":
            notice = f"Rejected: {fact}. It stays in the log and never counts."
        else:
            notice = (
                f"Approved: {fact}. It has {len(decided.approved_by)} of the {decided.approvals} approvals it "
                "needs, and counts nowhere until it has them all."
            )
        request.session["notice"] = notice
        return RedirectResponse("/approvals", status_code=303)

    return [
        Route("/approvals", index, methods=["GET"]),
        Route("/approvals/{position}/approve", approve, methods=["POST"]),
        Route("/approvals/{position}/reject", reject, methods=["POST"]),
    ]
