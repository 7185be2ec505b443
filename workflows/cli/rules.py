"""The rules in force, checking a rule file, and the read models' upkeep."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import show, wide_option

if TYPE_CHECKING:
    from workflows.application.recovery import Repaired


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
    from workflows.application.compose import rules_in_force

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
    echo(f"off track: more than {ruleset.off_track_margin} points behind the line from baseline to target")


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
    from workflows.application.compose import rule_file

    ruleset = rule_file(path)
    if as_json:
        print_json(
            {
                "file": path,
                "rules": [rule.name for rule in ruleset.rule],
                "history_days": ruleset.history_days,
                "off_track_margin": ruleset.off_track_margin,
            }
        )
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
    from workflows.application.compose import rule_file

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
    """Each reader of the log (the task follower, which opens tasks, and each
    read model): its position in the log, how far it lags, and how many events
    it could not carry. Below the table: each reader whose position the log
    contradicts (it read records the log has since lost, or its tracking row
    is gone), and how to repair it; then each event a reader could not carry,
    with the reason. A reader goes on past an event it cannot carry, and a
    correction or retraction of the fact (accord correct, accord retract)
    makes it try again.

    \b
    Example:
      accord projections status
      accord projections status --json | jq '.[] | select(.failed > 0) | .failures'
    """
    app = ctx.app
    readers = app.readers()
    astray = app.astray()
    failed = app.failures() if any(reader["failed"] for reader in readers) else []
    for reader in readers:
        reader["problem"] = astray.get(reader["name"])
    if as_json:
        for reader in readers:
            reader["failures"] = [failure for failure in failed if failure["reader"] == reader["name"]]
        show(readers, [], as_json=True)
        return
    show(readers, ["name", "table", "position", "head", "lag", "failed"], False, title="Readers of the log")
    for problem in astray.values():
        echo(problem)
    for failure in failed:
        echo(
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
    again as facts arrive, and finds the task follower again if the log
    contradicts its position (as `accord projections repair` does).

    \b
    Example:
      accord projections rebuild tasks
      accord projections rebuild
    """
    views = ctx.app.views
    if name is not None and name not in views.names:
        raise click.BadParameter(f"no projection {name!r}; known: {', '.join(views.names)}", param_hint="NAME")
    done = ctx.app.rebuild([name] if name else views.names)
    if as_json:
        print_json(_repaired(done))
        return
    _say(done, snapshots=name is None)


@projections.command("repair")
@json_option
@pass_context
def projections_repair(ctx: Context, as_json: bool) -> None:
    """Repair what `accord projections status` names: rebuild each read
    model whose position the log contradicts (it read records the log has
    since lost, as after restoring an earlier backup of the log, or its
    tracking row is gone), find the task follower again where the log says
    it had read to (no task is opened twice, none is missed), and drop the
    snapshots. Does nothing when every position stands where the log says.

    \b
    Example:
      accord projections status
      accord projections repair
      accord audit verify
    """
    done = ctx.app.repair()
    if as_json:
        print_json(_repaired(done))
        return
    if not done.rebuilt and done.follower is None:
        click.echo("nothing to repair: every read model and the task follower stand where the log says")
        return
    _say(done, snapshots=True)


def _repaired(done: Repaired) -> dict[str, Any]:
    """What a rebuild or a repair did, as --json prints it."""
    found = asdict(done.follower) if done.follower else None
    return {"rebuilt": [asdict(status) for status in done.rebuilt], "follower": found} | {
        "snapshots_dropped": done.snapshots_dropped
    }


def _say(done: Repaired, *, snapshots: bool) -> None:
    for status in done.rebuilt:
        echo(f"rebuilt {status.name} into {status.table} up to position {status.position}")
    if found := done.follower:
        click.echo(
            f"found the task follower again at position {found.found_at}, where the log says it had read to "
            f"(it stood at {found.was}), and followed the log on to {found.position}: "
            f"{found.opened} task(s) opened, {found.closed} closed"
        )
    if snapshots:
        click.echo(f"dropped {done.snapshots_dropped} snapshot(s)")
