"""Commands that read: the partners, one partner's timeline."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
import orjson

from workflows.cli.context import Context, pass_context

# Columns of free text wrap; the others (codes, dates, counts) stay on one line.
WRAPPED = {"name", "summary", "subject", "title", "detail"}

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def print_json(value: Any) -> None:
    """One JSON document, indented for people reading it too."""
    click.echo(orjson.dumps(value, default=str, option=orjson.OPT_INDENT_2).decode())


def show(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    as_json: bool,
    title: str | None = None,
    *,
    paged: bool = False,
) -> None:
    """Rows as a rich table on a terminal (`paged`: through a pager), or as
    JSON for machines."""
    if as_json:
        _json_lines(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, header_style="bold", expand=False)
    for column in columns:
        if column in WRAPPED:
            table.add_column(column.replace("_", " "), overflow="fold", min_width=12, ratio=1)
        else:
            table.add_column(column.replace("_", " "), no_wrap=True)
    count = 0
    for row in rows:
        table.add_row(*(str(row.get(column, "")) for column in columns))
        count += 1
    # Piped output is read by people too (less, a file): give it room.
    terminal = sys.stdout.isatty()
    console = Console() if terminal else Console(width=160)
    if paged and terminal and count:
        with console.pager(styles=True):
            console.print(table)
        return
    console.print(table if count else "nothing recorded yet")


def _json_lines(rows: Iterable[dict[str, Any]]) -> None:
    """A JSON array with one row per line, written as the rows come: a big
    portfolio's task list is hundreds of thousands of rows. Nothing is
    written before the first row is read, so a failing query prints no
    half array."""
    remaining = iter(rows)
    first = next(remaining, None)
    sys.stdout.flush()
    out = sys.stdout.buffer
    out.write(b"[")
    if first is not None:
        out.write(b"\n" + orjson.dumps(first, default=str))
        for row in remaining:
            out.write(b",\n" + orjson.dumps(row, default=str))
    out.write(b"\n]\n")
    out.flush()


@click.command()
@json_option
@pass_context
def partners(ctx: Context, as_json: bool) -> None:
    """List the partnerships: code, name, when opened, last activity, counts.

    \b
    Example:
      accord partners
      accord partners --json | jq '.[].code'
    """
    columns = ["code", "name", "opened_on", "last_activity", "events", "visits", "dialogues", "open_commitments"]
    show(ctx.reader.partnerships.partners(), columns, as_json, title="Partnerships")


@click.group()
def partner() -> None:
    """One partnership."""


@partner.command("show")
@click.argument("code")
@json_option
@pass_context
def partner_show(ctx: Context, code: str, as_json: bool) -> None:
    """The timeline of one partnership: its facts, and the meetings and
    initiatives that name it, by the date they happened.

    \b
    Example:
      accord partner show TN
    """
    rows = ctx.reader.timeline.of(code)
    show(rows, ["occurred_on", "type", "subject", "summary", "actor"], as_json, title=f"Timeline of {code.upper()}")
