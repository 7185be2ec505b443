"""The README's examples, run one by one, in order, on the demo store, as a
newcomer would paste them: each exits 0 and shows something. (The docs'
examples: test_docs.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import ROOT, blocks, commands, empty, on_the_demo, run_each, section

pytestmark = pytest.mark.integration

README = ROOT / "README.md"


@pytest.mark.parametrize(
    "said",
    [
        "# The record as known at 2026-12-07 12:04:05 Europe/Brussels\n- **Partnership portfolio: Partnerships**: 0\n",
        "recorded 0 event(s)\n",
        "accord: found no facts in the file: it holds 3 comment line(s) (#) and 0 blank line(s)\n",
        "nothing was recorded between 2021-06-01 00:00:00 Europe/Brussels and ...\n",
        "no open tasks of owner desk:XX; owners with tasks: cabinet\n",
        "nothing recorded yet\n",
    ],
)
def test_an_answer_that_found_nothing_is_told_apart(said: str) -> None:
    assert empty(said) is not None


def test_an_answer_that_found_something_is_not_taken_for_empty() -> None:
    assert empty("recorded 0 event(s)\nalready recorded: 172 (stored nothing for them)\n") is None
    assert empty("- **Partnership portfolio: Partnerships**: 8\n- **Visits**: 0\n") is None


def test_the_readme_opens_with_its_two_commands_and_stays_a_tour() -> None:
    text = README.read_text()

    assert blocks(text)[0] == (None, "./scripts/demo\n./scripts/test")
    assert len(text.splitlines()) < 250


def test_every_example_of_the_readme_shows_something_on_the_demo(tmp_path: Path) -> None:
    env = on_the_demo(tmp_path)

    tour = commands(section(README.read_text(), "A ten-minute tour on the demo"))

    assert len(tour) > 40
    run_each(tour, tmp_path, env)
