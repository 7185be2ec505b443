"""`accord export`: the record in formats other systems read."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import click
import orjson

from workflows.cli.complete import partner_codes
from workflows.cli.context import Context, Moment, pass_context
from workflows.cli.output import (
    echo,
    json_option,
    opened,
    output_option,
    print_json,
    receipt_option,
    receipt_wanted,
    write,
    wrote,
)
from workflows.cli.progress import progress_bar


@click.group()
def export() -> None:
    """Write the record for other systems: events as JSON lines, deadlines as
    iCalendar, funding as IATI activity XML."""


@export.command("events")
@click.option(
    "--partner",
    help="Only facts on this partnership and the shared facts naming it, e.g. TN.",
    shell_complete=partner_codes,
)
@click.option("--since", type=Moment(), help="Only facts recorded at or after this moment, e.g. 2021-06-01.")
@output_option()
@receipt_option
@pass_context
def export_events_command(
    ctx: Context, partner: str | None, since: datetime | None, output: str | None, as_json: bool
) -> None:
    """Every recorded fact, one JSON object a line, in the order recorded and
    in exactly the shape `accord submit --file` reads (each line's `id` is
    its key, so importing a file twice records it once). Import it into
    another store to get the same reports and tasks there: the rules open
    the tasks again. Changes people made to tasks stay behind.

    \\b
    Example:
      accord export events -o record.jsonl
      accord --db other.db submit --file record.jsonl
      accord export events --partner TN --since 2021-06-01
    """
    from workflows.interchange.events import export_events

    receipt = receipt_wanted(output, as_json)
    total = ctx.app.head()
    count = 0
    with opened(output) as out, progress_bar(total, "exporting") as advance:
        for row in export_events(ctx.app, partner=partner, since=since):
            out.write(orjson.dumps(row) + b"\n")
            count += 1
            if advance and count % 1000 == 0:
                advance(1000)
    wrote(output, f"{count} event(s)", {"events": count} if receipt else None)


@export.command("ics")
@click.option("--owner", help="Only this owner's tasks, e.g. desk:TN.")
@click.option(
    "--partner", help="Only the tasks and meetings of this partnership, e.g. TN.", shell_complete=partner_codes
)
@output_option()
@receipt_option
@pass_context
def export_ics(ctx: Context, owner: str | None, partner: str | None, output: str | None, as_json: bool) -> None:
    """Open tasks as to-dos due on their dates, and the meetings not yet held
    as all-day events, in one iCalendar file (RFC 5545) for any calendar.
    Each entry keeps its UID, so importing a newer file updates it.

    \b
    Example:
      accord export ics --owner desk:TN -o tn-deadlines.ics
    """
    from workflows.interchange.ical import deadlines

    receipt = receipt_wanted(output, as_json)
    found = deadlines(ctx.reader, ctx.clock, owner=owner, partner=partner)
    said = f"{found.tasks} task(s) and {found.meetings} meeting(s)"
    write(output, found.text, said, {"tasks": found.tasks, "meetings": found.meetings} if receipt else None)


@export.command("iati")
@output_option()
@receipt_option
@pass_context
def export_iati(ctx: Context, output: str | None, as_json: bool) -> None:
    """Funding as IATI 2.03 activity XML: one activity per funded action,
    with its recipient country, DAC purpose code 15190 (migration), the
    commitment (transaction type 2) and each disbursement (type 3); and one
    per instrument's migration envelope, with its budget.

    \b
    Example:
      accord export iati -o accord-iati.xml
    """
    from workflows.interchange.iati import export

    receipt = receipt_wanted(output, as_json)
    data, count = export(ctx.app, ctx.clock.now())
    write(output, data, f"{count} activity(ies)", {"activities": count} if receipt else None)


@click.group("import")
def import_() -> None:
    """Read records other systems wrote: IATI activity XML."""


@import_.command("iati")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check and decide everything the import would, on the store as it is, and store nothing: print what "
    "it would record and leave out, and why, or refuse as it would.",
)
@click.option(
    "--open-partnerships",
    is_flag=True,
    help="Open each partnership the file funds that is not opened (PartnershipOpened, as of its earliest "
    "transaction in the file, the file named as its source), in the same all-or-nothing batch.",
)
@json_option
@pass_context
def import_iati(ctx: Context, path: str, dry_run: bool, open_partnerships: bool, as_json: bool) -> None:
    """Record the commitments, decommitments (a commitment of a negative
    value) and disbursements of an IATI activity file (2.01 to 2.03),
    through the same checks as `accord submit --file`: all or nothing, each
    problem named by its line in the XML, and a file imported twice is
    recorded once. The partnerships the file funds must be opened: those
    that are not are named, or opened with `--open-partnerships`.

    What Accord does not record is left out and counted, never silently: an
    activity with no recipient country (a regional one) or several, an
    expenditure or any other type of transaction, a value of 0, a reversed
    disbursement, a disbursement or a decommitment with no commitment before
    it, beyond what the file committed before it, or in another currency
    than its commitment, and what is in a unit that is no money (the SDR).
    Codes are checked against IATI's codelists (shipped with their
    version): a transaction type or recipient country they lack is left
    out too, a currency in neither IATI's list nor ISO 4217 refuses the
    file, and an unknown sector, region or organisation type is noted.
    `--dry-run` lists each, activity by activity: it is
    the import but for storing, saying what the import would record, or
    refusing as the import would.

    \b
    Example:
      accord import iati --dry-run funding.xml
      accord import iati --dry-run --open-partnerships funding.xml
      accord import iati --open-partnerships funding.xml
    """
    from workflows.cli.submit import receipt_json, report
    from workflows.interchange.iati import import_file, read_in

    imported = import_file(
        ctx.app,
        read_in(path),
        path,
        ctx.settings.actor,
        progress_bar,
        dry_run=dry_run,
        open_partnerships=open_partnerships,
    )
    plans, receipt = imported.plans, imported.receipt
    already = {submission.key for submission in receipt.already}
    if as_json:
        activities = [
            {
                "identifier": activity.identifier,
                "line": activity.line,
                "partner": activity.partner,
                "steps": [{"line": line, "what": what} for line, what in activity.steps(already)],
            }
            for activity in plans
        ]
        print_json({"dry_run": dry_run, "activities": activities, **receipt_json(receipt)})
        return
    if dry_run:
        for opening in imported.opened:
            echo(f"open partnership {opening.partner} as of {opening.occurred_on} (line {opening.line})")
        for activity in plans:
            echo(f"activity {activity.identifier} (line {activity.line}): {activity.partner or 'no partner'}")
            for line, what in activity.steps(already):
                echo(f"  line {line}: {what}")
    report(receipt, dry_run=dry_run)
    taken = sum(len(activity.recorded) for activity in plans)
    kinds = Counter(skipped.kind for activity in plans for skipped in activity.skipped)
    left = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    done = "would take" if dry_run else "took"
    # Codes IATI's codelists do not know or have withdrawn, recorded by all the same.
    noted = Counter(noted.kind for activity in plans for noted in activity.noted)
    codes = f"; noted: {', '.join(f'{count} {kind}' for kind, count in sorted(noted.items()))}" if noted else ""
    echo(f"{len(plans)} activity(ies): {done} {taken} transaction(s); left out: {left or 'nothing'}{codes}", err=True)


@import_.command("rates")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and the store, and say what would be recorded; record nothing."
)
@json_option
@pass_context
def import_rates(ctx: Context, path: str, dry_run: bool, as_json: bool) -> None:
    """Record the ECB's euro foreign exchange reference rates, each day's
    a fact (ExchangeRatesPublished), from its files as it publishes them:
    the history (eurofxref-hist.csv, or the zip it comes in), the day's
    (eurofxref.csv) or either XML (eurofxref-daily.xml, eurofxref-hist.xml).

    All or nothing, each problem named by its line; a day recorded before
    is recorded once, and a day recorded with other rates refuses the whole
    file. Reports then convert each amount at the rate of its own day.

    \b
    Example:
      accord import rates --dry-run eurofxref-hist.zip
      accord import rates eurofxref-hist.zip
    """
    from workflows.interchange.ecb import SOURCE, read_rates

    days = read_rates(path)
    receipt = ctx.app.publish_rates(
        SOURCE, days, click.format_filename(path, shorten=True), ctx.settings.actor, dry_run=dry_run
    )
    if as_json:
        print_json(
            {
                "source": SOURCE,
                "dry_run": dry_run,
                "recorded": [day.isoformat() for day in receipt.recorded],
                "already": len(receipt.already),
            }
        )
        return
    done = "would record" if dry_run else "recorded"
    span = f" ({min(receipt.recorded)} to {max(receipt.recorded)})" if receipt.recorded else ""
    echo(f"{done} the rates of {len(receipt.recorded)} day(s){span}; {len(receipt.already)} recorded before")
