"""Load and faults: eight writer processes, a scheduler and a follower on one
store at once, then the same with one of them SIGKILLed at random moments and
restarted. Afterwards nothing acknowledged is lost, every task the rules
imply exists exactly once, the projections equal a fresh replay and the chain
verifies. Each test runs on SQLite and on PostgreSQL (`pytest -m faults`)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import accord, open_partners, stored_facts
from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.config.settings import Settings
from workflows.rules.engine import applies, source_of

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.slow]

SECONDS = float(os.environ.get("ACCORD_LOAD_SECONDS", "30"))
PARTNERS = ["TN", "MA", "TR", "LY", "RS", "AL", "BA", "MR"]
ACCORD = str(Path(sys.executable).with_name("accord"))

# One writer: batches of one to five facts until the time is up (or a `stop`
# file appears beside its report); each batch acknowledged is appended to its
# report (a line per fact, its id; the facts themselves in the report's
# .jsonl, to submit again) and synced first.
WRITER = """
import json, os, random, sys, time
from domain.vocabulary import parse
from workflows.application.submission import Rejected
from workflows.application.compose import build
from workflows.config.settings import Settings

db, name, seconds, report, stop = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
rng = random.Random(name)
app = build(Settings(db=db))
partners = {partners!r}
open_commitments = []
n = 0
with open(report, "a") as out, open(report + ".jsonl", "a") as facts:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not os.path.exists(stop):
        batch = []
        for _ in range(rng.randint(1, 5)):
            n += 1
            partner = rng.choice(partners)
            day = f"2021-{{rng.randint(1, 12):02d}}-{{rng.randint(1, 28):02d}}"
            roll = rng.random()
            base = {{"partner": partner, "occurred_on": day, "id": f"{{name}}-{{n}}"}}
            if roll < 0.35:
                batch.append({{**base, "type": "VisitHeld", "visitors": [f"Envoy {{name}}"]}})
            elif roll < 0.55:
                batch.append({{**base, "type": "PartnershipNoteAdded", "text": f"note {{n}}"}})
            elif roll < 0.7:
                batch.append({{**base, "type": "FundingCommitted", "funding": f"{{name}}-f{{n}}",
                              "instrument": "NDICI", "amount": "EUR 1000"}})
            elif roll < 0.85 or not open_commitments:
                ref = f"{{name}}-c{{n}}"
                batch.append({{**base, "type": "CommitmentRecorded", "commitment": ref, "party": "partner",
                              "description": "Resume returns", "due_on": "2021-12-31"}})
                open_commitments.append((partner, ref))
            else:
                partner, ref = open_commitments.pop(0)
                batch.append({{**base, "partner": partner, "type": "CommitmentFulfilled", "commitment": ref}})
        try:
            receipt = app.submit([parse(fact) for fact in batch], name)
        except Rejected as error:
            # A commitment this writer recorded was lost with a primary
            # (asynchronous replication): nothing stored, nothing acknowledged.
            print(f"rejected: {{error}}", flush=True)
            continue
        facts.write("".join(json.dumps(fact) + "\\n" for fact in batch))
        facts.flush()
        out.write("".join(f"{{fact['id']}}\\n" for fact in batch))
        out.flush()
        os.fsync(out.fileno())
app.close()
"""

FOLLOWER = """
import os, sys, time
from workflows.application.compose import build
from workflows.config.settings import Settings
app = build(Settings(db=sys.argv[1]))
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline and not os.path.exists(sys.argv[3]):
    app.refresh()
    time.sleep(0.2)
