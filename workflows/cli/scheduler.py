"""The scheduler: a service that reminds, escalates and issues digests,
reports and briefings; one tick at a time for cron and tests; its status."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from workflows.cli.context import Context, Moment, pass_context
from workflows.cli.output import echo, json_option
from workflows.cli.read import show
from workflows.escape.terminal import visible

if TYPE_CHECKING:
    from workflows.scheduler.work import Tick


class _Visible(logging.Formatter):
    """Log lines name owners, titles and servers' replies: shown, not obeyed
    by the terminal (workflows.escape.terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record))


def _logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Visible("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # APScheduler says "Running job..." at every tick: only its warnings matter here.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.group()
def scheduler() -> None:
    """Keep watch: remind owners of tasks coming due, escalate overdue ones,
    and issue the daily digests, the weekly portfolio report and meeting
    briefings into the outbox, and a signed seal of the record each day to
    the directory's auditors and the seals file; with a directory of people
    (ACCORD_DIRECTORY), deliver each to them by email and webhook. Settings
    (see `accord config` and the README): ACCORD_TIMEZONE, ACCORD_TICK,
    ACCORD_OUTBOX, ACCORD_REMIND_DAYS, ACCORD_ESCALATE_AFTER,
    ACCORD_DIGEST_AT, ACCORD_REPORT_DAY, ACCORD_BRIEFING_DAYS and
    ACCORD_SEALS; for delivery ACCORD_SMTP_*,
    ACCORD_MAIL_FROM, ACCORD_WEBHOOK_* and ACCORD_DELIVERY_*."""


@scheduler.command("run")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Also print each tick as one JSON line on standard output: {"at", "done": [{"action", "target", '
    '"detail"}], "files"}.',
)
@pass_context
def scheduler_run(ctx: Context, as_json: bool) -> None:
    """Run until stopped (SIGTERM or Ctrl-C), one line per action on standard
    error. The first tick catches up what fell due while no scheduler ran.
    On SQLite only one scheduler may run per store; on PostgreSQL several
    may, and one acts at each tick.

    \b
    Example:
      ACCORD_DB=postgresql://accord@db/accord accord scheduler run
      ACCORD_TICK=10 ACCORD_OUTBOX=/var/lib/accord/outbox accord scheduler run
      accord scheduler run --json | jq -c '.done[]'
    """
    from workflows.scheduler.runner import serve

    def line(tick: Tick) -> None:
        click.echo(json.dumps({"at": tick.at.isoformat(), "done": _rows(tick), "files": list(map(str, tick.files))}))
        sys.stdout.flush()

    _logging()
    serve(lambda: ctx.app, ctx.close, ctx.settings, line if as_json else lambda tick: None)


def _rows(tick: Tick) -> list[dict[str, str]]:
    return [{"action": a.kind, "target": a.target, "detail": a.detail} for a in tick.done]


@scheduler.command("tick")
@click.option("--at", "at", type=Moment(), help="The moment to act as of (default: now), e.g. 2021-08-01T09:00.")
@click.option(
    "--dry-run", is_flag=True, help="Print what is due without recording any reminder, escalation or dispatch."
)
@json_option
@pass_context
def scheduler_tick(ctx: Context, at: datetime | None, dry_run: bool, as_json: bool) -> None:
    """One tick as of a moment, then exit: for cron, and to see what the
    scheduler would do. Running it again records nothing new.

    \b
    Example:
      accord scheduler tick --at 2021-08-01T09:00 --dry-run
      accord scheduler tick                 # from cron, every few minutes
    """
    from workflows.scheduler.runner import tick_once

    tick = tick_once(ctx.app, ctx.settings, (at or ctx.clock.now()).astimezone(UTC), dry_run=dry_run)
    rows = _rows(tick)
    if as_json:
        show(rows, [], as_json=True)
        return
    for row in rows:
        if row["action"] in ("remind", "escalate"):
            row["target"] = row["target"][:8]  # a task's short id, as `accord tasks` shows it
    said = "would do" if dry_run else "did"
    title = f"As of {tick.at.astimezone(ctx.settings.schedule.zone):%Y-%m-%d %H:%M %Z}, the scheduler {said}"
    if rows:
        show(rows, ["action", "target", "detail"], False, title=title)
    else:
        echo(f"{title} nothing: nothing is due.")
    for path in tick.files:
        echo(f"wrote {path}")


@scheduler.command("status")
@json_option
@pass_context
def scheduler_status(ctx: Context, as_json: bool) -> None:
    """The last tick, the next calendar jobs, and what is due now.

    \b
    Example:
      accord scheduler status
    """
    from workflows.scheduler import runner

    status = runner.status(ctx.app, ctx.settings)
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    for key, value in status.items():
        echo(f"{key:>22}: {value}")
