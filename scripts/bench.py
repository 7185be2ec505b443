"""Accord's benchmark: a synthetic portfolio on SQLite, each figure printed
beside the layer beneath it measured in the same run.

    scripts/bench                 # 1,000,000 events over 200 partnerships
    scripts/bench --quick         # 100,000 events, about a minute
    scripts/bench --events 300000 --keep /tmp/bench.db

Figures vary run to run on a shared machine: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pycountry
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from domain.vocabulary import parse
from workflows.audit import verify
from workflows.cli.tasks import SHOWN
from workflows.compose import build
from workflows.scheduler.work import Watch
from workflows.settings import Schedule, Settings

CHUNK = 50_000
# Any ISO 3166-1 codes will do for a synthetic portfolio.
PARTNER_CODES = sorted(country.alpha_2 for country in pycountry.countries)


@dataclass
class Row:
    what: str
    accord: str
    beneath: str
    ratio: str = ""


def synthetic(partners: list[str], count: int, seed: int, prefix: str = "") -> Iterator[dict[str, Any]]:
    """Deterministic facts: partnerships opened, then a realistic mix where most
    facts (notes, arrivals figures) open no task or one."""
    rng = random.Random(seed)
    for code in partners:
        yield {"type": "PartnershipOpened", "partner": code, "occurred_on": "2015-01-01", "id": f"open-{code}"}
    funding: dict[str, list[str]] = {code: [] for code in partners}
    for n in range(count - len(partners)):
        code = partners[n % len(partners)]
        day = f"20{16 + n % 9}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        roll = rng.random()
        base = {"partner": code, "occurred_on": day, "id": f"{prefix}e{n}"}
        if roll < 0.55:
            yield {**base, "type": "PartnershipNoteAdded", "text": f"Note {n} on {code}"}
        elif roll < 0.70:
            yield {
                **base,
                "type": "ArrivalsReported",
                "period_start": day[:7],
                "period_end": day[:7],
                "route": "Central Mediterranean",
                "count": rng.randint(10, 5000),
                "source": "UNHCR",
            }
        elif roll < 0.85:
            yield {**base, "type": "VisitHeld", "visitors": ["Commissioner"], "pillars": ["migration_governance"]}
        elif roll < 0.93 or not funding[code]:
            ref = f"{prefix}f{n}"
            funding[code].append(ref)
            yield {**base, "type": "FundingCommitted", "funding": ref, "instrument": "NDICI", "amount": "EUR 1000000"}
        else:
            yield {**base, "type": "FundingDisbursed", "funding": rng.choice(funding[code]), "amount": "EUR 10"}


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds else "-"


# The layers beneath, measured in the same run.


class Note(Aggregate):
    """The bare library: a plain aggregate and a plain event, default mapper."""

    @event("Opened")
    def __init__(self, code: str) -> None:
        self.code = code

    @event("NoteAdded")
    def add(self, text: str) -> None:
        pass

    @staticmethod
    def create_id(code: str) -> Any:
        return uuid5(NAMESPACE_URL, code)


def bare_library_save(path: str, partners: list[str], count: int) -> float:
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path})
    per = count // len(partners)
    aggregates = [Note(code) for code in partners]
    start = time.perf_counter()
    for chunk_start in range(0, per, max(1, CHUNK // len(partners))):
        for aggregate in aggregates:
            for n in range(chunk_start, min(per, chunk_start + CHUNK // len(partners))):
                aggregate.add(text=f"Note {n}")
        app.save(*aggregates)
    seconds = time.perf_counter() - start
    app.close()
    return seconds


def bare_library_read(path: str) -> tuple[float, int]:
    """The bare library (its own mapper and JSON transcoder) reading and
    decoding Accord's whole notification log in pages."""
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path, "CREATE_TABLE": "n"})
    start, position, count = time.perf_counter(), 1, 0
    while True:
        page = app.recorder.select_notifications(position, 1000)
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        if len(page) < 1000:
            break
        position = page[-1].id + 1
    seconds = time.perf_counter() - start
    app.close()
    return seconds, count


def raw_select(path: str, sql: str, params: tuple[Any, ...]) -> tuple[float, int]:
    """sqlite3 alone: the rows of a query, fetched as tuples."""
    connection = sqlite3.connect(path)
    start = time.perf_counter()
    rows = connection.execute(sql, params).fetchall()
    seconds = time.perf_counter() - start
    connection.close()
    return seconds, len(rows)


def raw_sqlite(path: str, count: int, size: int) -> float:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE events (id TEXT, version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (id, version))"
    )
    payload = b"x" * size
    start = time.perf_counter()
    for chunk_start in range(0, count, CHUNK):
        rows = [(f"a{n % 200}", n, "topic", payload) for n in range(chunk_start, min(count, chunk_start + CHUNK))]
        with connection:
            connection.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


def accord_command(db: str, *args: str) -> float:
    accord = Path(sys.executable).with_name("accord")
    start = time.perf_counter()
    subprocess.run([str(accord), "--db", db, *args], check=True, capture_output=True)
    return time.perf_counter() - start


