"""Commands that read the views take them as they stand when they are
current, without the domain (most of a start-up), and bring them up to date
through the application first when they are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from eventsourcing.cipher import AESCipher

from tests.helpers import accord
from workflows.application.compose import build
from workflows.application.reader import open_reader
from workflows.config.settings import Settings
from workflows.projections import CATALOG
from workflows.projections.base import REGISTRY_TABLE

pytestmark = pytest.mark.integration

# Runs one command in a process of its own, then says which of Accord's
# heavy modules it imported (pydantic itself is loaded by every command:
# the settings are pydantic-settings models).
PROBE = """
import json, sys
from workflows.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = ["domain.partnership", "domain.vocabulary", "workflows.application.service"]
    print(json.dumps({"imported": [name for name in heavy if name in sys.modules]}), file=sys.stderr)
"""


def imported(*args: str) -> tuple[list[str], str]:
    """The heavy modules a command imported, and what it printed."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])["imported"], done.stdout


def test_a_current_store_is_read_without_the_domain(demo_db: str) -> None:
    assert accord(demo_db, "tasks").exit_code == 0  # brings the views up to date

    for command in (["tasks"], ["tasks", "--partner", "tn", "--json"], ["partners"], ["export", "ics"]):
        heavy, printed = imported("--db", demo_db, *command)
        assert heavy == [], command
        assert "TN" in printed


def test_a_task_is_shown_in_words_without_the_domain(demo_db: str) -> None:
    [task, *_] = json.loads(accord(demo_db, "tasks", "--partner", "TN", "--json").stdout)

    heavy, printed = imported("--db", demo_db, "task", "show", task["task_id"][:8])

    assert heavy == []
    assert "follows up: " in printed and "Tunisia" in printed


def test_a_store_behind_its_log_is_brought_up_to_date_first(demo_db: str) -> None:
    listing = ["--db", demo_db, "tasks", "--partner", "TN", "--status", "all", "--json"]
    before = json.loads(imported(*listing)[1])
    # Recording does not follow the log: the task this visit implies is not
    # yet in the task list.
    visit = accord(demo_db, "submit", "VisitHeld", "--partner", "TN", "--occurred-on", "2021-06", "--visitors", "X")
    assert visit.exit_code == 0, visit.output

    heavy, printed = imported(*listing)

    assert "workflows.application.service" in heavy
    assert len(json.loads(printed)) == len(before) + 1
    assert imported(*listing)[0] == []


def test_a_view_built_by_another_version_of_its_code_is_rebuilt_before_it_is_read(demo_db: str) -> None:
    accord(demo_db, "tasks")
    app = build(Settings(db=demo_db))
    try:
        with app.views.db.transaction() as cursor:
            cursor.execute(f"UPDATE {REGISTRY_TABLE} SET version = 0 WHERE name = 'tasks'")
        assert not app.reader.current()
    finally:
        app.close()

    heavy, _ = imported("--db", demo_db, "tasks")

    assert "workflows.application.service" in heavy
    app = build(Settings(db=demo_db))
    try:
        [row] = app.views.db.query(f"SELECT version FROM {REGISTRY_TABLE} WHERE name = 'tasks'")
        assert row["version"] == CATALOG["tasks"][0]
        assert app.reader.current()
    finally:
        app.close()


def test_a_reader_is_not_opened_on_a_store_not_yet_created(tmp_path: Path) -> None:
    missing = tmp_path / "new.db"

    assert open_reader(Settings(db=str(missing))) is None
    assert not missing.exists()


def test_a_named_rules_or_policy_file_is_checked_even_on_a_current_store(demo_db: str, tmp_path: Path) -> None:
    accord(demo_db, "tasks")
    bad = tmp_path / "bad.toml"
    bad.write_text("[permit]\nVisitHappened = ['finance']\n")

    assert open_reader(Settings(db=demo_db)) is not None
    assert open_reader(Settings(db=demo_db, policy=str(bad))) is None
    assert accord(demo_db, "--policy", str(bad), "tasks").exit_code == 2


def test_a_wrong_key_is_not_read_even_on_a_current_store(demo_db: str) -> None:
    accord(demo_db, "tasks")

    assert open_reader(Settings(db=demo_db, cipher_key=AESCipher.create_key(num_bytes=32))) is None
