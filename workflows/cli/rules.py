"""The rules in force, checking a rule file, and the read models' upkeep."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import show, wide_option


@click.group()
def rules() -> None:
    """The workflow rules: which events open which tasks, due when."""


@rules.command("show")
@json_option
@wide_option
@pass_context
def rules_show(ctx: Context, as_json: bool, wide: bool) -> None:
    """Print the rules in force (yours with --rules or ACCORD_RULES, else the
    rules shipped with Accord).

    \b
    Example:
      accord rules show
      accord --rules my-rules.toml rules show --json
    """
    from workflows.compose import rules_in_force

    ruleset = rules_in_force(ctx.settings)
    if as_json:
        click.echo(json.dumps(ruleset.model_dump(mode="json")["rule"], indent=2, ensure_ascii=False))
        return
    rows = []
    for rule in ruleset.rule:
        side = "after" if rule.due.after else "before"
        rows.append(
            {
                "name": rule.name,
                "when": rule.when + (f" {rule.where}" if rule.where else ""),
                "due": f"{rule.due.days} days {side} {rule.due.anchor}",
                "owner": rule.owner,
                "closed_by": ", ".join(rule.closed_by),
                "title": rule.title,
            }
        )
    source = ctx.settings.rules or "the rules shipped with Accord"
    columns = ["name", "when", "due", "owner", "closed_by", "title"]
    text = {"when", "due", "owner", "closed_by", "title"}
    optional = ["title", "closed_by", "owner"]
    show(rows, columns, False, title=f"Rules: {source}", optional=optional, wrapped=text, wide=wide)
    if ruleset.history_days is not None:
        echo(f"history: a task due more than {ruleset.history_days} days before its fact was recorded is not opened")


@rules.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def rules_check(path: str, as_json: bool) -> None:
    """Check a rule file; every problem is named with its place (line, rule,
    field). Exits 0 if the file can be used, 2 if not.

    \b
    Example:
      accord rules check my-rules.toml
    """
    from workflows.compose import rule_file

    ruleset = rule_file(path)
    if as_json:
        print_json({"file": path, "rules": [rule.name for rule in ruleset.rule], "history_days": ruleset.history_days})
        return
    echo(f"{path}: {len(ruleset.rule)} rule(s), all valid")


@rules.command("simulate")
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
@pass_context
def rules_simulate(ctx: Context, path: str, as_json: bool) -> None:
    """Replay the whole log through a candidate rule file, touching nothing,
    and show which tasks it would open that the rules in force did not,
    which it would no longer open, and which it would open differently.

    \b
    Example:
      accord rules simulate my-rules.toml
      accord rules simulate my-rules.toml --json | jq '.added | length'
    """
    from workflows.compose import rule_file

    outcome = ctx.app.simulate(rule_file(path))
    if as_json:
        click.echo(json.dumps(asdict(outcome), indent=2, ensure_ascii=False, default=str))
        return
    columns = ["due_on", "rule", "subject", "title"]
    for title, tasks in (("would open", outcome.added), ("would no longer open", outcome.removed)):
        show(tasks, columns, False, title=f"{len(tasks)} task(s) the candidate {title}", empty=None)
    changed = f"{len(outcome.changed)} task(s) changed"
    show(outcome.changed, ["rule", "subject", "changes"], False, title=changed, empty=None)
    echo(f"replayed {outcome.events} event(s); the store was not changed")


@click.group()
def projections() -> None:
    """The read models kept beside the events (task list and reports)."""


@projections.command("status")
@json_option
@pass_context
def projections_status(ctx: Context, as_json: bool) -> None:
    """Each reader of the log (the follower, which opens tasks, and each read
    model): its position in the log, how far it lags, and how many events it
    could not carry. Those are listed after the table, each with its position
    and the reason: a reader goes on past an event it cannot carry, and a
    correction or retraction of the fact (accord correct, accord retract)
    makes it try again.

    \b
    Example:
      accord projections status
      accord projections status --json | jq '.[] | select(.failed > 0) | .failures'
    """
    readers = ctx.app.readers()
    failed = ctx.app.failures() if any(reader["failed"] for reader in readers) else []
    if as_json:
        for reader in readers:
            reader["failures"] = [failure for failure in failed if failure["reader"] == reader["name"]]
        show(readers, [], as_json=True)
        return
    show(readers, ["name", "table", "position", "head", "lag", "failed"], False, title="Readers of the log")
    for failure in failed:
        click.echo(
            f"{failure['reader']} could not carry position {failure['position']} ({failure['type']}): "
            f"{failure['reason']}",
            err=True,
        )


@projections.command("rebuild")
@click.argument("name", required=False)
@json_option
@pass_context
def projections_rebuild(ctx: Context, name: str | None, as_json: bool) -> None:
    """Rebuild a read model (or all) from the whole log into a fresh table,
    then swap it in. Opens no task twice: tasks are events, not rows.
    Rebuilding all also drops the partnerships' snapshots, which are taken
    again as facts arrive.

    \b
    Example:
      accord projections rebuild tasks
      accord projections rebuild
    """
    views = ctx.app.views
    if name is not None and name not in views.names:
        raise click.BadParameter(f"no projection {name!r}; known: {', '.join(views.names)}", param_hint="NAME")
    rebuilt = views.rebuild([name] if name else views.names)
    dropped = ctx.app.drop_snapshots() if name is None else 0
    if as_json:
        print_json({"rebuilt": [asdict(status) for status in rebuilt], "snapshots_dropped": dropped})
        return
    for status in rebuilt:
        echo(f"rebuilt {status.name} into {status.table} up to position {status.position}")
    if name is None:
        echo(f"dropped {dropped} snapshot(s)")
