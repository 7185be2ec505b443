"""Many writers at once, and large files: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import accord, opened, stored_count, visit, write_jsonl
from workflows.store.persistence import is_postgres

pytestmark = pytest.mark.integration


def test_eight_processes_writing_to_one_partnership_lose_and_double_nothing(db: str, tmp_path: Path) -> None:
    assert accord(db, "submit", "--file", "-", input=f"{__import__('json').dumps(opened())}\n").exit_code == 0
    files = [write_jsonl(tmp_path / f"writer{w}.jsonl", (visit(id=f"w{w}-e{e}") for e in range(50))) for w in range(8)]
    env = {**os.environ, "ACCORD_DB": db, "ACCORD_ACTOR": "loader"}
    # Each writer submits its 50 events one command at a time, so the eight
    # race on every single write.
    script = (
        "import json, subprocess, sys\n"
        "from click.testing import CliRunner\n"
        "from workflows.cli import main\n"
        "for line in open(sys.argv[1]):\n"
        "    r = CliRunner().invoke(main, ['submit', '--file', '-'], input=line)\n"
        "    assert r.exit_code == 0, r.output\n"
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, str(f)], env=env, stderr=subprocess.PIPE) for f in files]
    errors = [w.communicate()[1].decode() for w in writers]
    assert [w.returncode for w in writers] == [0] * 8, errors
    assert stored_count(db) == 1 + 400


@pytest.mark.slow
def test_fifty_thousand_events_submit_in_one_command_and_once_only(db: str, tmp_path: Path) -> None:
    partners = ["TN", "MA", "MR", "TR", "RS", "LY", "AL", "BA", "EG", "DZ"]
    rows = [opened(p) for p in partners]
    rows += [visit(partners[i % len(partners)], 1 + i % 28, id=f"bulk-{i}") for i in range(50_000 - len(rows))]
    path = write_jsonl(tmp_path / "bulk.jsonl", rows)

    first = accord(db, "submit", "--file", str(path))
    assert first.exit_code == 0, first.output
    assert "recorded 50000 event(s)" in first.output
    assert stored_count(db) == 50_000

    again = accord(db, "submit", "--file", str(path))
    assert again.exit_code == 0, again.output
    assert "already recorded: 50000" in again.output
    assert stored_count(db) == 50_000


def test_the_logs_statistics_are_taken_again_each_time_it_doubles(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without them PostgreSQL plans each page of a catch-up as a sort of the
    whole log; Accord takes them itself where autovacuum does not run."""
    if not is_postgres(db):
        pytest.skip("SQLite plans a read of the log without statistics")
    import psycopg

    from workflows.store import postgres

    monkeypatch.setattr(postgres, "ANALYZE_FROM", 20)

    def submit(count: int, start: int) -> float:
        path = write_jsonl(tmp_path / f"from{start}.jsonl", (visit(id=f"e{start + n}") for n in range(count)))
        assert accord(db, "submit", "--file", str(path)).exit_code == 0
        with psycopg.connect(db) as conn:
            [(tuples,)] = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'accord_events'::regclass")
        return float(tuples)

    accord(db, "submit", "--file", "-", input=f"{json.dumps(opened())}\n")
    assert submit(10, 0) <= 0  # 11 events: never taken
    assert submit(20, 10) == 31  # past 20: taken
    assert submit(10, 30) == 31  # 41, not yet twice 31
    assert submit(30, 40) == 71