def rebuild_in_child(db: str) -> tuple[float, int, float]:
    """Rebuild every view in a fresh process: seconds, positions covered, peak MiB."""
    code = (
        "import json, time; from workflows.compose import build; from workflows.settings import Settings\n"
        f"app = build(Settings(db={db!r})); start = time.perf_counter()\n"
        "statuses = app.views.rebuild(list(app.views.views))\n"
        # VmHWM, not ru_maxrss: a child inherits its parent's ru_maxrss at fork.
        "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "print(json.dumps([time.perf_counter() - start, max(s.position for s in statuses), peak / 1024]))"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    seconds, covered, peak = json.loads(output)
    return float(seconds), int(covered), float(peak)


def scheduler_rows(folder: Path, partners: list[str], count: int, say: Callable[[str], None]) -> list[Row]:
    """A store with `count` open tasks due over two months around today: a
    first tick that catches up (reminders and escalations for a month of due
    dates), a tick with nothing new, and the next day's tick."""
    db = str(folder / "scheduler.db")
    say(f"scheduler: {count:,} open tasks due around today...")
    app = build(Settings(db=db), init=True)
    today = date.today()
    facts = [{"type": "PartnershipOpened", "partner": code, "occurred_on": "2015-01-01"} for code in partners]
    # A visit opens a follow-up due 30 days later: visits over the last 60
    # days give tasks due from a month ago to a month ahead.
    facts += [
        {
            "type": "VisitHeld",
            "partner": partners[n % len(partners)],
            "occurred_on": (today - timedelta(days=n % 60)).isoformat(),
            "visitors": [f"Envoy {n}"],
        }
        for n in range(count)
    ]
    for start in range(0, len(facts), CHUNK):
        app.submit([parse(fact) for fact in facts[start : start + CHUNK]], "bench")
    app.refresh()
    watch = Watch(app, Schedule(outbox=str(folder / "outbox")))
    now = datetime.now(UTC)
    rows = []
    seconds, tick = timed(lambda: watch.tick(now))
    # Its events reach the task list at the next refresh: count that in.
    seconds += timed(app.refresh)[0]
    actions = len(tick.done)
    rows.append(
        Row(
            f"scheduler: first tick over {count:,} open tasks (catch-up: {actions:,} reminders, escalations, "
            "digests), and the task list catching up on them",
            f"{seconds:.2f} s",
            f"{rate(actions, seconds)} actions",
        )
    )
    seconds, tick = timed(lambda: watch.tick(now))
    rows.append(
        Row(f"scheduler: a tick over {count:,} open tasks with nothing new", f"{seconds:.2f} s", "target < 1 s")
    )
    seconds, tick = timed(lambda: watch.tick(now + timedelta(days=1)))
    seconds += timed(app.refresh)[0]
    rows.append(
        Row(
            f"scheduler: the next day's tick ({len(tick.done):,} actions), and the task list catching up",
            f"{seconds:.2f} s",
            f"{rate(len(tick.done), seconds)} actions",
        )
    )
    app.close()
    return rows


def portfolio_rows(
    db: str, folder: Path, partners: list[str], count: int, seed: int, say: Callable[[str], None]
) -> list[Row]:
    """Submission, the first catch-up, task queries, catch-up and rebuild."""
    rows: list[Row] = []
    say(f"submitting {count:,} synthetic events over {len(partners)} partnerships in transactions of {CHUNK:,}...")
    app = build(Settings(db=db), init=True)
    submit_seconds = 0.0
    facts = synthetic(partners, count, seed)
    while batch := [parse(fact) for fact in itertools.islice(facts, CHUNK)]:
        seconds, _ = timed(lambda batch=batch: app.submit(batch, "bench"))
        submit_seconds += seconds
    bare_seconds = bare_library_save(str(folder / "bare.db"), partners, count)
    raw_seconds = raw_sqlite(str(folder / "raw.db"), count, 300)
    rows.append(
        Row(
            "submit (validated, rules checked, atomic)",
            rate(count, submit_seconds),
            f"library save {rate(count, bare_seconds)}; sqlite3 executemany {rate(count, raw_seconds)}",
            f"{bare_seconds / submit_seconds:.2f}x of library",
        )
    )

    say("following the log (tasks) and catching the views up...")
    follow_seconds, _ = timed(app.refresh)
    head = app.views.db.head()
    rows.append(Row("first catch-up: tasks opened and all views", f"{follow_seconds:.1f} s", f"{head:,} log positions"))
    app.close()

    today = time.strftime("%Y-%m-%d")
    seconds = min(accord_command(db, "tasks", "--status", "overdue") for _ in range(3))
    rows.append(
        Row(
            f"accord tasks --status overdue: the first {SHOWN} and the count (wall clock, best of 3)",
            f"{seconds:.2f} s",
            "target < 0.5 s",
        )
    )
    app = build(Settings(db=db))
    table = app.views.table("tasks")
    app.close()
    raw_seconds, overdue = raw_select(
        db, f"SELECT * FROM {table} WHERE status = 'open' AND due_on < ? ORDER BY due_on, task_id", (today,)
    )
    seconds = min(accord_command(db, "tasks", "--status", "overdue", "--json") for _ in range(3))
    rows.append(
        Row(
            f"accord tasks --status overdue --json: all {overdue:,} (wall clock, best of 3)",
            f"{seconds:.2f} s",
            f"sqlite3 fetching the same rows {raw_seconds:.2f} s",
        )
    )

    app = build(Settings(db=db))
    more = [parse(fact) for fact in synthetic(partners, 10_000 + len(partners), 7, prefix="more-")]
    app.submit(more[len(partners) :], "bench")
    seconds, _ = timed(app.refresh)
    rows.append(Row("catch-up after 10,000 new events", f"{seconds:.2f} s", "target < 2 s"))
    app.close()

    read_seconds, read_count = bare_library_read(db)
    rebuild_seconds, covered, peak = rebuild_in_child(db)
    rows.append(
        Row(
            "rebuild of every view (positions/s)",
            rate(covered, rebuild_seconds),
            f"bare library reading and decoding the same log {rate(read_count, read_seconds)}",
            f"{(covered / rebuild_seconds) / (read_count / read_seconds):.2f}x (target >= 0.33x)",
        )
    )
    rows.append(Row("peak memory of the rebuild", f"{peak:,.0f} MiB", "target < 300 MB"))

    app = build(Settings(db=db))
    seconds, verdict = timed(lambda: verify(app, views=False))
    rows.append(
        Row(
            "audit verify: the chain re-computed over every record",
            rate(verdict.records, seconds),
            f"bare library reading and decoding the same log {rate(read_count, read_seconds)}",
            f"{(verdict.records / seconds) / (read_count / read_seconds):.2f}x",
        )
    )
    seconds, verdict = timed(lambda: verify(app))
    assert verdict.sound, verdict
    rows.append(
        Row(
            "audit verify: the chain, and every projection compared with a fresh replay",
            f"{seconds:.1f} s",
            f"{verdict.records:,} records",
        )
    )
    app.close()

    return rows


def startup_rows(folder: Path, say: Callable[[str], None]) -> list[Row]:
    """Whole-process latency of the commands people type, beside the
    interpreter starting and doing nothing, best of 5, on the demo's store."""
    db = str(folder / "demo.db")
    say("start-up: the demo's store, then each command five times...")
    accord_command(db, "demo")
    accord_command(db, "tasks")  # caught up

    def best(command: list[str]) -> float:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            runs.append(time.perf_counter() - start)
        return min(runs)

    accord = str(Path(sys.executable).with_name("accord"))
    bare = best([sys.executable, "-c", "pass"])
    notes = iter(range(1_000_000))
    measured = [
        ("accord --help", [accord, "--help"], 0.1),
        ("accord tasks (a caught-up store)", [accord, "--db", db, "tasks"], 0.2),
        ("accord submit, one event", None, 0.2),
    ]
    rows = []
    for what, command, allowed in measured:
        if command is None:
            seconds = min(
                accord_command(
                    db,
                    "submit",
                    "PartnershipNoteAdded",
                    "--partner",
                    "TN",
                    "--occurred-on",
                    "2021-06-06",
                    "--text",
                    f"bench note {next(notes)}",
                )
                for _ in range(5)
            )
        else:
            seconds = best(command)
        rows.append(
            Row(
                f"{what} (wall clock, best of 5)",
                f"{seconds:.2f} s",
                f"python -c pass {bare:.2f} s",
                f"+{seconds - bare:.2f} s (target +{allowed:.1f} s)",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the synthetic portfolio")
    parser.add_argument("--partners", type=int, default=200, help="partnerships")
    parser.add_argument("--quick", action="store_true", help="100,000 events: about a minute")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", help="keep the store at this path (default: a temporary folder)")
    parser.add_argument(
        "--part", choices=["all", "portfolio", "scheduler", "startup"], default="all", help="measure only one part"
    )
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file as JSON")
    args = parser.parse_args()
    count = 100_000 if args.quick else args.events
    partners = PARTNER_CODES[: args.partners]
    folder = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    db = args.keep or str(folder / "accord.db")
    rows: list[Row] = []
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731

    if args.part in ("all", "portfolio"):
        rows += portfolio_rows(db, folder, partners, count, args.seed, say)
    if args.part in ("all", "scheduler"):
        rows += scheduler_rows(folder, partners, 100_000 if not args.quick else 20_000, say)
    if args.part in ("all", "startup"):
        rows += startup_rows(folder, say)

    peak_here = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nAccord benchmark: {count:,} events, {len(partners)} partnerships, SQLite, {os.cpu_count()} cores")
    print(f"(peak memory of the benchmark process itself: {peak_here:,.0f} MiB)\n")
    print("| what | Accord | the layer beneath | ratio |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.what} | {row.accord} | {row.beneath} | {row.ratio} |")
    print(f"\nstore: {db}" if args.keep else "")
    if args.json_path:
        figures = {"events": count, "partnerships": len(partners), "cores": os.cpu_count(), "rows": rows}
        Path(args.json_path).write_text(json.dumps(figures, default=lambda row: row.__dict__, indent=2) + "\n")


if __name__ == "__main__":
    main()
