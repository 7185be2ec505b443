"""The README's examples, run one by one, in order, on the demo store, as a
newcomer would paste them: each exits 0 and shows something."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
# Run until stopped: their own tests run them (test_scheduler, test_web_browser).
LEFT_OUT = ("accord scheduler run", "accord serve")


def examples(section: str = "Usage by example") -> list[str]:
    """The commands of the README's first shell block under a section."""
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"## {section}\n.*?```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        command = line.split("  #")[0].strip()  # a comment follows two spaces or more
        printed = "--format pdf" in command and shutil.which("chromium") is None  # printing needs Chromium
        if command and not command.startswith("#") and not command.startswith(LEFT_OUT) and not printed:
            commands.append(command)
    return commands


def people() -> str:
    """The README's example of a directory of people."""
    found = re.search(r"```toml\n(# people.toml\n.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert found is not None
    return found.group(1)


def on_the_demo(tmp_path: Path) -> dict[str, str]:
    """A fresh demo store in `tmp_path`, and the environment its commands run in."""
    (tmp_path / "workflows" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "workflows" / "data" / "demo.jsonl", tmp_path / "workflows" / "data")
    rules = (ROOT / "workflows" / "rules" / "default.toml").read_text()
    (tmp_path / "my-rules.toml").write_text("history_days = 365\n\n" + rules)  # a candidate: a history horizon
    (tmp_path / "people.toml").write_text(people())  # the README's own directory
    env = {
        **os.environ,
        "ACCORD_DB": str(tmp_path / "demo" / "accord.db"),
        "ACCORD_OUTBOX": str(tmp_path / "outbox"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    (tmp_path / "demo").mkdir()
    subprocess.run(["accord", "demo"], cwd=tmp_path, env=env, check=True, capture_output=True)
    return env


# What an answer says when it found nothing: an example that says it shows a
# newcomer nothing of what it is for.
EMPTY = [
    re.compile(pattern, re.MULTILINE)
    for pattern in (
        r"nothing recorded yet",
        r"nothing was recorded (between|at or)",
        r"^no (\w+ )?(tasks|event)\b",
        r"found no facts",
        r"Partnerships\W*: 0\b",
        r"^recorded 0 event\(s\)\s*$(?![\s\S]*already recorded)",
    )
]


def empty(said: str) -> str | None:
    """What in an example's output says it found nothing, if anything does."""
    for pattern in EMPTY:
        if found := pattern.search(said):
            return found.group(0)
    return None


def run_each(commands: list[str], tmp_path: Path, env: dict[str, str]) -> None:
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        said = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\n{said}"
        assert said.strip(), f"{command} showed nothing"
        assert empty(said) is None, f"{command} found nothing ({empty(said)!r}):\n{said}"


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


def test_every_example_of_the_readme_shows_something_on_the_demo(tmp_path: Path) -> None:
    env = on_the_demo(tmp_path)

    commands = examples()

    assert len(commands) > 40
    run_each(commands, tmp_path, env)


def test_what_an_auditor_can_prove_runs_on_the_demo_and_the_seal_and_proof_hold(tmp_path: Path) -> None:
    env = on_the_demo(tmp_path)

    commands = examples("What an auditor can prove")
    run_each(commands, tmp_path, env)

    assert any(command.startswith("accord init --admin-key") for command in commands)
    assert any(command.startswith("accord audit verify --seals") for command in commands)
    seal = json.loads((tmp_path / "seal.json").read_text())
    assert seal["signature"] and seal["key"]
