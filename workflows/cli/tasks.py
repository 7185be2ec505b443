"""Follow-up tasks: the list, and each task's life (assign, defer, complete,
cancel). Tasks are opened and closed by the workflow rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from workflows.cli.complete import partner_codes, task_ids
from workflows.cli.context import ALL_OR_HOW_MANY, DAY, Context, pass_context
from workflows.cli.output import echo, json_option
from workflows.cli.progress import caught_up
from workflows.cli.read import show, wide_option

if TYPE_CHECKING:
    from workflows.application.reader import TaskFilter

# How many tasks the terminal table shows unless told otherwise.
SHOWN = 50


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("tasks")
@click.option(
    "--status",
    type=click.Choice(["open", "overdue", "done", "cancelled", "all"]),
    default="open",
    show_default=True,
    help="Which tasks: overdue means open and due before --today.",
)
@click.option("--partner", help="Only tasks of this partnership, e.g. TN.", shell_complete=partner_codes)
@click.option("--owner", help="Only tasks of this owner, e.g. desk:TN.")
@click.option("--due-before", type=DAY, help="Only tasks due before this date (YYYY-MM-DD).")
@click.option("--today", type=DAY, help="The date overdue is judged against (default: today).")
@click.option(
    "--limit",
    type=ALL_OR_HOW_MANY,
    help=f"Show at most this many, earliest due first; 0 for all. [default: {SHOWN} in the terminal, all with --json]",
)
@json_option
@wide_option
@pass_context
def tasks_command(
    ctx: Context,
    status: str,
    partner: str | None,
    owner: str | None,
    due_before: datetime | None,
    today: datetime | None,
    limit: int | None,
    as_json: bool,
    wide: bool,
) -> None:
    """The follow-up tasks the rules opened, by due date, each with the rule
    that explains its due date.

    \b
    Example:
      accord tasks --status overdue --today 2021-08-01
      accord tasks --partner TR --json
      accord tasks --owner cabinet --due-before 2021-07-01
    """
    from workflows.application.reader import TaskFilter

    which = TaskFilter(
        _day(today) or ctx.clock.today(), status=status, partner=partner, owner=owner, due_before=_day(due_before)
    )
    if limit is None:
        limit = 0 if as_json else SHOWN
    if as_json:
        show(ctx.reader.tasks.tasks(which, limit or None), [], as_json=True)
        return
    rows = list(ctx.reader.tasks.tasks(which, limit or None))
    for row in rows:
        row["task"] = row["task_id"][:8]
        row["state"] = "OVERDUE" if row["overdue"] else row["status"]
        row["for"] = row["partner"] or row["subject"]
    columns = ["task", "due_on", "state", "for", "owner", "title"]
    empty = None if rows else none_of(ctx, which)
    show(rows, columns, False, title=f"Tasks ({status})", optional=["for"], wide=wide, empty=empty)
    if limit and len(rows) == limit and (total := ctx.reader.tasks.count(which)) > limit:
        echo(f"{limit} of {total:,} shown; --limit 0 for all")


def none_of(ctx: Context, which: TaskFilter) -> str:
    """Why the list is empty: what was asked, and, for an owner or partner
    with no task at all, those that have some."""
    states = {"all": "", "overdue": f"overdue (on {which.today}) "}
    said = f"no {states.get(which.status, which.status + ' ')}tasks"
    if which.owner:
        said += f" of owner {which.owner}"
    if which.partner:
        said += f" of partner {which.partner_code}"
    if which.due_before:
        said += f" due before {which.due_before}"
    everyone = ctx.reader.tasks.owners()
    if not everyone:
        return said + ": the rules have opened none yet"
    if which.owner and which.owner not in everyone:
        return said + "; owners with tasks: " + ", ".join(everyone)
    return said


@click.group()
def task() -> None:
    """One task: show it, assign it, defer it, complete it or cancel it.
    ID is the task's id or its first characters (at least 4)."""


@task.command("show")
@click.argument("task_id", metavar="ID", shell_complete=task_ids)
@json_option
@pass_context
def task_show(ctx: Context, task_id: str, as_json: bool) -> None:
    """Everything about one task, in words: where it stands, the fact it
    follows up, and the rule that set its due date.

    \b
    Example:
      accord task show 3f2a9c1e
    """
    today = ctx.clock.today()
    row = ctx.reader.tasks.task(task_id, today=today)
    if as_json:
        show([row], [], as_json=True)
        return
    for label, words in ctx.reader.task_in_words(row, today, ctx.clock.zone):
        # A line break in a value goes on under it, indented: never a line of its own that reads as a field.
        text = words.replace("\n", "\n" + " " * 14)
        echo(f"{label:>12}: {text}")


def _change(ctx: Context, ref: str, change: Any, said: str, as_json: bool) -> None:
    updated = ctx.app.change_task(ref, ctx.settings.actor, change)
    if as_json:
        caught_up(ctx.app)
        show([ctx.app.reader.tasks.task(str(updated.id), today=ctx.clock.today())], [], as_json=True)
        return
    echo(f"task {str(updated.id)[:8]} {said}")


@task.command("assign")
@click.argument("task_id", metavar="ID", shell_complete=task_ids)
@click.argument("owner")
@json_option
@pass_context
def task_assign(ctx: Context, task_id: str, owner: str, as_json: bool) -> None:
    """Give a task to another owner.

    \b
    Example:
      accord task assign 3f2a9c1e desk:TN
    """
    _change(ctx, task_id, lambda t, s: t.assign(owner, s), f"is now owned by {owner}", as_json)


@task.command("defer")
@click.argument("task_id", metavar="ID", shell_complete=task_ids)
@click.option("--to", "to", type=DAY, required=True, help="The new due date (YYYY-MM-DD), later than the current.")
@click.option("--reason", required=True, help="Why it is deferred.")
@json_option
@pass_context
def task_defer(ctx: Context, task_id: str, to: datetime, reason: str, as_json: bool) -> None:
    """Move a task's due date later, saying why.

    \b
    Example:
      accord task defer 3f2a9c1e --to 2021-09-30 --reason "awaiting the partner's reply"
    """
    _change(ctx, task_id, lambda t, s: t.defer(to.date(), reason, s), f"is now due on {to.date()}", as_json)


@task.command("complete")
@click.argument("task_id", metavar="ID", shell_complete=task_ids)
@click.option("--note", default="", help="What was done.")
@json_option
@pass_context
def task_complete(ctx: Context, task_id: str, note: str, as_json: bool) -> None:
    """Mark a task done.

    \b
    Example:
      accord task complete 3f2a9c1e --note "report sent to the cabinet"
    """
    _change(ctx, task_id, lambda t, s: t.complete(note, s), "is done", as_json)


@task.command("cancel")
@click.argument("task_id", metavar="ID", shell_complete=task_ids)
@click.option("--reason", required=True, help="Why it is no longer needed.")
@json_option
@pass_context
def task_cancel(ctx: Context, task_id: str, reason: str, as_json: bool) -> None:
    """Cancel a task that is no longer needed, saying why.

    \b
    Example:
      accord task cancel 3f2a9c1e --reason "covered by the JHA briefing"
    """
    _change(ctx, task_id, lambda t, s: t.cancel(reason, s), "is cancelled", as_json)
