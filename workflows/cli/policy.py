"""`accord policy`: who may record what, and the policies the log adopted."""

from __future__ import annotations

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import show


@click.group()
def policy() -> None:
    """Who may record which event types (ACCORD_POLICY or --policy names the file)."""


@policy.command("show")
@json_option
@pass_context
def policy_show(ctx: Context, as_json: bool) -> None:
    """Print the policy in force: each event type some roles alone may record,
    and who is in those roles; then the facts recorded only once approved.

    \b
    Example:
      accord --policy policy.toml policy show
    """
    from workflows.application.compose import named_policy

    rules = named_policy(ctx.settings.policy)
    if rules is None:
        if as_json:
            show([], [], as_json=True)
        else:
            echo("no policy file (ACCORD_POLICY): everyone may record every event type")
        return
    rows = [
        {
            "type": name,
            "roles": ", ".join(roles),
            "actors": ", ".join(sorted({a for r in roles for a in rules.roles[r]})),
        }
        for name, roles in sorted(rules.permit.items())
    ]
    show(rows, ["type", "roles", "actors"], as_json, title=f"Policy: {rules.source} (types not listed: anyone)")
    if not as_json:
        for name, approval in sorted(rules.approval.items()):
            of = f" (of {', '.join(approval.of)})" if approval.of else ""
            count = f"{approval.approvals} approvals" if approval.approvals > 1 else "approval"
            echo(f"{name}{of} is recorded once it has {count} of {approval.role}")


@policy.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def policy_check(path: str, as_json: bool) -> None:
    """Check a policy file; every problem is named. Exits 0 if it can be used, 2 if not.

    \b
    Example:
      accord policy check policy.toml
    """
    from workflows.application.compose import named_policy

    rules = named_policy(path)
    if rules is None:
        raise click.BadParameter("name a policy file", param_hint="PATH")
    if as_json:
        # A policy without [approval] is shown as it was before there was one.
        print_json({"file": path, **rules.model_dump(mode="json", exclude=None if rules.approval else {"approval"})})
        return
    approved = f", {len(rules.approval)} needing approval" if rules.approval else ""
    echo(f"{path}: {len(rules.roles)} role(s), {len(rules.permit)} restricted event type(s){approved}")


@policy.command("history")
@json_option
@pass_context
def policy_history(ctx: Context, as_json: bool) -> None:
    """Print the policies the log adopted, in order: each is recorded with
    the first act made under it (a PolicyAdopted), and `accord audit
    verify` judges every act under the last adopted before it. Each row
    says where, when and by whom it was adopted, its digest, and what it
    changed in the approval section and in who holds which role.

    \b
    Example:
      accord policy history
      accord policy history --json | jq '.[-1].digest'
    """
    listed = ctx.app.adopted_policies()
    rows = [
        {
            "position": adopted.position,
            "adopted_at": adopted.at.isoformat() if as_json else adopted.shown_at,
            "by": adopted.actor,
            "number": adopted.number,
            "digest": adopted.digest,
            "changes": adopted.changes if as_json else "; ".join(adopted.changes) or "nothing in approvals or roles",
        }
        | ({"roles": adopted.roles, "approval": adopted.approval} if as_json else {})
        for adopted in listed
    ]
    title = f"{len(rows)} polic{'y' if len(rows) == 1 else 'ies'} adopted (the last is in force)"
    columns = ["position", "adopted_at", "by", "digest", "changes"]
    show(rows, columns, as_json, title=title, empty="no policy adopted yet")


@policy.command("adopt")
@json_option
@pass_context
def policy_adopt(ctx: Context, as_json: bool) -> None:
    """Record the policy given (--policy or ACCORD_POLICY) as the one in
    force from now, with no other act: what the first act under it would
    do. Where the policy in force lets only some roles adopt another
    (`PolicyAdopted = ["admin"]` under [permit]), one of them adopts it
    before anyone else acts under it.

    \b
    Example:
      accord --actor dana --policy policy.toml policy adopt
    """
    adopted = ctx.app.adopt_policy(ctx.settings.actor)
    if as_json:
        print_json(None if adopted is None else {"number": adopted.number, "digest": adopted.digest})
    elif adopted is None:
        echo("the log adopted this policy last: nothing recorded")
    else:
        echo(f"adopted {ctx.settings.policy} as policy {adopted.number} of the log (digest {adopted.digest[:12]})")
