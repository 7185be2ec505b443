"""Commands that read: the partners, one partner's timeline."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import click
import orjson

from workflows.cli.complete import partner_codes
from workflows.cli.context import Context, pass_context
from workflows.cli.output import json_option, plain
from workflows.escape.terminal import visible

# Columns of free text wrap; the others (codes, dates, counts) stay on one line.
WRAPPED = {"name", "summary", "subject", "title", "detail"}

wide_option = click.option(
    "--wide", is_flag=True, help="Show every column, however wide; by default the table fits the terminal."
)


def show(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    as_json: bool,
    title: str | None = None,
    *,
    paged: bool = False,
    optional: Sequence[str] = (),
    wrapped: Collection[str] = WRAPPED,
    wide: bool = False,
    empty: str | None = "nothing recorded yet",
) -> None:
    """Rows as a rich table on a terminal (`paged`: through a pager), or as
    JSON for machines. The table fits the terminal (or COLUMNS, when
    piped): free text (`wrapped`) wraps, codes, ids and dates never do, and
    the `optional` columns are left out, the first first, until it fits;
    `wide` keeps them all, however wide. No rows: `empty` is said, or the
    title when it says it all ("0 task(s)...").

    Every text, the title's too, is printed as it is (`plain`): never read
    as rich markup, its control characters shown, not obeyed."""
    if as_json:
        _json_lines(rows)
        return
    from rich.console import Console
    from rich.table import Table

    rows = list(rows)
    terminal = sys.stdout.isatty()
    width = None if terminal else int(os.environ.get("COLUMNS", PIPED_WIDTH))
    console = Console(width=width)
    if not rows:
        console.print(plain(empty if empty is not None else title or ""))
        return
    texts = [{column: _text(row.get(column)) for column in columns} for row in rows]
    # Each column's whole width, and the least it is given (free text wraps).
    whole = {column: max(len(column), *(len(text[column]) for text in texts)) for column in columns}
    least = {column: _least(texts, column, whole[column]) if column in wrapped else whole[column] for column in columns}
    if wide:
        console = Console(width=max(console.width, _needed(whole, columns)))
    else:
        fitting = list(columns)
        for column in optional:  # left out, the first first, while the table does not fit
            if _needed(least, fitting) <= console.width:
                break
            fitting.remove(column)
        if _needed(least, fitting) > console.width:
            # Too narrow for even the columns that matter: one block a row, whole.
            _blocks(console, title, texts, columns)
            return
        columns = fitting
    table = Table(title=plain(title) if title else None, header_style="bold", expand=False)
    for column in columns:
        header = plain(column.replace("_", " "))
        if column in wrapped:
            table.add_column(header, overflow="fold", min_width=least[column], ratio=1)
        else:
            table.add_column(header, no_wrap=True, min_width=whole[column])
    for text in texts:
        table.add_row(*(_styled(text[column]) for column in columns))
    if paged and terminal:
        with console.pager(styles=True):
            console.print(table)
        return
    console.print(table)


# Free text is given at least this many characters before columns are left out.
TEXT_WIDTH = 16
# A word longer than this is folded rather than given its whole width.
LONGEST_WORD = 24
# The width of a table written to a pipe or a file, unless COLUMNS says.
PIPED_WIDTH = 160


def _text(value: Any) -> str:
    """A cell's text as the terminal shows it (its width measured so)."""
    return "" if value is None else visible(str(value))


def _least(texts: list[dict[str, str]], column: str, whole: int) -> int:
    """The width free text is given at least: room for its longest word (to
    a bound), or for all of it when it is short."""
    longest = max(len(word) for text in texts for word in [column, *text[column].split()])
    return min(whole, max(TEXT_WIDTH, min(longest, LONGEST_WORD)))


def _needed(widths: dict[str, int], columns: Sequence[str]) -> int:
    """The width a table of these columns takes: each column and its borders."""
    return sum(widths[column] for column in columns) + 3 * len(columns) + 1


def _blocks(console: Any, title: str | None, texts: list[dict[str, str]], columns: Sequence[str]) -> None:
    """Each row as lines of `column: value`, for a terminal too narrow for a table."""
    from rich.table import Table

    if title:
        console.print(plain(title, style="italic"))
    for text in texts:
        block = Table.grid(padding=(0, 1))
        block.add_column(justify="right", no_wrap=True, style="bold")
        block.add_column(overflow="fold")
        for column in columns:
            block.add_row(plain(column.replace("_", " ") + ":"), _styled(text[column]))
        console.print()
        console.print(block)


def _styled(text: str) -> Any:
    """A cell as rich prints it, never as markup; OVERDUE stands out (in
    colour unless NO_COLOR is set, which rich honours)."""
    return plain(text, style="bold red" if text == "OVERDUE" else "")


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
@wide_option
@pass_context
def partners(ctx: Context, as_json: bool, wide: bool) -> None:
    """List the partnerships: code, name, when opened, last activity, counts.

    \b
    Example:
      accord partners
      accord partners --json | jq '.[].code'
    """
    columns = ["code", "name", "opened_on", "last_activity", "events", "visits", "dialogues", "open_commitments"]
    optional = ["events", "dialogues", "visits", "opened_on"]
    show(ctx.reader.partnerships.partners(), columns, as_json, title="Partnerships", optional=optional, wide=wide)


@click.group()
def partner() -> None:
    """One partnership."""


@partner.command("show")
@click.argument("code", shell_complete=partner_codes)
@json_option
@wide_option
@pass_context
def partner_show(ctx: Context, code: str, as_json: bool, wide: bool) -> None:
    """The timeline of one partnership: its facts, and the meetings and
    initiatives that name it, by the date they happened.

    \b
    Example:
      accord partner show TN
    """
    from workflows.sentences import words_of

    rows = ctx.reader.timeline.of(code)
    if as_json:  # for machines: each fact's type and subject by their codes
        show(rows, ["occurred_on", "type", "subject", "summary", "actor"], as_json)
        return
    # For people: each fact's type in words ("visit held"); its summary names what it is about.
    rows = [{**row, "type": words_of(row["type"])} for row in rows]
    columns = ["occurred_on", "type", "summary", "actor"]
    show(rows, columns, as_json, title=f"Timeline of {code.upper()}", optional=["actor"], wide=wide)


@click.command()
@json_option
@pass_context
def rates(ctx: Context, as_json: bool) -> None:
    """The exchange rates recorded: for each source and base, how many days,
    from which to which, and how many currencies. Reports convert with them
    (`accord report funding --in EUR`).

    \b
    Example:
      accord import rates eurofxref-hist.zip
      accord rates
    """
    columns = ["source", "base", "days", "first", "last", "currencies"]
    empty = "no exchange rates recorded yet: `accord import rates FILE` records the ECB's"
    show(ctx.reader.rates.recorded(), columns, as_json, title="Exchange rates recorded", empty=empty)
