"""Numbers and moments given on the command line are read with the bounds
the rest of Accord computes within: one beyond them is refused where it is
read, in a sentence naming the option, and never reaches the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workflows.cli import main

TOO_FAR = "is not a moment Accord can compute with: give one from 0001-01-02 to 9999-12-30 (UTC)"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["report", "portfolio", "--known-at", "0001-01-01T00:00+14:00"], f"'0001-01-01T00:00+14:00' {TOO_FAR}"),
        (["audit", "log", "--since", "0001-01-01"], f"'0001-01-01' {TOO_FAR}"),
        (["audit", "replay", "--known-at", "9999-12-31T23:59-14:00"], f"'9999-12-31T23:59-14:00' {TOO_FAR}"),
        (["audit", "log", "--limit", str(2**63)], f"{2**63} is not in the range 1<=x<=9223372036854775807."),
        (["tasks", "--limit", str(2**63)], f"{2**63} is not in the range 0<=x<=9223372036854775807."),
        (["deliveries", "--limit", str(2**63)], f"{2**63} is not in the range 1<=x<=9223372036854775807."),
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