app.close()
"""


class Crew:
    """The processes at work on one store, and how to stop or kill them."""

    def __init__(self, db: str, folder: Path) -> None:
        self.db, self.folder = db, folder
        self.env = {**os.environ, "ACCORD_OUTBOX": str(folder / "outbox"), "ACCORD_TICK": "1"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_file = str(folder / "stop")

    def start(self, name: str, seconds: float) -> None:
        if name.startswith("writer"):
            script = WRITER.format(partners=PARTNERS)
            args = [sys.executable, "-c", script, self.db, name, str(seconds), str(self.report(name)), self.stop_file]
        elif name == "follower":
            args = [sys.executable, "-c", FOLLOWER, self.db, str(seconds), self.stop_file]
        else:  # a scheduler (any number may run: one acts a tick)
            args = [ACCORD, "--db", self.db, "scheduler", "run"]
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.processes[name] = subprocess.Popen(args, env=self.env, stdout=log, stderr=log)

    def report(self, name: str) -> Path:
        return self.folder / f"{name}.acknowledged"

    def acknowledged(self) -> set[str]:
        ids: set[str] = set()
        for path in self.folder.glob("*.acknowledged"):
            ids.update(line for line in path.read_text().splitlines() if line)
        return ids

    def wait(self) -> None:
        for name, process in self.processes.items():
            if name.startswith("scheduler"):
                process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=120) in (0, -signal.SIGKILL), (self.folder / f"{name}.log").read_text()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_early(self) -> None:
        """Have the writers and the follower stop after what they are doing."""
        Path(self.stop_file).touch()

    def kill(self) -> None:
        """Kill whatever still runs, after a test that failed."""
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def crew(db: str, tmp_path: Path) -> Iterator[Crew]:
    open_partners(db, *PARTNERS)
    team = Crew(db, tmp_path)
    yield team
    team.kill()


def start_all(crew: Crew, seconds: float = SECONDS, schedulers: int = 1) -> None:
    """Eight writers, the follower and the schedulers (named scheduler,
    scheduler-2, ...)."""
    for number in range(8):
        crew.start(f"writer-{number}", seconds)
    for number in range(1, schedulers + 1):
        crew.start("scheduler" if number == 1 else f"scheduler-{number}", seconds)
    crew.start("follower", seconds)


def assert_sound(crew: Crew, in_flight: int = 0, *, lost: bool = False) -> None:
    """Nothing acknowledged lost; every implied task once; projections and
    chain sound; no batch rejected, unless facts were `lost` (with a primary)."""
    db = crew.db
    if not lost:
        for name in crew.processes:
            assert "rejected: " not in crew.log(name), crew.log(name)
    app = build(Settings(db=db))
    try:
        app.refresh()
        stored_ids = {event.key for event in app.events_of_types(_fact_types()) if "-" in event.key}
        acknowledged = crew.acknowledged()
        assert acknowledged <= stored_ids, f"{len(acknowledged - stored_ids)} acknowledged facts are missing"
        assert len(stored_ids - acknowledged) <= in_flight
        assert_every_task_once(app)
    finally:
        app.close()
    verified = accord(db, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def assert_every_task_once(app: Accord) -> None:
    """Every task the rules imply of the facts in the log is in the task
    list once, and no other (none of a fact the log does not hold)."""
    implied = set()
    for event in app.events_of_types(_fact_types()):
        for rule in app.rules.triggered_by(type(event).__name__):
            if applies(rule, event):
                implied.add((rule.name, source_of(event)))
    tasks = app.views.db.query(f"SELECT rule, source FROM {app.views.table('tasks')}")
    opened = [(row["rule"], row["source"]) for row in tasks]
    assert len(opened) == len(set(opened)), "a task was opened twice"
    assert set(opened) == implied


def _fact_types() -> list[type]:
    from domain.vocabulary import VOCABULARY

    return [model.event_class for model in VOCABULARY.values()]


def test_eight_writers_a_scheduler_and_a_follower_at_once_lose_and_double_nothing(crew: Crew) -> None:
    start_all(crew)
    crew.wait()

    assert len(crew.acknowledged()) > 100, "the writers hardly wrote"
    assert_sound(crew)
    assert "stopped" in crew.log("scheduler")
    assert stored_facts(crew.db) >= len(crew.acknowledged())


def test_any_of_them_killed_at_random_moments_and_restarted_loses_and_doubles_nothing(crew: Crew) -> None:
    rng = random.Random(7)
    start_all(crew)
    deadline = time.monotonic() + SECONDS
    kills = 0
    while time.monotonic() < deadline - 2:
        time.sleep(rng.uniform(0.5, 2.0))
        name = rng.choice(sorted(crew.processes))
        process = crew.processes[name]
        if process.poll() is not None:
            continue
        process.kill()
        process.wait()
        kills += 1
        crew.start(name, max(1.0, deadline - time.monotonic()))
    crew.wait()

    assert kills >= 3
    # A writer killed mid-batch may have stored a batch it never acknowledged.
    assert_sound(crew, in_flight=5 * kills)
