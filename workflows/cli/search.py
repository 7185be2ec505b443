"""Search the record: the facts and tasks whose words hold what is typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from workflows.cli.complete import partner_codes
from workflows.cli.context import DAY, HOW_MANY, Context, pass_context
from workflows.cli.output import echo, json_option, plain, print_json

# What a result is, as a person says it.
KINDS = {
    "partnership": "fact",
    "meeting": "meeting",
    "initiative": "initiative",
    "instrument": "instrument",
    "task": "task",
}


@click.command()
@click.argument("text")
@click.option(
    "--partner", shell_complete=partner_codes, help="Only what concerns this partner (its ISO code, e.g. TN)."
)
@click.option(
    "--type",
    "types",
    multiple=True,
    help="Only facts or task events of this type (VisitHeld, or 'visit held'); repeat for several.",
)
@click.option("--since", type=DAY, help="Only what happened on or after this day.")
@click.option("--until", type=DAY, help="Only what happened on or before this day.")
@click.option("--limit", type=HOW_MANY, default=20, show_default=True, help="At most this many results (up to 500).")
@json_option
@pass_context
def search(
    ctx: Context,
    text: str,
    partner: str | None,
    types: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Find the facts and tasks whose words hold TEXT: notes, titles,
    visitors, places, topics, outcomes, reasons, the partners' names and
    each fact's type in words. Every word must be found, whatever its case
    or accents; "a phrase" in quotes finds its words in a row; a word
    ending in * finds every word it begins (smuggl* finds smugglers). Any
    other mark only separates words. Best matches first, then the most
    recent. The record as it stands now: a retracted fact is not found, a
    corrected one is found by its corrected text.

    \b
    Example:
      accord search smuggling
      accord search "Serbia-Bulgaria border" --partner RS
      accord search 'visit "joint operation"' --since 2021-01-01 --json
      accord search smuggl* --type VisitHeld --type "meeting held"
    """
    found = ctx.reader.search.find(
        text,
        partner=partner,
        types=types,
        since=since.date() if since else None,
        until=until.date() if until else None,
        limit=limit,
    )
    if as_json:
        print_json([_as_json(row) for row in found.rows])
        return
    if not found.rows:
        echo(f"Nothing found for {text!r}: try fewer words, or a word's start with * (smuggl*).")
        return
    _table(found.rows, f"{len(found.rows)} found for {text!r}, best first", found.more, limit)
    if found.cut:
        echo(
            f"The best of the {found.cut:,} recorded last: more than {found.cut:,} match. "
            "Narrow by --partner, --type, --since and --until, or add a word."
        )


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    parts = row["snippet"]
    return {
        **{name: value for name, value in row.items() if name != "snippet"},
        "snippet": "".join(part for part, _ in parts),
        "found": sorted({part for part, hit in parts if hit}),
    }


def _table(rows: list[dict[str, Any]], title: str, more: bool, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=plain(title), header_style="bold", show_lines=True)
    table.add_column("ref", no_wrap=True)
    table.add_column("happened", no_wrap=True)
    table.add_column("what", overflow="fold", ratio=2)
    table.add_column("found", overflow="fold", ratio=3)
    for row in rows:
        snippet = Text()
        for part, hit in row["snippet"]:
            snippet.append_text(plain(part, style="bold underline" if hit else ""))
        # A fact by its position (accord audit show), a task by its id's prefix (accord task show).
        ref = row["subject"][:8] if row["kind"] == "task" else str(row["position"])
        what = plain(row["summary"])
        if row["partners"]:
            what.append_text(plain(" (" + ", ".join(row["partners"]) + ")", style="dim"))
        table.add_row(plain(f"{KINDS.get(row['kind'], row['kind'])} {ref}"), plain(row["occurred_on"]), what, snippet)
    console = Console()
    console.print(table)
    if more:
        console.print(plain(f"More match: narrow the search, or raise --limit (now {limit})."))
