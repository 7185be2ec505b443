"""The shell examples the README and docs/*.md show, found and run on the
demo store as a newcomer would paste them into one shell.

Every ```sh block is an example that runs, unless the line before it says
why it does not (`<!-- not run: a server -->`: a server, a PostgreSQL of
your own, a change to your shell's start-up files). Within a block that
runs, a command that runs until stopped (LEFT_OUT) is left to its own tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
# Run until stopped: their own tests run them (test_scheduler, test_web_browser).
LEFT_OUT = ("accord scheduler run", "accord serve")
NOT_RUN = re.compile(r"<!-- not run: (?P<why>\S.*) -->")


def blocks(text: str) -> list[tuple[str | None, str]]:
    """Each ```sh block of a Markdown text: why it is not run (None: it runs), and its lines."""
    lines = text.splitlines()
    found = []
    at = 0
    while at < len(lines):
        if lines[at].strip() == "```sh":
            end = next(i for i in range(at + 1, len(lines)) if lines[i].strip() == "```")
            marked = NOT_RUN.fullmatch(lines[at - 1].strip()) if at else None
            found.append((marked.group("why") if marked else None, "\n".join(lines[at + 1 : end])))
            at = end
        at += 1
    return found


def section(text: str, heading: str) -> str:
    """The part of a Markdown text under `## heading`, up to the next heading of its level."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    assert found is not None, heading
    return found.group(1)


def commands(text: str) -> list[str]:
    """The commands of every shell block of a text that runs, in order."""
    found = []
    for why, block in blocks(text):
        if why is not None:
            continue
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #")[0].strip()  # a comment follows two spaces or more
            printed = "--format pdf" in command and shutil.which("chromium") is None  # printing needs Chromium
            if command and not command.startswith("#") and not command.startswith(LEFT_OUT) and not printed:
                found.append(command)
    return found


def people() -> str:
    """The docs' example of a directory of people (docs/telling-people.md)."""
    text = (DOCS / "telling-people.md").read_text()
    found = re.search(r"```toml\n(# people.toml\n.*?)```", text, re.DOTALL)
    assert found is not None
    return found.group(1)


def on_the_demo(tmp_path: Path) -> dict[str, str]:
    """A fresh demo store in `tmp_path`, and the environment its commands run in."""
    (tmp_path / "workflows" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "workflows" / "data" / "demo.jsonl", tmp_path / "workflows" / "data")
    rules = (ROOT / "workflows" / "rules" / "default.toml").read_text()
    (tmp_path / "my-rules.toml").write_text("history_days = 365\n\n" + rules)  # a candidate: a history horizon
    (tmp_path / "people.toml").write_text(people())  # the docs' own directory
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
    """Run each command as if pasted into one shell: each exits 0 and shows
    something that is not "nothing found"; an `export` sets a variable for the
    commands after it, and need show nothing."""
    exported: list[str] = []
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", "\n".join([*exported, command])], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        said = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\n{said}"
        if command.startswith("export "):
            exported.append(command)
            continue
        assert said.strip(), f"{command} showed nothing"
        assert empty(said) is None, f"{command} found nothing ({empty(said)!r}):\n{said}"
