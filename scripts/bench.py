"""Accord's benchmark: a synthetic portfolio on SQLite (and PostgreSQL when
a server is given), each figure printed beside the layer beneath it measured
in the same run, with the peak memory of the process that did it.

    scripts/bench                 # 1,000,000 events over 200 partnerships
    scripts/bench --quick         # 100,000 events, about a minute
    scripts/bench --postgres postgresql://postgres@127.0.0.1:5432/postgres
    scripts/bench --part startup --json startup.json
    scripts/bench --quick --part signing    # submission signed beside unsigned
    scripts/bench --part iati               # a 50 MB IATI file imported, beside lxml parsing it
    scripts/bench --quick --part console    # /tasks beside sign-in floods and replays

Figures vary run to run on a shared machine: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
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
from urllib.parse import urlsplit, urlunsplit
from uuid import NAMESPACE_URL, uuid5

import pycountry
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from workflows.cli.tasks import SHOWN
from workflows.projections.search.tables import SPAN_BITS
from workflows.store.persistence import is_postgres, library_settings

CHUNK = 50_000
# Any ISO 3166-1 codes will do for a synthetic portfolio.
PARTNER_CODES = sorted(country.alpha_2 for country in pycountry.countries)


@dataclass
class Row:
    store: str
    what: str
    accord: str
    beneath: str
    ratio: str = ""
    memory: str = ""  # peak resident memory of the process measured


def synthetic(partners: list[str], count: int, seed: int, prefix: str = "") -> Iterator[dict[str, Any]]:
    """Deterministic facts: partnerships opened, then a realistic mix where most
    facts (notes, arrivals figures) open no task or one."""
    rng = random.Random(seed)
    for code in partners:
        yield {"type": "PartnershipOpened", "partner": code, "occurred_on": "2015-01-01", "id": f"open-{code}"}
    funding: dict[str, list[tuple[str, str]]] = {code: [] for code in partners}  # (ref, committed on)
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
            funding[code].append((ref, day))
            yield {**base, "type": "FundingCommitted", "funding": ref, "instrument": "NDICI", "amount": "EUR 1000000"}
        else:
            # Paid on the day, or on the day of its commitment if that is later.
            ref, committed_on = rng.choice(funding[code])
            paid = {**base, "occurred_on": max(day, committed_on)}
            yield {**paid, "type": "FundingDisbursed", "funding": ref, "amount": "EUR 10"}


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds else "-"


# Every figure of Accord is a whole process of its own, so that its peak
# memory is its own: the process writes its VmHWM (ru_maxrss would include
# the bench's own memory, inherited at the fork) to BENCH_PEAK on exit.
LAUNCH = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    with open(os.environ["BENCH_PEAK"], "w") as out:
        out.write(str(kib))
atexit.register(_peak)
"""
CLI = LAUNCH + "from workflows.cli import main\nsys.argv[0] = 'accord'\nmain()\n"


@dataclass
class Measured:
    seconds: float
    peak: float  # MiB
    output: str

    @property
    def memory(self) -> str:
        return f"{self.peak:,.0f} MiB"


def measured(code: str, *args: str, env: dict[str, str] | None = None) -> Measured:
    """Run `code` in a fresh interpreter (with `env` beside the environment):
    wall seconds, peak memory, output."""
    with tempfile.NamedTemporaryFile(prefix="bench-peak-") as peak:
        start = time.perf_counter()
        process = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {}), "BENCH_PEAK": peak.name},
        )
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:4])}... failed:\n{process.stderr[-3000:]}")
        return Measured(seconds, int(Path(peak.name).read_text()) / 1024, process.stdout)


def chromium_render(page: Path, folder: Path) -> tuple[float, float] | None:
    """Seconds headless Chromium takes to lay out and paint `page` to a
    screenshot, and to do the same with an empty page (its start-up), in one
    run; None without Chromium."""
    browser = shutil.which("chromium")
    if browser is None:
        return None
    empty = folder / "empty.html"
    empty.write_text("<!DOCTYPE html><title>empty</title>")

    def seconds(target: Path) -> float:
        start = time.perf_counter()
        subprocess.run(
            [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             f"--user-data-dir={folder / 'chromium'}", "--window-size=1280,2000",
             f"--screenshot={folder / 'shot.png'}", target.as_uri()],
            capture_output=True, check=False, timeout=600,
        )  # fmt: skip
        return time.perf_counter() - start

    seconds(empty)  # a first start fills the profile folder
    return min(seconds(page) for _ in range(2)), min(seconds(empty) for _ in range(2))


def accord(db: str, *args: str, env: dict[str, str] | None = None) -> Measured:
    """An accord command, as a whole process."""
    return measured(CLI, "--db", db, *args, env=env)


def in_child(body: str, db: str, *args: str) -> tuple[dict[str, Any], Measured]:
    """Python using Accord over `db` in a fresh process; `body` sets `result`
    (a dict, printed as JSON) and may time its own part."""
    code = (
        LAUNCH
        + "import json, time\n"
        + "from workflows.application.compose import build\nfrom workflows.config.settings import Settings\n"
        + "db, args = sys.argv[1], sys.argv[2:]\napp = build(Settings(db=db))\nresult = {}\n"
        + body
        + "\napp.close()\nprint(json.dumps(result))\n"
    )
    run = measured(code, db, *args)
    return json.loads(run.output.splitlines()[-1]), run


def best(runs: int, action: Callable[[], Measured]) -> Measured:
    return min((action() for _ in range(runs)), key=lambda run: run.seconds)


# The stores: SQLite files, or fresh databases on a PostgreSQL server.


