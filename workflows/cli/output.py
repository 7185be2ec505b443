"""Where a command writes what it makes: `-o FILE`, or standard output when
no file (or `-`) is named, as Unix tools do."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import click
import orjson

from workflows.escape.terminal import visible

if TYPE_CHECKING:
    from rich.text import Text

STDOUT = "-"

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def echo(text: str, err: bool = False) -> None:
    """A line of text that may hold what the record holds, printed as
    click.echo prints, its control characters shown, never obeyed
    (workflows.escape.terminal)."""
    click.echo(visible(text), err=err)


def plain(text: str, style: str = "") -> Text:
    """Text for rich to print as it is: never parsed as markup (`[/]`,
    `[link=...]`), its control characters shown, never obeyed."""
    from rich.text import Text

    return Text(visible(text), style=style)


def print_json(value: Any) -> None:
    """One JSON document, indented for people reading it too."""
    click.echo(as_json_text(value), nl=False)


def as_json_text(value: Any) -> str:
    """One JSON document, indented for people reading it too, and its line's end."""
    return orjson.dumps(value, default=str, option=orjson.OPT_INDENT_2).decode() + "\n"


Command = Callable[..., Any]


def output_option(
    help: str = "Write to this file ('-': standard output, the default).",
) -> Callable[[Command], Command]:
    return click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True), help=help)


def to_stdout(output: str | None) -> bool:
    return output is None or output == STDOUT


@contextmanager
def opened(output: str | None) -> Iterator[IO[bytes]]:
    """A binary stream to write to: the file named, else standard output."""
    if to_stdout(output):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    assert output is not None
    with open(output, "wb") as out:
        yield out


def write(output: str | None, data: bytes | str, said: str, receipt: dict[str, Any] | None = None) -> None:
    """Write `data` whole, then say what was written to a file (see `wrote`)."""
    with opened(output) as out:
        out.write(data.encode() if isinstance(data, str) else data)
    wrote(output, said, receipt)


# An export's --json: what it wrote, not the data (which is the file).
receipt_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print what was written as JSON (the file, and how many of what) on standard output; needs -o FILE.",
)


def receipt_wanted(output: str | None, as_json: bool) -> bool:
    """Whether --json asks for a receipt; refused (before any work) when the
    data itself goes to standard output."""
    if as_json and to_stdout(output):
        raise click.UsageError("--json prints what was written to a file: give -o FILE (the data is the output)")
    return as_json


def wrote(output: str | None, said: str, receipt: dict[str, Any] | None = None) -> None:
    """Name what was written to a file on standard error (`said`, e.g. "3
    activities"), so that standard output stays the data; or, when a
    receipt was asked for, print it as JSON with the file's name."""
    if to_stdout(output):
        return
    if receipt is not None:
        print_json({"output": output, **receipt})
        return
    echo(f"wrote {said} to {output}" if said else f"wrote {output}", err=True)
