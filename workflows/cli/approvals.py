"""`accord approvals`, `accord approve`, `accord reject`, `accord delegate`:
four eyes on the facts the policy's [approval] section names
(domain.approval). The acting person is the one every command records as
(--actor, ACCORD_ACTOR, else the login name; on a store that authenticates
its writers, the signed-in user)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import click

from workflows.cli.context import DAY, Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.report import replay_options, source
from workflows.sentences import sentence
from workflows.sentences.words import day

if TYPE_CHECKING:
    from workflows.application.approvals import Listed, Proposal
    from workflows.application.service import Accord


def _state_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "key": proposal.key,
        "type": proposal.type,
        "subject": proposal.subject,
        "proposer": proposal.proposer,
        "role": proposal.role,
        "approvals": proposal.approvals,
        "approved_by": [{"by": by, "for": acting_for} for by, acting_for in proposal.approved_by],
        "status": proposal.status,
    }


def _delegation_json(grant: Any) -> dict[str, Any]:
    return {
        "grantor": grant.grantor,
        "delegate": grant.delegate,
        "role": grant.role,
        "from": grant.starts_on.isoformat(),
        "until": grant.ends_on.isoformat(),
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }


def _proposal_json(listed: Listed) -> dict[str, Any]:
    """A proposal as `accord approvals --json` lists it: its state, where
    and when it was proposed, what was submitted, and whether the person
    asking may decide it."""
    proposal = listed.proposal
    return {
        "position": listed.position,
        **_state_json(proposal),
        "proposed_at": listed.proposed_at.isoformat(),
        "submission": proposal.submission,
        "mine": listed.mine,
        "why_not": listed.why_not,
    }


def _line(listed: Listed) -> str:
    """A proposal as a line: its fact's sentence (as the audit log says it),
    who proposed it when, and where its approval stands."""
    proposal = listed.proposal
    approved = ", ".join(by + (f" for {acting_for}" if acting_for else "") for by, acting_for in proposal.approved_by)
    got = f"{len(proposal.approved_by)} of {proposal.approvals} approval{'s' * (proposal.approvals != 1)}"
    said = sentence(proposal.type, proposal.submission)
    keyed = "" if f"({proposal.key})" in said else f" (key {proposal.key})"
    return (
        f"  {listed.position:>6}  {said}{keyed}: "
        f"proposed by {proposal.proposer} on {day(str(proposal.proposed_on))}; {proposal.status}, "
        f"by {proposal.role}: {got}" + (f" ({approved})" if approved else "")
    )


@click.command()
@json_option
@replay_options
@pass_context
def approvals(ctx: Context, /, as_json: bool, as_of: datetime | None, known_at: datetime | None) -> None:
    """Proposals awaiting your approval, awaiting others', and decided.

    A fact the policy's [approval] section names is recorded as a proposal
    when submitted, and counts nowhere (reports, exports, tasks) until the
    approvals it needs are given. Each is named by its position in the log
    (the first column) or its key, in `accord approve` and `accord reject`.

    With --as-of or --known-at, the proposals as they stood then: what was
    proposed, approved or rejected by the end of that day, or by that
    moment; what awaited you is judged then, under the delegations in
    force then.

    \b
    Example:
      accord --actor dana approvals
      accord approvals --json | jq '.awaiting_me[].key'
      accord --actor dana approvals --as-of 2027-03-03
      accord approvals --known-at 2027-03-03T17:00
    """
    actor = ctx.app.authenticated or ctx.settings.actor
    if not (as_of or known_at):
        _listing(ctx.app.proposals(actor), actor, as_json, "")
        return
    with source(ctx, as_of, known_at) as (replay, _, said):
        _listing(replay.proposals(actor, _moment(ctx.app, as_of, known_at)), actor, as_json, said)


def _moment(app: Accord, as_of: datetime | None, known_at: datetime | None) -> datetime:
    """The moment a replay judges who may decide: the one given, or the
    last of the day given (in the business zone), if it has passed."""
    if known_at:
        return known_at
    assert as_of is not None
    next_day = datetime.combine(as_of.date() + timedelta(days=1), time(), app.clock.zone)
    return min(app.clock.now(), next_day - timedelta(microseconds=1))


def _listing(listed: list[Listed], actor: str, as_json: bool, said: str) -> None:
    groups = {
        "awaiting_me": [p for p in listed if p.proposal.status == "proposed" and p.mine],
        "awaiting_others": [p for p in listed if p.proposal.status == "proposed" and not p.mine],
        "decided": [p for p in listed if p.proposal.status != "proposed"],
    }
    if as_json:
        print_json({name: [_proposal_json(p) for p in group] for name, group in groups.items()})
        return
    titles = {
        "awaiting_me": f"Awaiting {actor}'s approval",
        "awaiting_others": "Awaiting others' approval",
        "decided": "Decided",
    }
    if said:
        echo(f"Proposals {said}")
    for name, group in groups.items():
        echo(f"{titles[name]} ({len(group)})")
        for listed_one in group:
            echo(_line(listed_one))


def _decided(proposal: Proposal, verb: str) -> str:
    if proposal.status == "approved":
        return f"approved {proposal.what}: recorded as a fact"
    if proposal.status == "rejected":
        return f"rejected {proposal.what}: it stays in the log and never counts"
    return f"{verb} {proposal.what}: {len(proposal.approved_by)} of the {proposal.approvals} approvals it needs"


@click.command()
@click.argument("proposal")
@click.option("--json", "as_json", is_flag=True, help="Print the proposal as it stands after, as JSON.")
@pass_context
def approve(ctx: Context, /, proposal: str, as_json: bool) -> None:
    """Approve a proposal, named by its key or its position in the log.

    You may not approve what you proposed, nor act for its proposer; you
    must hold the role it needs, or act for someone who does within a
    delegation in force today. Its last approval records the fact, judged
    by the domain's rules as they stand now: if it no longer fits, the
    approval is refused with the rule and nothing is stored.

    \b
    Example:
      accord --actor dana approve tn-commit-2027
      accord --actor dana approve 4127
    """
    decided = ctx.app.approve(proposal, ctx.settings.actor)
    if as_json:
        print_json(_state_json(decided))
        return
    echo(_decided(decided, "approved"))


@click.command()
@click.argument("proposal")
@click.option("--reason", required=True, help="Why it is rejected: the log keeps it with the rejection.")
@click.option("--json", "as_json", is_flag=True, help="Print the proposal as it stands after, as JSON.")
@pass_context
def reject(ctx: Context, /, proposal: str, reason: str, as_json: bool) -> None:
    """Reject a proposal, named by its key or its position in the log.

    A rejected proposal stays in the log and never counts. Who may reject
    is who may approve: never its proposer nor anyone acting for them.

    \b
    Example:
      accord --actor dana reject tn-commit-2027 --reason "the decision was not signed"
    """
    decided = ctx.app.reject(proposal, reason, ctx.settings.actor)
    if as_json:
        print_json(_state_json(decided))
        return
    echo(_decided(decided, "rejected"))


@click.command()
@click.option("--to", "delegate", required=True, help="Who may act for you.")
@click.option("--role", required=True, help="The role of yours they act in (a role under the policy's [roles]).")
@click.option("--from", "start", type=DAY, help="The first day they may act (default: today).")
@click.option("--until", type=DAY, help="The last day they may act (needed to grant).")
@click.option("--revoke", is_flag=True, help="Revoke your delegations of ROLE to TO instead, from now on.")
@click.option("--reason", default="", help="Why it is revoked (with --revoke).")
@click.option("--json", "as_json", is_flag=True, help="Print the delegations granted or revoked as JSON.")
@pass_context
def delegate(
    ctx: Context, /, delegate: str, role: str, start: Any, until: Any, revoke: bool, reason: str, as_json: bool
) -> None:
    """Let someone act for you in one of your roles, for a window of days.

    The delegate may then approve what the role approves, recorded as "bob
    for alice", from the first day to the last (both included), until you
    revoke it. A delegate never approves what you proposed. The grant and
    its revocation are facts in the log.

    \b
    Example:
      accord --actor alice delegate --to bob --role head-of-unit --from 2027-03-01 --until 2027-03-14
      accord --actor alice delegate --revoke --to bob --role head-of-unit --reason "back early"
    """
    if revoke:
        if start or until:
            raise click.UsageError("--revoke takes --to, --role and --reason, not --from or --until")
        revoked = ctx.app.revoke_delegation(delegate, role, reason, ctx.settings.actor)
        if as_json:
            print_json([_delegation_json(grant) for grant in revoked])
            return
        for grant in revoked:
            echo(f"revoked {grant.said}")
        return
    if until is None:
        raise click.UsageError("name the last day the delegate may act with --until (YYYY-MM-DD)")
    first: date = start.date() if start else ctx.app.clock.today()
    granted = ctx.app.delegate(delegate, role, first, until.date(), ctx.settings.actor)
    if as_json:
        print_json([_delegation_json(granted)])
        return
    echo(granted.granted)
