"""The audit commands: the log of every recorded event, and proof that the
log is intact (the chain of digests) and that every projection equals a
fresh replay."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

import click

from workflows.cli.complete import partner_codes
from workflows.cli.context import HOW_MANY, Context, Moment, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.progress import progress_bar
from workflows.cli.read import show, wide_option
from workflows.cli.report import emit, replay_options, report_options, source


@click.group()
def audit() -> None:
    """What was recorded, by whom and when; and proof that no one changed it since."""


@audit.command("log")
@click.option(
    "--partner", help="Only events on or naming this partner (and its tasks), e.g. TN.", shell_complete=partner_codes
)
@click.option("--type", "type_name", help="Only events of this type, e.g. VisitHeld or ReminderSent.")
@click.option("--since", type=Moment(), help="Only events recorded at or after this moment, e.g. 2021-06-01.")
@click.option("--until", type=Moment(), help="Only events recorded at or before this moment, e.g. 2021-06-30T18:00.")
@click.option("--limit", type=HOW_MANY, help="At most this many events, the earliest first.")
@json_option
@wide_option
@pass_context
def audit_log(
    ctx: Context,
    partner: str | None,
    type_name: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    as_json: bool,
    wide: bool,
) -> None:
    """Every stored event in the order it was recorded: position, recorded
    at, actor, type, subject and a summary. The facts people submitted, and
    what Accord recorded itself: tasks, reminders, escalations, dispatches.
    On a terminal it opens in a pager ($PAGER, else less).

    \b
    Example:
      accord audit log --partner TR --type StatementReaffirmed
      accord audit log --since 2021-06-01 --until 2021-06-30 --json
      accord audit log --type FactCorrected --limit 20
    """
    from workflows import audit_log

    rows = audit_log.audit_rows(
        ctx.app, partner.strip().upper() if partner else None, type_name, since=since, until=until
    )
    columns = ["position", "recorded_at", "actor", "type", "subject", "summary"]
    optional = ["actor", "subject"]
    show(islice(rows, limit), columns, as_json, title="Audit log", paged=True, optional=optional, wide=wide)


@audit.command("replay")
@replay_options
@click.option("--partner", help="Add this partnership's own report, e.g. TR.", shell_complete=partner_codes)
@report_options
@pass_context
def audit_replay(
    ctx: Context, as_of: datetime | None, known_at: datetime | None, partner: str | None, fmt: str, output: str | None
) -> None:
    """The record as it stood, rebuilt in memory from the log: the portfolio,
    funding, open tasks (and one partnership with --partner). The store and
    its projections are not touched. Two different questions:

    \b
    --as-of DATE        what had happened by that date (facts by their date,
                        as recorded now; a fact dated only by its month
                        counts from the month's last day)
    --known-at MOMENT   what had been recorded by then: what Accord showed

    \b
    Example:
      accord audit replay --as-of 2021-05-08 --partner TR
      accord audit replay --known-at 2021-06-07T09:00 --format json -o june.json
    """
    if not (as_of or known_at):
        raise click.UsageError("give --as-of DATE or --known-at MOMENT")
    from workflows.replay import record_report

    with source(ctx, as_of, known_at) as (app, today, said):
        report = record_report(app, today, f"The record {said}", partner=partner, target=ctx.settings.funding_target)
    emit(report, fmt, output)


@audit.command("seal")
@json_option
@pass_context
def audit_seal(ctx: Context, as_json: bool) -> None:
    """Print the chain's head: the last record's position and its digest,
    which covers every record before it. Publish or archive it; later,
    `audit verify --head DIGEST` proves the log still extends it.

    \b
    Example:
      accord audit seal >> seals.txt
    """
    from workflows.audit import seal

    head = seal(ctx.app)
    if as_json:
        show([{"position": head.position, "digest": head.digest}], [], as_json=True)
        return
    echo(f"position {head.position} digest {head.digest}")


def _head(value: str | None) -> str | None:
    """A sealed head as given, checked for its form: a typo is not tampering."""
    if value is None:
        return None
    from workflows.audit import HEAD

    head = value.strip().lower()
    if not HEAD.fullmatch(head):
        raise click.BadParameter(
            f"{value!r} is not a digest `audit seal` prints: 64 hex digits, or 8 or more of the first"
        )
    return head


@audit.command("verify")
@click.option(
    "--head",
    callback=lambda ctx, param, value: _head(value),
    help="A digest printed by `audit seal` (or its first 8 or more digits): prove the log still extends it.",
)
@click.option("--no-views", is_flag=True, help="Check the chain only, not the projections.")
@json_option
@pass_context
def audit_verify(ctx: Context, head: str | None, no_views: bool, as_json: bool) -> None:
    """Re-compute the chain of digests over every stored record, judge
    every record again by the rules of the domain (folding each aggregate
    from its events, in memory), compare every projection with a fresh
    replay of the log, and every snapshot and the index of submission keys
    with the log, and list the events a reader could not carry. Exits 0 when
    all agree; 3, naming the first bad position, when a record was changed,
    deleted, inserted or reordered; naming each, when a record is one the
    domain would have refused (a payment beyond its commitment, a correction
    that breaks the record, an actor the policy given does not permit) or
    its moment goes back along the log; when a projection, snapshot or the
    key index differs, a reader could not carry an event, or a projection or
    the task follower has read to a position the log no longer holds
    (`accord projections repair` mends those).

    \b
    Example:
      accord audit verify
      accord audit verify --head 3f9a0c2e --no-views
    """
    from workflows.audit import verify

    # Not caught up first: the log is proven before Accord writes on it.
    verdict = verify(ctx.app, head=head, views=not no_views, bar=progress_bar)
    if as_json:
        print_json(verdict.as_json())
        verdict.confirm()
        return
    if verdict.broken is not None:
        echo(f"the chain breaks at {verdict.broken}", err=True)
        echo(f"the {verdict.records:,} records before it verify", err=True)
    else:
        echo(
            f"chain: {verdict.records:,} records verify; head at position {verdict.head.position}, "
            f"digest {verdict.head.digest}"
        )
    for finding in verdict.illegal:
        echo(f"the domain would have refused {finding}", err=True)
    if verdict.unnamed:
        echo(f"and {verdict.unnamed:,} more records the domain would have refused", err=True)
    if not verdict.illegal:
        echo(f"domain: {verdict.judged:,} records judged again, each one the domain would have recorded")
    if verdict.sealed:
        echo(verdict.sealed, err=True)
    elif head is not None and verdict.broken is None:
        echo(f"the log extends the sealed head {head.strip()}")
    for problem in verdict.tracking.values():
        echo(problem, err=True)
    for name, problems in verdict.views.items():
        if problems:
            echo(f"projection {name} differs from a fresh replay:", err=True)
            for problem in problems:
                echo(f"  {problem}", err=True)
        else:
            echo(f"projection {name}: equal to a fresh replay")
    for failure in verdict.failures:
        echo(
            f"{failure['reader']} could not carry position {failure['position']} ({failure['type']}): "
            f"{failure['reason']}; a correction or retraction of the fact makes it try again",
            err=True,
        )
    for problem in verdict.bad_snapshots:
        echo(f"{problem}: changed outside Accord; `accord projections rebuild` drops it", err=True)
    if verdict.snapshots and not verdict.bad_snapshots:
        echo(f"snapshots: {verdict.snapshots:,} equal to their aggregates replayed from the log")
    if verdict.bad_keys:
        echo(f"{verdict.bad_keys}: changed outside Accord; a key missing could be recorded twice", err=True)
    elif verdict.keys:
        echo(f"keys: {verdict.keys:,} indexed, one for each fact of the log")
    took = ", ".join(f"{check} {seconds:.1f} s" for check, seconds in verdict.seconds.items())
    echo(f"took {sum(verdict.seconds.values()):.1f} s: {took}")
    echo(f"records per second: {_rates(verdict.records, verdict.judged, verdict.seconds)}")
    verdict.confirm()


def _rates(chained: int, judged: int, seconds: dict[str, float]) -> str:
    """Records per second of the passes over every record: the chain's, the domain's."""
    done = {"chain": chained, "domain": judged}
    return ", ".join(f"{name} {count / seconds[name]:,.0f}" for name, count in done.items() if seconds.get(name))
