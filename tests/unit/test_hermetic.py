"""The suite never reads the settings of the person running it: not their
ACCORD_* variables, not an accord.toml of the working folder, not their
home folder. It once did, and emailed its test data to the people a
checkout's accord.toml named, through the mail server it named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

# Run by a pytest of its own, in the person's folder, with their environment.
A_TEST = """
import json, os, subprocess, sys
from pathlib import Path

from workflows.config.settings import load


def test_nothing_of_the_person_running_the_suite_is_seen():
    settings, sources = load({})
    assert (settings.delivery.smtp_host, settings.delivery.directory) == (None, None)
    assert not [name for name in os.environ if name.startswith("ACCORD_")]
    assert Path.home() != Path(HOME)
    accord = str(Path(sys.executable).with_name("accord"))
    shown = json.loads(subprocess.run([accord, "config", "--json"], capture_output=True, check=True).stdout)
    assert [row for row in shown if not row["from"].startswith("default")] == []
"""


def a_person(folder: Path) -> tuple[Path, dict[str, str]]:
    """A checkout whose accord.toml names a mail server and a directory of
    people, a home folder with a config file, and an environment naming
    them all: where the suite is run, and with what."""
    checkout, home = folder / "checkout", folder / "home"
    checkout.mkdir()
    home.mkdir()
    (checkout / "accord.toml").write_text('smtp_host = "mail.example.eu"\ndirectory = "people.toml"\n')
    (home / "team.toml").write_text('smtp_host = "mail.example.eu"\nmail_from = "unit@example.eu"\n')
    (checkout / "test_tiny.py").write_text(A_TEST.replace("HOME", repr(str(home))))
    env = {
        **os.environ,
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "ACCORD_DIRECTORY": str(checkout / "people.toml"),
        "ACCORD_SMTP_HOST": "smtp.example.eu",
        "ACCORD_CONFIG": "~/team.toml",
    }
    return checkout, env


def pytest_in(checkout: Path, env: dict[str, str], *plugins: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins, "test_tiny.py"]
    return subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=120)


def test_a_test_sees_neither_the_accord_toml_nor_the_variables_nor_the_home_of_whoever_runs_the_suite(
    tmp_path: Path,
) -> None:
    checkout, env = a_person(tmp_path)

    without = pytest_in(checkout, env)
    within = pytest_in(checkout, env, "-p", "tests.conftest")

    assert without.returncode == 1, without.stdout  # the person's settings, as a test without the suite's sees them
    assert within.returncode == 0, within.stdout + within.stderr


def test_this_test_runs_away_from_the_checkout_and_the_home_folder() -> None:
    assert not [name for name in os.environ if name.startswith("ACCORD_")]
    assert not (Path.cwd() / "accord.toml").exists()
    assert ROOT not in [Path.cwd(), *Path.cwd().parents]
    assert list(Path.home().iterdir()) == []
