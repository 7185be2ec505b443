"""`accord policy`: who may record what."""

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