class Stores:
    """Where each store of a run lives; PostgreSQL databases are dropped at the end."""

    def __init__(self, folder: Path, postgres: str | None) -> None:
        self.folder, self.postgres = folder, postgres
        self.created: list[str] = []

    def new(self, kind: str, name: str) -> str:
        if kind == "sqlite":
            return str(self.folder / f"{name}.db")
        assert self.postgres
        import psycopg

        database = f"accord_bench_{os.getpid()}_{name}"
        with psycopg.connect(self.postgres, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {database}")
        self.created.append(database)
        parts = urlsplit(self.postgres)
        return urlunsplit(parts._replace(path=f"/{database}"))

    def drop_all(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(self.postgres, autocommit=True) as conn:  # type: ignore[arg-type]
            for database in self.created:
                conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def library_env(db: str) -> dict[str, str]:
    """The bare library's settings for a store: Accord's connection settings,
    less Accord's own recorder and SQLite connections."""
    settings = library_settings(db, create_tables=True)
    settings.pop("PROCESS_RECORDER_TOPIC")
    if not is_postgres(db):
        settings["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    return settings


# The layers beneath, measured in the same run.


class Partner(Aggregate):
    """The bare library: a plain aggregate per partnership, a plain event
    carrying the submitted fact, the library's own mapper and transcoder."""

    @event("Opened")
    def __init__(self, code: str) -> None:
        self.code = code

    @event("FactRecorded")
    def record(self, fact: dict[str, Any]) -> None:
        pass

    @staticmethod
    def create_id(code: str) -> Any:
        return uuid5(NAMESPACE_URL, code)


class Bare(Application[Any]):
    # Named as Accord's application, so that on PostgreSQL it reads Accord's tables.
    name = "Accord"


class BareSave:
    """The library saving the same facts, each an event on its partnership's
    aggregate, a transaction per CHUNK, aggregates kept in memory. Chunk by
    chunk, each beside the same file's submission: a slow spell of a shared
    machine then slows both sides of the ratio alike."""

    def __init__(self, db: str) -> None:
        self.app = Bare(env=library_env(db))
        self.aggregates: dict[str, Partner] = {}

    def save(self, chunk: list[dict[str, Any]]) -> float:
        start = time.perf_counter()
        for fact in chunk:
            code = fact["partner"]
            if code not in self.aggregates:
                self.aggregates[code] = Partner(code)
            else:
                self.aggregates[code].record(fact=fact)
        self.app.save(*self.aggregates.values())
        return time.perf_counter() - start

    def close(self) -> None:
        self.app.close()


def bare_library_read(db: str) -> tuple[float, int]:
    """The bare library (its own mapper and JSON transcoder) reading and
    decoding Accord's whole notification log in pages."""
    app = Bare(env={**library_env(db), "CREATE_TABLE": "n"})
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


def driver(db: str) -> Any:
    """A connection of the database's own driver (sqlite3 or psycopg)."""
    if is_postgres(db):
        import psycopg

        return psycopg.connect(db.split("?")[0], autocommit=True)
    return sqlite3.connect(db, isolation_level=None)


def raw_select(db: str, sql: str, params: tuple[Any, ...]) -> float:
    """The driver alone: the rows of a query, fetched as tuples."""
    connection = driver(db)
    start = time.perf_counter()
    connection.execute(sql.replace("?", "%s") if is_postgres(db) else sql, params).fetchall()
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


def raw_insert(db: str, count: int, size: int) -> float:
    """The driver alone: executemany of rows the size of Accord's, in transactions of CHUNK."""
    connection = driver(db)
    postgres = is_postgres(db)
    if not postgres:
        connection.execute("PRAGMA journal_mode=WAL")
    blob = "BYTEA" if postgres else "BLOB"
    connection.execute(
        f"CREATE TABLE raw (id TEXT, version INTEGER, topic TEXT, state {blob}, PRIMARY KEY (id, version))"
    )
    insert = "INSERT INTO raw VALUES (%s, %s, %s, %s)" if postgres else "INSERT INTO raw VALUES (?, ?, ?, ?)"
    payload = b"x" * size
    start = time.perf_counter()
    for chunk_start in range(0, count, CHUNK):
        rows = [(f"a{n % 200}", n, "topic", payload) for n in range(chunk_start, min(count, chunk_start + CHUNK))]
        if postgres:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(insert, rows)
        else:
            connection.execute("BEGIN")
            connection.executemany(insert, rows)
            connection.execute("COMMIT")
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


def write_files(folder: Path, facts: Iterator[dict[str, Any]], prefix: str) -> list[Path]:
    """Facts as files of CHUNK JSON lines, as people would hand them to `submit --file`."""
    paths: list[Path] = []
    for number in itertools.count():
        lines = [json.dumps(fact) + "\n" for fact in itertools.islice(facts, CHUNK)]
        if not lines:
            return paths
        path = folder / f"{prefix}-{number:03d}.jsonl"
        path.write_text("".join(lines))
        paths.append(path)
    return paths


# An IATI file of many activities, as `accord import iati` reads them.

IATI_PARTNERS = ["TN", "MA", "EG", "JO", "LB", "NE", "SN", "NG"]


def iati_activity(n: int, rng: random.Random) -> str:
    """One activity as publishers write them (a reporting org, narratives,
    participating orgs, sectors, a budget), funding one partner country in
    tranches: a commitment, a top-up, disbursements on them, a decommitment
    of part of what is left, and an expenditure Accord leaves out; listed
    out of date order, as publishers do."""
    partner = IATI_PARTNERS[n % len(IATI_PARTNERS)]
    year = 2015 + n % 8
    first, second = rng.randrange(10, 50) * 100_000, rng.randrange(2, 20) * 100_000
    paid = [rng.randrange(1, 5) * first // 20 for _ in range(4)]  # never more than committed
    left = first + second - sum(paid)
    movements = [
        ("3", f"{year}-06-30", paid[0], "First payment"),
        ("2", f"{year}-02-01", first, "First tranche"),
        ("3", f"{year + 1}-01-31", paid[1], "Second payment"),
        ("2", f"{year + 1}-03-15", second, "Second tranche, a top-up"),
        ("3", f"{year + 1}-09-30", paid[2], "Third payment"),
        ("4", f"{year + 1}-10-31", paid[2] // 2, "Expenditure by the implementing partner"),
        ("3", f"{year + 2}-04-30", paid[3], "Final payment"),
        ("2", f"{year + 2}-12-31", -max(left // 2, 0), "Funds not needed, decommitted"),
    ]
    transactions = "".join(
        f"""  <transaction ref="BENCH-{n}-{index}">
   <transaction-type code="{code}"/>
   <transaction-date iso-date="{day}"/>
   <value currency="EUR" value-date="{day}">{amount}</value>
   <description>
    <narrative xml:lang="en">{what} of activity {n}</narrative>
   </description>
   <provider-org ref="XI-BENCH-1" provider-activity-id="XI-BENCH-1-{n}" type="10">
    <narrative>Bench Agency for International Cooperation</narrative>
   </provider-org>
   <receiver-org ref="XI-BENCH-IP-{n % 40}" receiver-activity-id="XI-BENCH-IP-{n % 40}-{n}" type="21">
    <narrative>Implementing partner {n % 40}</narrative>
   </receiver-org>
   <flow-type code="10"/>
   <finance-type code="110"/>
   <aid-type code="C01" vocabulary="1"/>
   <tied-status code="5"/>
  </transaction>
"""
        for index, (code, day, amount, what) in enumerate(movements)
        if amount
    )
    return f""" <iati-activity last-updated-datetime="2023-01-10T08:00:00Z" xml:lang="en" default-currency="EUR" \
humanitarian="0" hierarchy="2">
  <iati-identifier>XI-BENCH-1-{partner}-{n:06d}</iati-identifier>
  <reporting-org ref="XI-BENCH-1" type="10">
   <narrative>Bench Agency for International Cooperation</narrative>
  </reporting-org>
  <title>
   <narrative xml:lang="en">Migration partnership with {partner}: labour mobility and protection, action {n}</narrative>
  </title>
  <description type="1">
   <narrative xml:lang="en">Supports safe, orderly and regular migration with {partner}: skills partnerships, \
protection of migrants in transit, return and reintegration, and the capacity of the national authorities to \
manage migration. Committed in tranches; the second tops up the first. Action {n}.</narrative>
  </description>
  <participating-org ref="XI-BENCH-1" role="1" type="10">
   <narrative>Bench Agency for International Cooperation</narrative>
  </participating-org>
  <participating-org ref="XI-BENCH-IP-{n % 40}" role="4" type="21">
   <narrative>Implementing partner {n % 40}</narrative>
  </participating-org>
  <activity-status code="2"/>
  <activity-date iso-date="{year}-02-01" type="2"/>
  <activity-date iso-date="{year + 2}-12-31" type="3"/>
  <contact-info type="1">
   <organisation><narrative>Bench Agency for International Cooperation</narrative></organisation>
   <email>iati@bench.example</email>
  </contact-info>
  <recipient-country code="{partner}" percentage="100"/>
  <sector vocabulary="1" code="15190" percentage="80"/>
  <sector vocabulary="1" code="16010" percentage="20"/>
  <default-flow-type code="10"/>
  <default-finance-type code="110"/>
  <default-aid-type code="C01" vocabulary="1"/>
  <budget type="1" status="2">
   <period-start iso-date="{year}-01-01"/>
   <period-end iso-date="{year}-12-31"/>
   <value currency="EUR" value-date="{year}-01-01">{first}</value>
  </budget>
{transactions} </iati-activity>
"""


def iati_file(path: Path, size: int, seed: int) -> tuple[int, int]:
    """An IATI 2.03 activity file of about `size` bytes (iati_activity, one
    after another), written as it is made; how many activities and
    transactions it holds."""
    rng = random.Random(seed)
    activities = transactions = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<iati-activities version="2.03" generated-datetime="2023-01-10T08:00:00Z">\n')
        written = 0
        while written < size:
            activity = iati_activity(activities, rng)
            written += out.write(activity)
            activities += 1
            transactions += activity.count("<transaction ")
        out.write("</iati-activities>\n")
    return activities, transactions


REFRESH = (
    "start = time.perf_counter(); app.refresh()\nresult.update(s=time.perf_counter() - start, head=app.views.db.head())"
)


def portfolio_rows(bench: Bench, kind: str) -> list[Row]:
    """Submission, the first catch-up, task queries, catch-up, rebuild and verify."""
    count, partners, say = bench.count, bench.partners, bench.say
    store = STORE_NAMES[kind]
    db = bench.stores.new(kind, "portfolio")
    rows: list[Row] = []
    files = write_files(bench.folder, synthetic(partners, count, bench.seed), f"portfolio-{kind}")
    say(f"{store}: accord submit --file, {len(files)} files of {CHUNK:,} lines ({count:,} events)...")
    accord(db, "init")
    bare, facts = BareSave(bench.stores.new(kind, "bare")), synthetic(partners, count, bench.seed)
    runs, bare_seconds = [], 0.0
    for path in files:
        runs.append(accord(db, "submit", "--file", str(path)))
        bare_seconds += bare.save(list(itertools.islice(facts, CHUNK)))
    bare.close()
    submit_seconds = sum(run.seconds for run in runs)
    raw_seconds = raw_insert(bench.stores.new(kind, "raw"), count, 300)
    rows.append(
        Row(
            store,
            f"accord submit --file: {count:,} events in files of {CHUNK:,} lines, each a whole process "
            "(read, validated, rules checked, stored atomically)",
            rate(count, submit_seconds),
            f"library save {rate(count, bare_seconds)}; {DRIVERS[kind]} executemany {rate(count, raw_seconds)}",
            f"{bare_seconds / submit_seconds:.2f}x of library (target >= 0.5x)",
            f"{max(run.peak for run in runs):,.0f} MiB",
        )
    )

    say(f"{store}: the first catch-up (tasks opened, every view)...")
    result, run = in_child(REFRESH, db)
    rows.append(
        Row(
            store,
            "first catch-up of the whole log: tasks opened, every view",
            f"{result['s']:.1f} s",
            f"{result['head']:,} log positions",
            memory=run.memory,
        )
    )

    say(f"{store}: task queries...")
    run = best(3, lambda: accord(db, "tasks", "--status", "overdue"))
    rows.append(
        Row(
            store,
            f"accord tasks --status overdue: the first {SHOWN} and the count (whole process, best of 3)",
            f"{run.seconds:.2f} s",
            "target < 0.5 s",
            memory=run.memory,
        )
    )
    table, _ = in_child("result['table'] = app.views.table('tasks')", db)
    raw_seconds = raw_select(
        db,
        f"SELECT * FROM {table['table']} WHERE status = 'open' AND due_on < ? ORDER BY due_on, task_id",
        (time.strftime("%Y-%m-%d"),),
    )
    run = accord(db, "tasks", "--status", "overdue", "--json")
    overdue = run.output.count('"task_id"')
    rows.append(
        Row(
            store,
            f"accord tasks --status overdue --json: all {overdue:,} (whole process)",
            f"{run.seconds:.2f} s",
            f"{DRIVERS[kind]} fetching the same rows {raw_seconds:.2f} s",
            memory=run.memory,
        )
    )
    run = accord(db, "report", "portfolio", "--format", "json")
    rows.append(
        Row(
            store,
            "accord report portfolio --format json (whole process)",
            f"{run.seconds:.2f} s",
            "",
            memory=run.memory,
        )
    )

    page = bench.folder / f"portfolio-{kind}.html"
    run = accord(db, "report", "portfolio", "--format", "html", "-o", str(page))
    rows.append(
        Row(
            store,
            "accord report portfolio --format html (whole process), and the page's size",
            f"{run.seconds:.2f} s",
            f"{page.stat().st_size / 1e6:.2f} MB (target < 1 MB)",
            memory=run.memory,
        )
    )
    rendered = chromium_render(page, bench.folder)
    if rendered is not None:
        seconds, blank = rendered
        rows.append(
            Row(
                store,
                "the portfolio page rendered by headless Chromium (to a screenshot, less its start-up)",
                f"{seconds - blank:.2f} s",
                f"an empty page {blank:.2f} s in all (target < 2 s)",
            )
        )

    rows += web_rows(bench, kind, db)

    fresh = itertools.islice(synthetic(partners, 10_000 + len(partners), 7, "more-"), len(partners), None)
    [more] = write_files(bench.folder, fresh, f"more-{kind}")
    accord(db, "submit", "--file", str(more))
    result, run = in_child(REFRESH, db)
    rows.append(
        Row(store, "catch-up after 10,000 new events", f"{result['s']:.2f} s", "target < 2 s", memory=run.memory)
    )

    say(f"{store}: rebuild, and the bare library reading the same log...")
    read_seconds, read_count = bare_library_read(db)
    read_rate = read_count / read_seconds
    result, run = in_child(
        "start = time.perf_counter(); statuses = app.views.rebuild(app.views.names)\n"
        "result.update(s=time.perf_counter() - start, covered=max(s.position for s in statuses))",
        db,
    )
    rebuild_rate = result["covered"] / result["s"]
    rows.append(
        Row(
            store,
            "rebuild of every view (positions/s)",
            rate(result["covered"], result["s"]),
            f"bare library reading and decoding the same log {read_rate:,.0f}/s",
            f"{rebuild_rate / read_rate:.2f}x (target >= 0.33x)",
            run.memory,
        )
    )

    say(f"{store}: audit verify...")
    run = accord(db, "audit", "verify")
    records = int(re.search(r"chain: ([\d,]+) records", run.output)[1].replace(",", ""))  # type: ignore[index]
    took = re.search(r"^took [\d.]+ s: (.*)$", run.output, re.MULTILINE)[1]  # type: ignore[index]
    chain_seconds = float(re.search(r"chain ([\d.]+) s", took)[1])  # type: ignore[index]
    rows.append(
        Row(
            store,
            "accord audit verify, its first pass: the chain re-computed over every record, each fact's key read",
            rate(records, chain_seconds),
            f"bare library reading and decoding the same log {read_rate:,.0f}/s",
            f"{records / chain_seconds / read_rate:.2f}x",
        )
    )
    domain_seconds = float(re.search(r"domain ([\d.]+) s", took)[1])  # type: ignore[index]
    rows.append(
        Row(
            store,
            "accord audit verify, its domain pass: every record decoded, validated and judged on its aggregate "
            "folded in memory",
            rate(records, domain_seconds),
            f"the chain pass {rate(records, chain_seconds)}",
            f"{chain_seconds / domain_seconds:.2f}x" if domain_seconds else "",
        )
    )
    rows.append(
        Row(
            store,
            "accord audit verify: the chain, every projection compared with a fresh replay, every snapshot and key "
            "(whole process)",
            f"{run.seconds:.1f} s",
            f"{records:,} records; {took}",
            memory=run.memory,
        )
    )
    rows += proof_rows(bench, kind, db, records / chain_seconds)
    return rows


def proof_rows(bench: Bench, kind: str, db: str, chain_rate: float) -> list[Row]:
    """A seal (the chain checked and the Merkle tree over every record), a
    proof of the record in the middle, and its check with no store."""
    store = STORE_NAMES[kind]
    bench.say(f"{store}: audit seal, prove and check-proof...")
    seal, proof = bench.folder / f"seal-{kind}.json", bench.folder / f"proof-{kind}.json"
    sealing = accord(db, "audit", "seal", "--json", "-o", str(seal))
    sealed = json.loads(seal.read_text())
    proving = accord(db, "audit", "prove", str(sealed["position"] // 2), "--seal", str(seal), "-o", str(proof))
    checking = measured(CLI, "audit", "check-proof", str(proof), "--seal", str(seal))
    records = sealed["records"]
    return [
        Row(
            store,
            "accord audit seal: the chain checked and the Merkle tree over every record (whole process)",
            f"{sealing.seconds:.1f} s",
            f"{records:,} records; verify's chain pass alone {records / chain_rate:.1f} s",
            memory=sealing.memory,
        ),
        Row(
            store,
            "accord audit prove: one record's audit path in the sealed tree (whole process)",
            f"{proving.seconds:.1f} s",
            f"{records:,} records",
            memory=proving.memory,
        ),
        Row(
            store,
            "accord audit check-proof, with no store (whole process)",
            f"{checking.seconds:.2f} s",
            "",
            memory=checking.memory,
        ),
    ]


TICK = """
from datetime import datetime, timedelta
from workflows.scheduler.work import Watch
from workflows.config.settings import Schedule
at = datetime.fromisoformat(args[1])
start = time.perf_counter()
tick = Watch(app, Schedule(outbox=args[0])).tick(at)
app.refresh()  # the task list catching up on what the tick recorded
result.update(s=time.perf_counter() - start, actions=len(tick.done))
"""


def signing_rows(bench: Bench, kind: str) -> list[Row]:
    """Submission with signing (a store that enrolls keys, ACCORD_KEY an
    enrolled key) beside submission without it, the same files in turn, and
    verify's signatures pass beside its chain pass."""
    from workflows.signing.keys import new_signer, write_key

    store, say = STORE_NAMES[kind], bench.say
    count = min(bench.count, 4 * CHUNK)
    files = write_files(bench.folder, synthetic(bench.partners, count, bench.seed), f"signing-{kind}")
    say(f"{store}: accord submit --file with signing beside without, {len(files)} files of {CHUNK:,} lines...")
    key = bench.folder / f"admin-{kind}.key"
    write_key(new_signer(), key)
    signed, unsigned = bench.stores.new(kind, "signed"), bench.stores.new(kind, "unsigned")
    accord(signed, "init", "--admin-key", str(key))
    accord(unsigned, "init")
    signed_seconds = unsigned_seconds = 0.0
    for path in files:
        # In turn, file by file, so that the machine's moods fall on both alike.
        unsigned_seconds += accord(unsigned, "submit", "--file", str(path)).seconds
        signed_seconds += accord(signed, "submit", "--file", str(path), env={"ACCORD_KEY": str(key)}).seconds
    verified = json.loads(accord(signed, "audit", "verify", "--json", "--no-views").output)
    records, chain_seconds = verified["records"], verified["seconds"]["chain"]
    signatures = verified["signatures"]
    return [
        Row(
            store,
            f"accord submit --file with signing (one Ed25519 signature a file): {count:,} events "
            f"in files of {CHUNK:,} lines",
            rate(count, signed_seconds),
            f"without signing {rate(count, unsigned_seconds)}",
            f"{unsigned_seconds / signed_seconds:.2f}x of unsigned (target >= 0.9x)",
        ),
        Row(
            store,
            f"audit verify, signatures pass: {signatures['checked']:,} signatures over {records:,} records",
            rate(records, signatures["seconds"]),
            f"chain pass {rate(records, chain_seconds)}",
            f"{chain_seconds / signatures['seconds']:.2f}x of the chain pass" if signatures["seconds"] else "",
        ),
    ]


def scheduler_rows(bench: Bench, kind: str, count: int) -> list[Row]:
    """A store with `count` open tasks due over two months around today: a
    first tick that catches up (reminders and escalations for a month of due
    dates), a tick with nothing new, and the next day's tick."""
    store = STORE_NAMES[kind]
    db = bench.stores.new(kind, "scheduler")
    bench.say(f"{store}: scheduler: {count:,} open tasks due around today...")
    today = date.today()
    facts: list[dict[str, Any]] = [
        {"type": "PartnershipOpened", "partner": code, "occurred_on": "2015-01-01"} for code in bench.partners
    ]
    # A visit opens a follow-up due 30 days later: visits over the last 60
    # days give tasks due from a month ago to a month ahead.
    facts += [
        {
            "type": "VisitHeld",
            "partner": bench.partners[n % len(bench.partners)],
            "occurred_on": (today - timedelta(days=n % 60)).isoformat(),
            "visitors": [f"Envoy {n}"],
        }
        for n in range(count)
    ]
    accord(db, "init")
    for path in write_files(bench.folder, iter(facts), f"scheduler-{kind}"):
        accord(db, "submit", "--file", str(path))
    accord(db, "tasks", "--limit", "1")  # the tasks opened
    outbox = str(bench.folder / f"outbox-{kind}")
    now = datetime.now(UTC)
    rows = []
    first, run = in_child(TICK, db, outbox, now.isoformat())
    rows.append(
        Row(
            store,
            f"scheduler: first tick over {count:,} open tasks (catch-up: {first['actions']:,} reminders, "
            "escalations, digests), and the task list catching up on them",
            f"{first['s']:.2f} s",
            f"{rate(first['actions'], first['s'])} actions",
            memory=run.memory,
        )
    )
    idle, run = in_child(TICK, db, outbox, now.isoformat())
    rows.append(
        Row(
            store,
            f"scheduler: a tick over {count:,} open tasks with nothing new",
            f"{idle['s']:.2f} s",
            "target < 1 s",
            memory=run.memory,
        )
    )
    later, run = in_child(TICK, db, outbox, (now + timedelta(days=1)).isoformat())
    rows.append(
        Row(
            store,
            f"scheduler: the next day's tick ({later['actions']:,} actions), and the task list catching up",
            f"{later['s']:.2f} s",
            f"{rate(later['actions'], later['s'])} actions",
            memory=run.memory,
        )
    )
    return rows


def web_rows(bench: Bench, kind: str, db: str) -> list[Row]:
    """Each page of `accord serve` over the portfolio's store: the server's
    time for it (the best of three requests, after a first that warms it)
    and its size, beside the same server answering with its stylesheet (a
    request that reads nothing: the floor)."""
    import httpx

    store = STORE_NAMES[kind]
    bench.say(f"{store}: the web console's pages...")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "--db", db, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "BENCH_PEAK": str(bench.folder / "serve-peak")},
    )
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            for _ in range(600):
                try:
                    client.get("/accord.css")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)

            def timed(path: str) -> tuple[float, float, int]:
                """The first request's time (the page read), the best of
                three after (kept while the log does not move), and the size."""
                start = time.perf_counter()
                client.get(path)
                first = time.perf_counter() - start
                best_seconds, size = float("inf"), 0
                for _ in range(3):
                    start = time.perf_counter()
                    answer = client.get(path)
                    best_seconds = min(best_seconds, time.perf_counter() - start)
                    size = len(answer.content)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{path} answered {answer.status_code}")
                return first, best_seconds, size

            _, floor, _ = timed("/accord.css")
            # Found by the command line, so that each page's first request reads it.
            head = json.loads(accord(db, "audit", "seal", "--json").output)[0]["position"]
            task = json.loads(accord(db, "tasks", "--limit", "1", "--json").output)[0]["task_id"]
            pages = [
                "/",
                f"/partners/{bench.partners[0]}",
                "/tasks",
                f"/tasks/{task}",
                "/meetings",
                "/funding",
                "/changes",
                "/audit",
                f"/audit?after={head - 100}",
                f"/audit/{head}",
            ]
            for path in pages:
                first, kept, size = timed(path)
                rows.append(
                    Row(
                        store,
                        f"accord serve: GET {path}: read, then kept (best of 3), and the page's size",
                        f"{first:.3f} s, then {kept:.3f} s",
                        f"{size / 1000:,.0f} KB; the stylesheet {floor:.3f} s (targets < 0.3 s, < 500 KB)",
                    )
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


# The search part: facts with words to find.

# Words every fact may hold, the first the most often (Zipf), and the words searched for, planted.
COMMON_WORDS = [
    *("the", "of", "and", "to", "in", "on", "for", "with", "migration", "partner", "border", "returns"),
    *("cooperation", "support", "visit", "minister", "programme", "funding", "protection", "readmission"),
    *("dialogue", "agreement", "asylum", "labour", "mobility", "route"),
]
RARE = "smuggling"
PHRASE = ("joint", "operation")


def worded(partners: list[str], count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Deterministic facts with text: notes of 20 to 60 words and visits
    with places, topics and notes, drawn from a vocabulary of 5,000 words
    (Zipf); one fact in a thousand says `smuggling`, one in a hundred
    `joint operation`."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = COMMON_WORDS + ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(5000)]
    # Cumulative weights, summed once: choices() given the weights sums them at every call.
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))

    def said(least: int, most: int) -> str:
        words = rng.choices(vocabulary, cum_weights=weights, k=rng.randint(least, most))
        if rng.random() < 0.001:
            words.insert(rng.randrange(len(words)), RARE)
        if rng.random() < 0.01:
            words[rng.randrange(len(words)) : 0] = PHRASE
        return " ".join(words).capitalize() + "."

    for code in partners:
        yield {"type": "PartnershipOpened", "partner": code, "occurred_on": "2015-01-01", "id": f"open-{code}"}
    for n in range(count - len(partners)):
        code = partners[n % len(partners)]
        base = {"partner": code, "occurred_on": f"20{16 + n % 9}-{1 + n % 12:02d}-{1 + n % 28:02d}", "id": f"s{n}"}
        if rng.random() < 0.7:
            yield {**base, "type": "PartnershipNoteAdded", "text": said(20, 60)}
        else:
            topics = [said(2, 4) for _ in range(3)]
            yield {**base, "type": "VisitHeld", "visitors": ["Commissioner"], "topics": topics, "notes": said(10, 30)}


# What is searched for: a rare word, the commonest, two words, a phrase, a
# prefix; the commonest narrowed to one partner, one type, one year; the
# rare word of one partner. "first" is the portfolio's first partner.
SEARCHES: tuple[tuple[str, dict[str, Any]], ...] = (
    (RARE, {}),
    ("migration", {}),
    ("border cooperation", {}),
    ('"joint operation"', {}),
    ("smuggl*", {}),
    ("migration", {"partner": "first"}),
    ("migration", {"types": ["VisitHeld"]}),
    ("migration", {"since": "2020-01-01", "until": "2020-12-31"}),
    (RARE, {"partner": "first"}),
)
SEARCHED = 11  # each search run this many times (the first warms)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


SEARCH_TIMES = """
from datetime import date
from workflows.projections.search.queries import RANKED, _narrowed, Filters, fts5_match, narrowing_tsquery
from workflows.projections.search.words import search
app.refresh()
result['table'] = app.views.table('search')
result['ranked'] = RANKED
for typed, filters in json.loads(args[0]):
    since, until = (date.fromisoformat(filters[end]) if filters.get(end) else None for end in ('since', 'until'))
    times = []
    for _ in range(int(args[1])):
        start = time.perf_counter()
        found = app.reader.search.find(
            typed, partner=filters.get('partner'), types=filters.get('types', ()), since=since, until=until
        )
        times.append(time.perf_counter() - start)
    wanted = search(typed)
    code, types = _narrowed(Filters(filters.get('partner'), tuple(filters.get('types', ()))))
    result[json.dumps([typed, filters])] = dict(
        times=times[1:], shown=len(found.rows), cut=found.cut, fts5=fts5_match(wanted, code, types),
        tsquery=wanted.tsquery(), narrowed=narrowing_tsquery(code, types),
    )
"""


def search_files(bench: Bench) -> list[Path]:
    """The facts with words, as files: written once, for every store."""
    return sorted(bench.folder.glob("search-*.jsonl")) or write_files(
        bench.folder, worded(bench.partners, bench.count, bench.seed), "search"
    )


def search_beneath(
    kind: str, table: str, measured_search: dict[str, Any], filters: dict[str, Any]
) -> tuple[str, list[Any]]:
    """The store's full-text index queried alone with the driver: the same
    terms (the partner and type in the index, as Accord asks it), the same
    bound (the rows found recorded last, ranked), the 21 best row numbers;
    no snippet, and the view's table joined only for a period."""
    index, ranked = f"{table}_index", measured_search["ranked"] + 1
    bounds = [f"s.occurred_first {op} %s" for end, op in (("since", ">="), ("until", "<=")) if end in filters]
    dates = [filters[end] for end in ("since", "until") if end in filters]
    if kind == "postgres":
        # As Accord asks it (search.queries): the spans of positions newest
        # first, each span's rows found by the index; the period first.
        narrowed = measured_search["narrowed"]
        terms = "q && %s::tsquery" if narrowed else "q"
        matched = f"s.document @@ ({terms} && ('''span=' || span.n || '''')::tsquery)"
        sql = (
            "SELECT found FROM (SELECT last.found, ts_rank(d.document, last.q, 1) AS score FROM ("
            "SELECT f.found, q FROM "
            f"generate_series((SELECT max(position) >> {SPAN_BITS} FROM {index}), 0, -1) span(n), "
            "to_tsquery('simple', %s) q, "
            f"LATERAL (SELECT s.position AS found FROM {index} s WHERE {' AND '.join([*bounds, matched])} "
            f"ORDER BY s.position DESC) f LIMIT {ranked}) last JOIN {index} d ON d.position = last.found) "
            "ranked ORDER BY score DESC LIMIT 21"
        )
        return sql, [measured_search["tsquery"], *dates, *([narrowed] if narrowed else [])]
    period = "".join(f" AND {bound.replace('%s', '?')}" for bound in bounds)
    joined = f" JOIN {table} s ON s.position = {index}.rowid" if period else ""
    sql = (
        f"SELECT found FROM (SELECT {index}.rowid AS found, bm25({index}, 1.0, 0.0, 0.0) AS score "
        f"FROM {index}{joined} WHERE {index} MATCH ?{period} "
        f"ORDER BY {index}.rowid DESC LIMIT {ranked}) ORDER BY score LIMIT 21"
    )
    return sql, [measured_search["fts5"], *dates]


def timed(connection: Any, sql: str, params: list[Any], runs: int) -> list[float]:
    """Seconds of each run of a query but the first (which warms)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        connection.execute(sql, params).fetchall()
        times.append(time.perf_counter() - start)
    return times[1:]


def p50_p95(times: list[float]) -> str:
    return f"{percentile(times, 0.5) * 1000:,.1f} / {percentile(times, 0.95) * 1000:,.1f} ms"


def search_rows(bench: Bench, kind: str) -> list[Row]:
    """A store of facts with words, its search view built by `accord
    projections rebuild search` (beside the index alone built from the
    view's words); each search's time in Accord (the view's query, snippets
    made) beside the store's full-text index queried alone with the driver;
    `accord search` as a whole process."""
    count, partners, say = bench.count, bench.partners, bench.say
    store = STORE_NAMES[kind]
    db = bench.stores.new(kind, "search")
    files = search_files(bench)
    say(f"{store}: a store of {count:,} facts with words to search...")
    accord(db, "init")
    for path in files:
        accord(db, "submit", "--file", str(path))

    say(f"{store}: the search view built...")
    rebuilt = accord(db, "projections", "rebuild", "search")
    table = re.findall(r"into (view_search_\d+)", rebuilt.output)[0]
    connection = driver(db)
    start = time.perf_counter()
    if kind == "postgres":
        connection.execute(f"CREATE TABLE bench_words AS SELECT position, to_tsvector('simple', words) d FROM {table}")
        connection.execute("CREATE INDEX bench_words_gin ON bench_words USING GIN (d)")
    else:
        connection.execute(
            "CREATE VIRTUAL TABLE bench_words USING fts5(words, tokenize='unicode61 remove_diacritics 0')"
        )
        connection.execute(f"INSERT INTO bench_words (rowid, words) SELECT position, words FROM {table}")
    raw_seconds = time.perf_counter() - start
    connection.execute("DROP TABLE bench_words")
    rows = [
        Row(
            store,
            f"accord projections rebuild search: {count:,} events read, worded and indexed (whole process)",
            rate(count, rebuilt.seconds),
            f"the index alone built from the view's words {rate(count, raw_seconds)}",
            f"{raw_seconds / rebuilt.seconds:.2f}x",
            rebuilt.memory,
        )
    ]

    say(f"{store}: searches...")
    searches = [
        (typed, {**filters, "partner": partners[0]} if "partner" in filters else filters) for typed, filters in SEARCHES
    ]
    result, run = in_child(SEARCH_TIMES, db, json.dumps(searches), str(SEARCHED))
    table, ranked = result.pop("table"), result.pop("ranked")
    everything: list[float] = []
    beneath_all: list[float] = []
    for name, measured_search in result.items():
        typed, filters = json.loads(name)
        sql, params = search_beneath(kind, table, {**measured_search, "ranked": ranked}, filters)
        raw_times = timed(connection, sql, params, SEARCHED)
        times = measured_search["times"]
        everything += times
        beneath_all += raw_times
        narrowed = ", ".join(f"{key} {value}" for key, value in filters.items())
        cut = f"the best of the {ranked:,} recorded last" if measured_search["cut"] else "the best of every match"
        rows.append(
            Row(
                store,
                f"search {typed!r}{' (' + narrowed + ')' if narrowed else ''}: {measured_search['shown']} shown, "
                f"{cut} (p50 / p95 of {len(times)})",
                p50_p95(times),
                f"the index alone {p50_p95(raw_times)}",
            )
        )
    rows.append(
        Row(
            store,
            f"every search above together (p50 / p95 of {len(everything)}; target < 200 ms)",
            p50_p95(everything),
            f"the index alone {p50_p95(beneath_all)}",
            memory=run.memory,
        )
    )
    # What the bound saves: the commonest word's every match ranked.
    measured_common = result[json.dumps(["migration", {}])]
    index = f"{table}_index"
    if kind == "postgres":
        sql = (
            f"SELECT position FROM {index}, to_tsquery('simple', %s) q WHERE document @@ q "
            "ORDER BY ts_rank(document, q, 1) DESC LIMIT 21"
        )
        unbounded = timed(connection, sql, [measured_common["tsquery"]], 4)
    else:
        sql = f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY bm25({index}, 1.0, 0.0, 0.0) LIMIT 21"
        unbounded = timed(connection, sql, [measured_common["fts5"]], 4)
    connection.close()
    rows.append(
        Row(
            store,
            "the index alone ranking every match of 'migration', no bound (p50 / p95 of 3)",
            "",
            p50_p95(unbounded),
        )
    )
    whole = best(3, lambda: accord(db, "search", RARE))
    rows.append(
        Row(store, f"accord search {RARE} (whole process, best of 3)", f"{whole.seconds:.2f} s", "", "", whole.memory)
    )
    return rows


# The console served by uvicorn in a process of its own, trusting the
# address the bench says each request comes from (X-Forwarded-For), so that a
# flood of sign-ins can come from as many addresses as an attacker has.
SERVE = (
    LAUNCH
    + "import uvicorn\nfrom workflows.config.settings import Settings\nfrom workflows.web.app import create\n"
    + "uvicorn.run(create(Settings()), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning', "
    + "proxy_headers=True, forwarded_allow_ips='127.0.0.1', timeout_graceful_shutdown=2)\n"
)
# Requests of /tasks timed in each load, at least (more while the load lasts).
SAMPLES = 30


def percentiles(seconds: list[float]) -> str:
    return f"p50 {percentile(seconds, 0.5):.3f} s, p95 {percentile(seconds, 0.95):.3f} s"


def console_rows(bench: Bench, kind: str) -> list[Row]:
    """Another user's /tasks while strangers load the console: alone, then
    beside twenty sign-ins with wrong passwords at once (each from its own
    address, so that none is throttled: each costs its argon2 hash), beside
    six pages as of six dates (each a replay), beside a flood of /tasks with
    a junk parameter, and beside the sign-ins and the replays together. Each
    load's p50 and p95 beside /tasks alone, the layer beneath."""
    import threading

    import httpx

    from workflows.config import accounts

    store = STORE_NAMES[kind]
    db = bench.stores.new(kind, "console")
    files = write_files(bench.folder, synthetic(bench.partners, bench.count, bench.seed), f"console-{kind}")
    bench.say(f"{store}: the console under load: a store of {bench.count:,} events...")
    accord(db, "init")
    for path in files:
        accord(db, "submit", "--file", str(path))
    in_child(REFRESH, db)
    users = bench.folder / f"users-{kind}.toml"
    accounts.add(users, "desk", "desk has a password")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ACCORD_DB": db,
        "ACCORD_USERS": str(users),
        "BENCH_PEAK": str(bench.folder / f"serve-peak-{kind}"),
    }
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    base = f"http://127.0.0.1:{port}"
    rows: list[Row] = []

    # Each client's form token, once it has asked for the sign-in page.
    tokens: dict[int, str] = {}

    def token(client: httpx.Client) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert found is not None
        return found[1]

    try:
        with httpx.Client(base_url=base, timeout=600) as probe:
            for _ in range(600):
                try:
                    probe.get("/accord.css")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        desk = httpx.Client(base_url=base, timeout=600)
        form = {"csrf": token(desk), "name": "desk", "password": "desk has a password"}
        if desk.post("/login", data=form).status_code != 303:
            raise RuntimeError("desk could not sign in")

        def timed(client: httpx.Client, path: str) -> float:
            start = time.perf_counter()
            answer = client.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code}")
            return time.perf_counter() - start

        def under(load: Callable[[threading.Event], list[threading.Thread]], until_done: bool) -> list[float]:
            """/tasks timed SAMPLES times while the load's threads run (and,
            `until_done`, on until they end, at most ten times as many)."""
            stop = threading.Event()
            tokens.clear()  # the clients of a load before are gone, with their sessions
            threads = load(stop)
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # the load under way
            seconds: list[float] = []
            while len(seconds) < SAMPLES or (
                until_done and any(t.is_alive() for t in threads) and len(seconds) < 10 * SAMPLES
            ):
                seconds.append(timed(desk, "/tasks"))
            stop.set()
            for thread in threads:
                thread.join()
            if failed:
                raise RuntimeError(f"the load failed: {failed[0]}")
            return seconds

        # What went wrong in a load's threads: the bench stops, rather than measure a load that is not there.
        failed: list[Exception] = []

        def failing(run: Callable[[int], None]) -> Callable[[int], None]:
            def kept(n: int) -> None:
                try:
                    run(n)
                except Exception as error:
                    failed.append(error)

            return kept

        counted = [0]

        def looping(work: Callable[[httpx.Client, int], None], threads: int) -> Callable[..., list[threading.Thread]]:
            """`threads` clients, each doing `work` again and again until stopped."""

            def load(stop: threading.Event) -> list[threading.Thread]:
                def run(n: int) -> None:
                    with httpx.Client(base_url=base, timeout=600) as client:
                        while not stop.is_set():
                            work(client, n)
                            counted[0] += 1

                return [threading.Thread(target=failing(run), args=(n,)) for n in range(threads)]

            return load

        def sign_in_again(client: httpx.Client, n: int) -> None:
            # A new name and address each time: nothing is throttled, every attempt is hashed.
            attempt = counted[0]
            if n not in tokens:
                tokens[n] = token(client)
            address = f"10.{n}.{attempt // 250 % 250}.{attempt % 250}"
            form = {"csrf": tokens[n], "name": f"stranger{n}x{attempt}", "password": "not a password"}
            answer = client.post("/login", data=form, headers={"x-forwarded-for": address})
            if answer.status_code not in (401, 503):
                raise RuntimeError(f"a wrong password answered {answer.status_code}")

        dates = [f"{2016 + year}-{month:02d}-28" for year in range(8) for month in (3, 6, 9, 12)]

        def replays(stop: threading.Event) -> list[threading.Thread]:
            def run(n: int) -> None:
                with httpx.Client(base_url=base, timeout=600) as client:
                    for day in dates[n::6]:
                        if stop.is_set():
                            return
                        if client.get(f"/tasks?as_of={day}").status_code != 200:
                            raise RuntimeError(f"/tasks?as_of={day} failed")
                        counted[0] += 1

            return [threading.Thread(target=failing(run), args=(n,)) for n in range(6)]

        def junk(client: httpx.Client, n: int) -> None:
            answer = client.get(f"/tasks?nonce={n}x{counted[0]}")
            if answer.status_code != 400:
                raise RuntimeError(f"/tasks with a junk parameter answered {answer.status_code}")

        def together(stop: threading.Event) -> list[threading.Thread]:
            return looping(sign_in_again, 20)(stop) + replays(stop)

        first = timed(desk, "/tasks")
        floor = [timed(desk, "/accord.css") for _ in range(SAMPLES)]
        alone = [timed(desk, "/tasks") for _ in range(SAMPLES)]
        rows.append(
            Row(
                store,
                f"accord serve: GET /tasks alone, signed in ({SAMPLES} requests; the first, read, {first:.3f} s)",
                percentiles(alone),
                f"the stylesheet {percentiles(floor)}",
            )
        )
        loads = [
            ("20 sign-ins with wrong passwords at once, each from its own address", looping(sign_in_again, 20), False),
            ("6 pages as of 6 dates at once, then 6 more... (each a replay of the log)", replays, True),
            ("4 clients asking /tasks with a junk parameter (refused, 400)", looping(junk, 4), False),
            ("the 20 sign-ins and the 6 as-of pages together", together, True),
        ]
        for what, load, until_done in loads:
            bench.say(f"{store}: /tasks beside {what}...")
            counted[0] = 0
            seconds = under(load, until_done)
            rows.append(
                Row(
                    store,
                    f"accord serve: GET /tasks beside {what}: {len(seconds)} requests, "
                    f"the load's {counted[0]} answered meanwhile",
                    percentiles(seconds),
                    f"alone {percentiles(alone)} (target < 0.3 s)",
                    f"p95 {percentile(seconds, 0.95) / percentile(alone, 0.95):.1f}x of alone",
                )
            )
        desk.close()
    finally:
        # As Ctrl-C stops it, so that it says its peak memory as it ends.
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    peak = bench.folder / f"serve-peak-{kind}"
    if peak.exists():  # written as the server stopped
        for row in rows:
            row.memory = f"{int(peak.read_text()) / 1024:,.0f} MiB (the server)"
    return rows


class Inbox:
    """A local SMTP server (aiosmtpd, in the bench's own process) that takes
    every message and keeps it, to send again with plain smtplib."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


# The yardstick of the IATI import: lxml's iterparse alone over the same
# file, each activity dropped once parsed, as the import reads it.
ITERPARSE = """
from lxml import etree
for _, element in etree.iterparse(
    sys.argv[1], tag="iati-activity", resolve_entities=False, no_network=True, huge_tree=True
):
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]
"""
# Accord's plan of the same file alone: read, each activity planned, nothing checked or stored.
PLAN = """
from pathlib import Path
from workflows.interchange.iati import plan
plans = plan(Path(sys.argv[1]), sys.argv[1])
print(sum(len(activity.recorded) for activity in plans))
"""


def iati_rows(bench: Bench, kinds: list[str], size: int) -> list[Row]:
    """`accord import iati` of a generated IATI 2.03 file of `size` bytes
    (iati_file): its plan alone, the dry run and the import into a fresh
    store, each a whole process, beside lxml's iterparse alone over the
    same file (the best of three), with each one's peak memory."""
    path = bench.folder / "iati.xml"
    activities, transactions = iati_file(path, size, bench.seed)
    megabytes = path.stat().st_size / 2**20
    bench.say(f"IATI: {megabytes:.0f} MB, {activities:,} activities, {transactions:,} transactions...")
    parsed = best(3, lambda: measured(LAUNCH + ITERPARSE, str(path)))
    beneath = f"lxml iterparse alone {parsed.seconds:.2f} s, {parsed.memory}"
    planned = measured(LAUNCH + PLAN, str(path))
    what = f"{megabytes:.0f} MB, {activities:,} activities, {transactions:,} transactions"
    rows = [
        Row(
            "-",
            f"IATI plan alone (read and planned, nothing checked or stored): {what}",
            f"{planned.seconds:.2f} s",
            beneath,
            f"{planned.seconds / parsed.seconds:.1f}x of lxml",
            planned.memory,
        )
    ]
    for kind in kinds:
        db = bench.stores.new(kind, "iati")
        accord(db, "init")
        for label, dry_run in (("dry run", ["--dry-run"]), ("import", [])):
            run = accord(db, "import", "iati", *dry_run, "--open-partnerships", str(path))
            rows.append(
                Row(
                    STORE_NAMES[kind],
                    f"accord import iati, {label} (whole process, one transaction{', rolled back' if dry_run else ''}, "
                    f"a fresh store): {what}, {run.output.splitlines()[-1].split(':')[0]}",
                    f"{run.seconds:.2f} s",
                    beneath,
                    f"{run.seconds / parsed.seconds:.1f}x of lxml (targets < 10 s, < 300 MiB)",
                    run.memory,
                )
            )
    return rows


def delivery_rows(bench: Bench, kind: str) -> list[Row]:
    """A reminder for each partnership's visits of five days (a visit's
    follow-up is one a day), each to be emailed to its desk, sent by one
    pass of `accord deliver --once` to a local SMTP server, beside the same
    messages sent again with plain smtplib over one connection."""
    import smtplib

    from aiosmtpd.controller import Controller

    store = STORE_NAMES[kind]
    db = bench.stores.new(kind, "delivery")
    bench.say(f"{store}: deliveries: {len(bench.partners) * 5:,} reminders to email...")
    today = date.today()
    facts: list[dict[str, Any]] = [
        {"type": "PartnershipOpened", "partner": code, "occurred_on": today.isoformat()} for code in bench.partners
    ]
    # A visit opens a follow-up due 30 days later: visits 25 to 29 days ago are reminded now.
    facts += [
        {
            "type": "VisitHeld",
            "partner": code,
            "occurred_on": (today - timedelta(days=days)).isoformat(),
            "visitors": ["Envoy"],
        }
        for code in bench.partners
        for days in range(25, 30)
    ]
    directory = bench.folder / f"people-{kind}.toml"
    directory.write_text(
        "".join(f'[people."desk:{code}"]\nemail = ["desk-{code.lower()}@example.eu"]\n\n' for code in bench.partners)
    )
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    settings = {
        "ACCORD_DIRECTORY": str(directory),
        "ACCORD_OUTBOX": str(bench.folder / f"outbox-delivery-{kind}"),
        "ACCORD_SMTP_PORT": str(port),
        "ACCORD_SMTP_SECURITY": "none",
        "ACCORD_MAIL_FROM": "accord@example.eu",
        "ACCORD_DELIVERY_BACKOFF": "1",
        "ACCORD_DIGEST_AT": "23:59",  # reminders only: no digest falls due today
    }
    os.environ.update(settings)
    try:
        accord(db, "init")
        for path in write_files(bench.folder, iter(facts), f"delivery-{kind}"):
            accord(db, "submit", "--file", str(path))
        # The tick records the reminders and requests their deliveries; with
        # no mail server set, each waits a second, to be sent by the pass measured.
        accord(db, "scheduler", "tick")
        os.environ["ACCORD_SMTP_HOST"] = "127.0.0.1"
        time.sleep(1.5)
        run = accord(db, "deliver", "--once", "--json")
        sent = len(json.loads(run.output))
        taken = list(inbox.received)
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for sender, recipients, content in taken:
                smtp.sendmail(sender, recipients, content)
        plain = time.perf_counter() - start
    finally:
        server.stop()
        for name in [*settings, "ACCORD_SMTP_HOST"]:
            os.environ.pop(name, None)
    return [
        Row(
            store,
            f"accord deliver --once: {sent:,} reminder emails to a local SMTP server, each outcome recorded "
            "(whole process)",
            f"{run.seconds:.2f} s",
            f"smtplib sending the same {len(taken):,} messages {plain:.2f} s",
            f"{rate(sent, run.seconds)} against {rate(len(taken), plain)}",
            memory=run.memory,
        )
    ]


LIBRARIES = "import click, eventsourcing.application, eventsourcing.sqlite, pydantic.main, rich.table"
TRIES = 11


def startup_rows(bench: Bench) -> list[Row]:
    """Whole-process latency of the commands people type, beside the
    interpreter starting and doing nothing, best of TRIES, on the demo's
    store: on a shared machine the best of many is the figure that repeats."""
    # Two demo stores: submissions go to the second, so that `accord tasks`
    # finds the first caught up each time.
    db, records = str(bench.folder / "demo.db"), str(bench.folder / "demo-submit.db")
    bench.say(f"start-up: the demo's store, then each command {TRIES} times...")
    for store in (db, records):
        accord(store, "demo")
        accord(store, "tasks")  # caught up
    executable = str(Path(sys.executable).with_name("accord"))

    def wall(command: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - start

    notes = itertools.count()
    note = ["submit", "PartnershipNoteAdded", "--partner", "TN", "--occurred-on", "2021-06-06", "--text"]
    # Each command's arguments, and its target over `python -c pass`.
    commands: dict[str, tuple[Callable[[], list[str]], float | None]] = {
        "pass": (lambda: [sys.executable, "-c", "pass"], None),
        # What a command that reads or records cannot start without.
        "libraries": (lambda: [sys.executable, "-c", LIBRARIES], None),
        "accord --help": (lambda: [executable, "--help"], 0.1),
        "accord tasks (a caught-up store)": (lambda: [executable, "--db", db, "tasks"], 0.2),
        "accord submit, one event": (lambda: [executable, "--db", records, *note, f"bench note {next(notes)}"], 0.2),
    }
    # In turns, not each command's tries together: a slow spell of the
    # machine then falls on every command alike.
    tries: dict[str, list[float]] = {what: [] for what in commands}
    for _ in range(TRIES):
        for what, (arguments, _allowed) in commands.items():
            tries[what].append(wall(arguments()))
    fastest = {what: min(seconds) for what, seconds in tries.items()}
    bare = fastest["pass"]
    rows = [
        Row(
            "SQLite",
            "the libraries alone: python -c '" + LIBRARIES + f"' (best of {TRIES})",
            f"{fastest['libraries']:.2f} s",
            f"python -c pass {bare:.2f} s",
            f"+{fastest['libraries'] - bare:.2f} s",
        )
    ]
    for what, (arguments, allowed) in commands.items():
        if allowed is None:
            continue
        peak = measured(CLI, *arguments()[1:]).memory
        rows.append(
            Row(
                "SQLite",
                f"{what} (wall clock, best of {TRIES}, taken in turns)",
                f"{fastest[what]:.2f} s",
                f"python -c pass {bare:.2f} s",
                f"+{fastest[what] - bare:.2f} s (target +{allowed:.1f} s)",
                peak,
            )
        )
    return rows


STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
DRIVERS = {"sqlite": "sqlite3", "postgres": "psycopg"}


@dataclass
class Bench:
    count: int
    partners: list[str]
    seed: int
    folder: Path
    stores: Stores

    @staticmethod
    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the synthetic portfolio")
    parser.add_argument("--partners", type=int, default=200, help="partnerships")
    parser.add_argument("--quick", action="store_true", help="100,000 events: about a minute")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on this PostgreSQL server (postgresql://user@host:port/db); "
        "the bench creates its own databases there and drops them",
    )
    parser.add_argument(
        "--part",
        choices=["all", "portfolio", "signing", "scheduler", "delivery", "console", "startup", "search", "iati"],
        default="all",
        help="measure only one part",
    )
    parser.add_argument("--iati-mb", type=int, default=50, help="the size of the IATI file imported, in MB (part iati)")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file as JSON")
    args = parser.parse_args()
    count = 100_000 if args.quick else args.events
    json_path = Path(args.json_path).resolve() if args.json_path else None
    folder = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    # Accord's commands here read only what the bench gives them: not the
    # ACCORD_* variables of whoever runs it, nor the accord.toml of the
    # checkout (scripts/bench runs from there), which may name a mail server
    # and the people a tick would write to.
    for name in [name for name in os.environ if name.startswith("ACCORD_")]:
        del os.environ[name]
    os.chdir(folder)
    stores = Stores(folder, args.postgres)
    bench = Bench(count, PARTNER_CODES[: args.partners], args.seed, folder, stores)
    kinds = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    rows: list[Row] = []
    began = time.perf_counter()
    try:
        for kind in kinds:
            if args.part in ("all", "portfolio"):
                rows += portfolio_rows(bench, kind)
            if args.part in ("all", "signing"):
                rows += signing_rows(bench, kind)
            if args.part in ("all", "scheduler"):
                rows += scheduler_rows(bench, kind, 20_000 if args.quick else 100_000)
            if args.part in ("all", "delivery"):
                rows += delivery_rows(bench, kind)
            if args.part in ("all", "search"):
                rows += search_rows(bench, kind)
            if args.part in ("all", "console"):
                rows += console_rows(bench, kind)
        if args.part in ("all", "iati"):
            rows += iati_rows(bench, kinds, args.iati_mb * 2**20)
        if args.part in ("all", "startup"):
            rows += startup_rows(bench)
    finally:
        stores.drop_all()
        shutil.rmtree(folder, ignore_errors=True)

    minutes = (time.perf_counter() - began) / 60
    where = " and ".join(STORE_NAMES[kind] for kind in kinds)
    print(
        f"\nAccord benchmark: {count:,} events, {len(bench.partners)} partnerships, {where}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {minutes:.1f} min in all\n"
    )
    print("| store | what | Accord | the layer beneath | ratio | peak memory |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.store} | {row.what} | {row.accord} | {row.beneath} | {row.ratio} | {row.memory} |")
    if json_path:
        figures = {"events": count, "partnerships": len(bench.partners), "cores": os.cpu_count(), "rows": rows}
        json_path.write_text(json.dumps(figures, default=lambda row: row.__dict__, indent=2) + "\n")


if __name__ == "__main__":
    main()
