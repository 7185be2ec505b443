"""Deliveries: what was sent to whom and what became of it; dead letters
sent again; one pass of sending, for cron."""

from __future__ import annotations

from uuid import UUID

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import show, wide_option

COLUMNS = ["delivery", "about", "owner", "channel", "state", "attempts", "due_at", "last_at", "last"]


@click.group(invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only the dead letters: deliveries that will not be tried again.")
@click.option("--state", type=click.Choice(["pending", "delivered", "dead"]), help="Only the deliveries in this state.")
@click.option(
    "--limit", type=click.IntRange(1, 2**63 - 1), default=50, show_default=True, help="At most this many, latest first."
)
@json_option
@wide_option
@click.pass_context
def deliveries(
    click_ctx: click.Context, failed: bool, state: str | None, limit: int, as_json: bool, wide: bool
) -> None:
    """The deliveries of reminders, escalations, digests, reports and
    briefings to the people the directory (ACCORD_DIRECTORY) names: to whom,
    by email or webhook, pending, delivered or dead, after how many
    attempts, and the server's last reply or the reason it failed.

    \b
    Example:
      accord deliveries
      accord deliveries --failed
      accord deliveries retry 3f9a0c2e --reason "address corrected in the directory"
    """
    if click_ctx.invoked_subcommand is not None:
        return
    if failed and state not in (None, "dead"):
        raise click.UsageError("--failed lists the dead letters; it cannot go with --state " + str(state))
    ctx: Context = click_ctx.obj
    rows = ctx.reader.deliveries.listed("dead" if failed else state, limit)
    if not as_json:
        for row in rows:
            row["delivery"] = row["delivery_id"][:8]
            for moment in ("due_at", "last_at"):  # to the second, in UTC as stored
                row[moment] = row[moment] and row[moment][:19].replace("T", " ")
    counts = ctx.reader.deliveries.counts()
    title = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    empty = "no dead letters" if failed else "no deliveries yet: the directory (ACCORD_DIRECTORY) names whom to tell"
    show(
        rows,
        COLUMNS,
        as_json,
        title=f"Deliveries: {title}",
        optional=["last_at", "due_at", "attempts"],
        wrapped={"last"},
        wide=wide,
        empty=empty,
    )


@deliveries.command("retry")
@click.argument("ids", nargs=-1, metavar="ID...")
@click.option("--all-failed", is_flag=True, help="Every dead letter.")
@click.option("--reason", required=True, help="Why it may go through now, e.g. the address was corrected.")
@json_option
@pass_context
def deliveries_retry(ctx: Context, ids: tuple[str, ...], all_failed: bool, reason: str, as_json: bool) -> None:
    """Send dead letters again, at the next pass of the scheduler (or of
    `accord deliver --once`), each with a full round of attempts and the
    same identity as before.

    \b
    Example:
      accord deliveries retry 3f9a0c2e 77b1d0aa --reason "SMTP relay fixed"
      accord deliveries retry --all-failed --reason "SMTP relay fixed"
    """
    from workflows.delivery.courier import retry_dead

    if bool(ids) == all_failed:
        raise click.UsageError("name the deliveries to retry (their ids), or give --all-failed")
    ctx.app.refresh()
    queries = ctx.app.reader.deliveries
    if all_failed:
        wanted = [UUID(row["delivery_id"]) for row in queries.listed("dead")]
    else:
        wanted = [UUID(_one(queries.ids_starting(given), given)) for given in ids]
    retried = retry_dead(ctx.app, wanted, reason, ctx.settings.actor)
    if as_json:
        print_json({"retried": [str(delivery) for delivery in retried]})
        return
    echo(f"{len(retried)} dead letter(s) will be sent again at the next pass")
    left = len(wanted) - len(retried)
    if left:
        echo(f"{left} not retried: only dead letters are (the others are pending or delivered)", err=True)


def _one(found: list[str], given: str) -> str:
    if not found:
        raise click.BadParameter(f"no delivery has an id beginning {given!r}", param_hint="ID")
    if len(found) > 1:
        raise click.BadParameter(f"{given!r} begins the ids of several deliveries: give more of it", param_hint="ID")
    return found[0]


@click.command()
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
@json_option
@pass_context
def deliver(ctx: Context, once: bool, as_json: bool) -> None:
    """Send the deliveries due now and record what became of each, then
    exit: for cron, where no `accord scheduler run` runs (which delivers as
    it ticks). Several may run at once on PostgreSQL: one sends at a time.

    \b
    Example:
      */5 * * * *  accord deliver --once
    """
    from workflows.scheduler.runner import deliver_once

    if not once:
        raise click.UsageError("give --once for one pass; `accord scheduler run` delivers as it ticks")
    outcomes = deliver_once(ctx.app, ctx.settings)
    rows = [
        {
            "delivery": str(outcome.delivery),
            "about": outcome.about,
            "owner": outcome.owner,
            "channel": outcome.channel,
            "attempt": outcome.attempt,
            "outcome": "delivered" if outcome.delivered else "dead" if outcome.dead else "failed",
            "said": outcome.said,
            "retry_at": outcome.retry_at.isoformat() if outcome.retry_at else None,
        }
        for outcome in outcomes
    ]
    if as_json:
        print_json(rows)
        return
    for outcome in outcomes:
        echo(str(outcome))
    delivered = sum(outcome.delivered for outcome in outcomes)
    echo(f"{delivered} delivered, {len(outcomes) - delivered} failed", err=True)
