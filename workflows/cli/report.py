"""`accord report ...`: partnership, portfolio, funding, briefing and results reports
as Markdown, JSON, CSV or one self-contained HTML page with charts, built
from the read models (caught up first)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from workflows.cli.complete import meeting_ids, partner_codes
from workflows.cli.context import DAY, Context, Moment, pass_context
from workflows.cli.output import output_option, to_stdout, write
from workflows.cli.progress import caught_up
from workflows.escape.terminal import visible
from workflows.reports import FORMATS, Report, render

if TYPE_CHECKING:
    from workflows.application.service import Accord

# HTML is not one of FORMATS: the portfolio and partnership pages read more
# than the report (the timeline, the tasks by week), so each command says how.
HTML = "html"
# The HTML page, printed by a headless Chromium.
PDF = "pdf"
Page = Callable[[Report], str]
DEFAULT_FORMAT = "md"


def report_options(command: Callable[..., None]) -> Callable[..., Any]:
    """--format, its shorthand --json, and -o; the command sees `fmt` alone."""

    @functools.wraps(command)
    def with_format(*args: Any, fmt: str, as_json: bool, **kwargs: Any) -> None:
        if as_json and fmt not in (DEFAULT_FORMAT, "json"):
            raise click.UsageError(f"--json is --format json; it cannot go with --format {fmt}")
        command(*args, fmt="json" if as_json else fmt, **kwargs)

    options = click.option(
        "--json", "as_json", is_flag=True, help="Print the report as JSON (the same as --format json)."
    )(with_format)
    options = click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted([*FORMATS, HTML, PDF])),
        default=DEFAULT_FORMAT,
        show_default=True,
        help="Output format; html is one self-contained page with charts, to open in a browser; pdf is that "
        "page printed (by Chromium) on A4.",
    )(options)
    return output_option("Write to this file, not the screen ('-': standard output).")(options)


def in_option(command: Callable[..., None]) -> Callable[..., None]:
    """--in CURRENCY: the funding also in one currency, checked as it is read."""

    def checked(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from workflows.reports.currency import currency

        return currency(value) if value is not None else None

    return click.option(
        "--in",
        "into",
        metavar="CURRENCY",
        callback=checked,
        help="Also show the funding in this currency, e.g. EUR: each amount at the rate of its own day "
        "(`accord import rates` records them), with the rates used and what has none.",
    )(command)


def replay_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--known-at",
        type=Moment(),
        help="As Accord showed it then: from the events recorded by this moment (e.g. 2021-06-01T12:00 in "
        "ACCORD_TIMEZONE, 2021-06-01T10:00Z in UTC, or now).",
    )(command)
    return click.option(
        "--as-of",
        type=DAY,
        help="From the facts that had happened by this date (YYYY-MM-DD), as recorded now.",
    )(command)


@contextmanager
def source(ctx: Context, as_of: datetime | None, known_at: datetime | None) -> Iterator[tuple[Accord, date, str]]:
    """The record a report reads (workflows.audit.replay.record_at), the day
    overdue is judged on, and what the report stands for."""
    from workflows.audit.replay import record_at

    if not (as_of or known_at):
        caught_up(ctx.app)  # with progress; record_at then finds nothing to do
    with record_at(ctx.app, ctx.settings, as_of=as_of.date() if as_of else None, known_at=known_at) as chosen:
        yield chosen


def emit(report: Report, fmt: str, output: str | None, page: Page | None = None) -> None:
    """The report in the format asked for; `page` makes the HTML page of it
    (by default the report's figures and tables, without charts)."""
    if fmt in (HTML, PDF):
        from workflows.reports.html import report_html

        text = (page or report_html)(report)
    else:
        text = render(report, fmt)
    if fmt != PDF:
        if fmt != "json" and to_stdout(output) and sys.stdout.isatty():
            # For a person at a terminal: what the record holds is shown, not
            # obeyed. JSON escapes control characters itself; a file or a
            # pipe gets the text as it is.
            text = visible(text)
        write(output, text, "")
        return
    if to_stdout(output) and sys.stdout.isatty():
        raise click.UsageError("a PDF is not for a terminal: give -o FILE (or pipe it)")
    from workflows.reports.pdf import pdf_of

    write(output, pdf_of(text), "")


@click.group()
def report() -> None:
    """Reports for people (Markdown, HTML) and machines (JSON, CSV)."""


@report.command("partnership")
@click.argument("code", shell_complete=partner_codes)
@report_options
@replay_options
@in_option
@pass_context
def report_partnership(
    ctx: Context,
    code: str,
    fmt: str,
    output: str | None,
    as_of: datetime | None,
    known_at: datetime | None,
    into: str | None,
) -> None:
    """One partnership: status, visits, dialogues, commitments by party,
    funding, open and overdue tasks.

    \b
    Example:
      accord report partnership TR
      accord report partnership TN --in EUR   # its funding in euros too, rate by rate
      accord report partnership TN --format json -o tn.json
      accord report partnership TN --format html -o tn.html
    """
    with source(ctx, as_of, known_at) as (app, today, _):
        from workflows.reports.html import partnership_html
        from workflows.reports.partnership import partnership_report

        made = partnership_report(app, code, today=today, into=into)
        emit(made, fmt, output, lambda r: partnership_html(app, r, code, today))


@report.command("portfolio")
@report_options
@replay_options
@in_option
@pass_context
def report_portfolio(
    ctx: Context,
    fmt: str,
    output: str | None,
    as_of: datetime | None,
    known_at: datetime | None,
    into: str | None,
) -> None:
    """Every partnership on one page, with the portfolio's totals.

    \b
    Example:
      accord report portfolio --format csv -o portfolio.csv
      accord report portfolio --known-at 2021-06-01T12:00   # as Accord showed it then
      accord report portfolio --in EUR                      # the funding in euros too, rate by rate
      accord report portfolio --format html -o portfolio.html
    """
    target = ctx.settings.funding_target
    with source(ctx, as_of, known_at) as (app, today, _):
        from workflows.reports.html import portfolio_html
        from workflows.reports.partnership import portfolio_report

        made = portfolio_report(app, today, into=into)
        emit(made, fmt, output, lambda report: portfolio_html(app, report, today, target))


@report.command("funding")
@report_options
@replay_options
@in_option
@pass_context
def report_funding(
    ctx: Context,
    fmt: str,
    output: str | None,
    as_of: datetime | None,
    known_at: datetime | None,
    into: str | None,
) -> None:
    """Funding committed and disbursed by partner, instrument, pillar and
    year, against each instrument's migration target.

    \b
    Example:
      accord report funding
      accord report funding --in EUR                        # every currency in euros, rate by rate
      accord report funding --in EUR --known-at 2021-08-01  # the same figures as known then
      accord report funding --format html -o funding.html
    """
    with source(ctx, as_of, known_at) as (app, today, _):
        from workflows.reports.funding import funding_report
        from workflows.reports.html import funding_html

        made = funding_report(app, today, target=ctx.settings.funding_target, into=into)
        emit(made, fmt, output, funding_html)


@report.command("briefing")
@click.argument("meeting", shell_complete=meeting_ids)
@report_options
@replay_options
@pass_context
def report_briefing(
    ctx: Context, meeting: str, fmt: str, output: str | None, as_of: datetime | None, known_at: datetime | None
) -> None:
    """The briefing for a meeting: each partner on its agenda with its latest
    facts and open items.

    \b
    Example:
      accord report briefing jha-council-2021-06-07
    """
    with source(ctx, as_of, known_at) as (app, today, _):
        from workflows.reports.briefing import briefing_report

        emit(briefing_report(app, meeting, today), fmt, output)


@report.command("results")
@click.option(
    "--partner", metavar="CODE", shell_complete=partner_codes, help="One partnership's indicators only, e.g. TN."
)
@click.option(
    "--known-at",
    type=Moment(),
    help="The figures as they had been recorded by this moment (e.g. 2021-06-01T12:00 in ACCORD_TIMEZONE, "
    "2021-06-01T10:00Z in UTC): later reports, restatements and corrections left out.",
)
@click.option("--as-of", type=DAY, help="Only the actual figures of periods that had ended by this date (YYYY-MM-DD).")
@report_options
@pass_context
def report_results(
    ctx: Context,
    partner: str | None,
    known_at: datetime | None,
    as_of: datetime | None,
    fmt: str,
    output: str | None,
) -> None:
    """What the partnerships achieve: each indicator's baseline, target and
    latest actual, its progress from baseline to target and whether it is on
    track, every figure standing, and what each restated or corrected figure
    replaced. Both time axes at once: --known-at (what had been reported by
    then) and --as-of (the periods up to a day).

    \b
    Example:
      accord report results
      accord report results --partner TN --format csv -o tn-results.csv
      accord report results --known-at 2021-06-07T12:00   # what we could tell the Council then
      accord report results --as-of 2021-06-30            # what we know now about the periods to June
    """
    app = caught_up(ctx.app)
    if known_at is not None and known_at > app.clock.now():
        raise click.BadParameter(
            "it is in the future: the figures are shown as recorded by a moment that has passed",
            param_hint="--known-at",
        )
    from workflows.reports.charts import results_figures
    from workflows.reports.html import report_html
    from workflows.reports.results import results_report

    made = results_report(
        app.reader,
        partner=partner,
        known_at=known_at,
        as_of=as_of.date() if as_of else None,
        margin=app.rules.off_track_margin,
    )
    emit(made, fmt, output, lambda report: report_html(report, results_figures(report)))
