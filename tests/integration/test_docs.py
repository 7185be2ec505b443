"""The shell examples of docs/*.md, run page by page on a fresh demo store,
as a reader would paste them: each exits 0 and shows something. A block that
must not run (a server, a PostgreSQL of your own) says why on the line before
it (`<!-- not run: ... -->`, tests/examples.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.examples import DOCS, blocks, commands, on_the_demo, run_each, section

pytestmark = pytest.mark.integration

# Pages whose examples a test of their own runs, with more to check.
OWN_TESTS = {"auditor.md"}
PAGES = sorted(page.name for page in DOCS.glob("*.md") if commands(page.read_text()))


def test_the_docs_show_examples_that_run_and_say_why_of_those_that_do_not() -> None:
    left = {page.name: [why for why, _ in blocks(page.read_text()) if why] for page in DOCS.glob("*.md")}

    assert {"auditor.md", "proofs.md"} <= set(PAGES)
    assert left["team.md"] and left["browser.md"] and left["cli.md"]


@pytest.mark.parametrize("page", sorted(set(PAGES) - OWN_TESTS))
def test_every_example_of_a_docs_page_shows_something_on_the_demo(page: str, tmp_path: Path) -> None:
    env = on_the_demo(tmp_path)

    run_each(commands((DOCS / page).read_text()), tmp_path, env)


def test_what_an_auditor_can_prove_runs_on_the_demo_and_the_seal_and_proof_hold(tmp_path: Path) -> None:
    env = on_the_demo(tmp_path)

    examples = commands(section((DOCS / "auditor.md").read_text(), "What an auditor can prove"))
    run_each(examples, tmp_path, env)

    assert examples == commands((DOCS / "auditor.md").read_text())  # the page's every example
    assert any(command.startswith("accord init --admin-key") for command in examples)
    assert any(command.startswith("accord audit verify --seals") for command in examples)
    seal = json.loads((tmp_path / "seal.json").read_text())
    assert seal["signature"] and seal["key"]
