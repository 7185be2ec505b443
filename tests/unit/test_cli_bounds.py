"""Numbers and moments given on the command line are read with the bounds
the rest of Accord computes within: one beyond them is refused where it is
read, in a sentence naming the option, and never reaches the store."""

from __future__ import annotations

from pathlib import Path

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
