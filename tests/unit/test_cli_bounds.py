"""Numbers and moments given on the command line are read with the bounds
the rest of Accord computes within: one beyond them is refused where it is
read, in a sentence naming the option, and never reaches the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workflows.cli import main

BIG = f"{2**63} is larger than any a store holds (at most 9,223,372,036,854,775,807)"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["report", "portfolio", "--known-at", "0001-01-01T00:00+14:00"],
            "'--known-at': 0001-01-01 is out of the years Accord reads (1000 to 8999)",
        ),
        (["audit", "log", "--since", "0001-01-01"], "'--since': 0001-01-01 is out of the years Accord reads"),
        (
            ["audit", "replay", "--known-at", "9999-12-31T23:59-14:00"],
            "'--known-at': 9999-12-31 is out of the years Accord reads",
        ),
        (["tasks", "--today", "9999-12-31"], "'--today': 9999-12-31 is out of the years Accord reads (1000 to 8999)"),
        (["audit", "log", "--limit", str(2**63)], f"'--limit': {BIG}"),
        (["tasks", "--limit", str(2**63)], f"'--limit': {BIG}"),
        (["tasks", "--limit", "-1"], "'--limit': -1 is less than 0"),
        (["deliveries", "--limit", str(2**63)], f"'--limit': {BIG}"),
        (["retract", "--position", str(2**63), "--reason", "x"], f"'--position': {BIG}"),
        (["retract", "--position", "²", "--reason", "x"], "'--position': '²' is not a valid integer"),
    ],
)
def test_a_value_beyond_what_accord_computes_with_is_refused_naming_the_option(
    tmp_path: Path, args: list[str], said: str
) -> None:
    store = tmp_path / "accord.db"

    result = CliRunner().invoke(main, ["--db", str(store), *args], env={"ACCORD_CONFIG": ""})

    assert result.exit_code == 2
    assert said in result.output
    assert not store.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["task", "defer", "abcd", "--to", "2021-02-30", "--reason", "r"],
            "'--to': 2021-02-30 is not a date: February 2021 has 28 days",
        ),
        (
            ["report", "portfolio", "--as-of", "2024-02-30"],
            "'--as-of': 2024-02-30 is not a date: February 2024 has 29 days",
        ),
        (["tasks", "--today", "2021-04-31"], "'--today': 2021-04-31 is not a date: April 2021 has 30 days"),
        (["tasks", "--due-before", "2021-13-01"], "'--due-before': 2021-13-01 is not a date: there is no month 13"),
        (
            ["tasks", "--due-before", "1/3/2021"],
            "'--due-before': '1/3/2021' is not a date: give a date as YYYY-MM-DD, e.g. 2021-03-01",
        ),
    ],
)
def test_a_day_that_is_not_one_is_refused_saying_why(tmp_path: Path, args: list[str], said: str) -> None:
    store = tmp_path / "accord.db"

    result = CliRunner().invoke(main, ["--db", str(store), *args], env={"ACCORD_CONFIG": ""})

    assert result.exit_code == 2
    assert said in result.output
    assert not store.exists()


def test_every_date_option_of_every_command_is_read_by_the_one_day_type() -> None:
    from click import DateTime

    from workflows.cli.context import DAY

    def options(command: Any, ctx: Any) -> Iterator[Any]:
        yield from command.params
        if hasattr(command, "list_commands") and command.name != "submit":  # submit's are its models' fields
            for name in command.list_commands(ctx):
                yield from options(command.get_command(ctx, name), ctx)

    import click

    with click.Context(main) as ctx:
        dated = [option for option in options(main, ctx) if isinstance(option.type, DateTime)]
        days = [option for option in options(main, ctx) if option.type is DAY]

    assert dated == []
    assert len(days) >= 4
