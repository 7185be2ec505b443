"""`accord report ...`: partnership, portfolio, funding and briefing reports
as Markdown, JSON or CSV, built from the read models (caught up first)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from workflows.cli.context import Context, pass_context
from workflows.reports import FORMATS, Report, render
from workflows.reports.briefing import briefing_report
from workflows.reports.funding import funding_report
from workflows.reports.partnership import partnership_report, portfolio_report


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="md", show_default=True, help="Output format."
    )(command)
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not the screen."
    )(command)


def emit(report: Report, fmt: str, output: str | None) -> None:
    text = render(report, fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.group()
def report() -> None:
    """Reports for people (Markdown) and machines (JSON, CSV)."""


@report.command("partnership")
@click.argument("code")
@report_options
@pass_context
def report_partnership(ctx: Context, code: str, fmt: str, output: str | None) -> None:
    """One partnership: status, visits, dialogues, commitments by party,
    funding, open and overdue tasks.

    \b
    Example:
      accord report partnership TR
      accord report partnership TN --format json -o tn.json
    """
    ctx.app.refresh()
    emit(partnership_report(ctx.app, code), fmt, output)


@report.command("portfolio")
@report_options
@pass_context
def report_portfolio(ctx: Context, fmt: str, output: str | None) -> None:
    """Every partnership on one page, with the portfolio's totals.

    \b
    Example:
      accord report portfolio --format csv -o portfolio.csv
    """
    ctx.app.refresh()
    emit(portfolio_report(ctx.app), fmt, output)


@report.command("funding")
@report_options
@pass_context
def report_funding(ctx: Context, fmt: str, output: str | None) -> None:
    """Funding committed and disbursed by partner, instrument, pillar and
    year, against each instrument's migration target.

    \b
    Example:
      accord report funding
    """
    ctx.app.refresh()
    emit(funding_report(ctx.app, target=ctx.settings.funding_target), fmt, output)


@report.command("briefing")
@click.argument("meeting")
@report_options
@pass_context
def report_briefing(ctx: Context, meeting: str, fmt: str, output: str | None) -> None:
    """The briefing for a meeting: each partner on its agenda with its latest
    facts and open items.

    \b
    Example:
      accord report briefing jha-council-2021-06-07
    """
    ctx.app.refresh()
    emit(briefing_report(ctx.app, meeting), fmt, output)


COMMANDS = [report]
