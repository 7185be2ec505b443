"""Every command answers in JSON with `--json`, in the shapes docs/json.md
documents; `audit log` takes a window (--since, --until) and a --limit. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest

from tests.helpers import accord, as_json, jsonl, opened, visit
from workflows.cli import main

pytestmark = pytest.mark.integration

RULES = Path(__file__).parents[2] / "workflows" / "rules" / "default.toml"


def listed(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"type": kind, "subject": subject, "key": key} for kind, subject, key in rows]


def test_submit_correct_and_retract_say_what_they_recorded(db: str, tmp_path: Path) -> None:
    (tmp_path / "facts.jsonl").write_text(jsonl([{**opened("TN"), "id": "open"}, visit("TN", 3, id="v")]))

    first = as_json(accord(db, "submit", "--file", str(tmp_path / "facts.jsonl"), "--json"))
    again = as_json(accord(db, "submit", "--file", str(tmp_path / "facts.jsonl"), "--json"))
    one = as_json(
        accord(db, "submit", "VisitHeld", "--partner", "TN", "--occurred-on", "2021-05-04", "--visitors", "A",
               "--id", "v2", "--json")
    )  # fmt: skip
    corrected = as_json(accord(db, "correct", "v", "--partner", "TN", "--set", "place=Tunis", "--reason", "x",
                               "--id", "fix-1", "--json"))  # fmt: skip
    retracted = as_json(accord(db, "retract", "v2", "--partner", "TN", "--reason", "x", "--id", "r-1", "--json"))

    assert first == {"recorded": listed(("PartnershipOpened", "TN", "open"), ("VisitHeld", "TN", "v")), "already": []}
    assert again == {"recorded": [], "already": first["recorded"]}
    assert one == {"recorded": listed(("VisitHeld", "TN", "v2")), "already": []}
    assert corrected == {"recorded": listed(("FactCorrected", "TN", "fix-1")), "already": []}
    assert retracted == {"recorded": listed(("FactRetracted", "TN", "r-1")), "already": []}


def test_task_changes_answer_with_the_task_as_it_now_stands(db: str) -> None:
    assert accord(db, "submit", "--file", "-", input=jsonl([opened("TN"), visit("TN", 3)])).exit_code == 0
    [task] = [t for t in as_json(accord(db, "tasks", "--json")) if t["rule"] == "visit-held-follow-up"]

    assigned = as_json(accord(db, "task", "assign", task["task_id"][:8], "desk:MA", "--json"))
    deferred = as_json(accord(db, "task", "defer", task["task_id"], "--to", "2099-01-01", "--reason", "x", "--json"))
    done = as_json(accord(db, "task", "complete", task["task_id"], "--note", "sent", "--json"))

    assert [(row["task_id"], row["owner"]) for row in assigned] == [(task["task_id"], "desk:MA")]
    assert deferred[0]["due_on"] == "2099-01-01"
    assert (done[0]["status"], done[0]["outcome"]) == ("done", "sent")


def test_verify_answers_in_json_and_still_exits_by_its_verdict(demo_db: str) -> None:
    verdict = as_json(accord(demo_db, "audit", "verify", "--json"))
    seal = as_json(accord(demo_db, "audit", "seal", "--json"))

    assert verdict["sound"] is True
    assert verdict["head"] == {"position": seal["position"], "digest": seal["digest"]}
    assert verdict["broken"] is None and verdict["sealed_head"] is None
    views = {"tasks", "funding", "meetings", "partnerships", "timeline", "deliveries", "rates", "search", "people"}
    views.add("results")
    assert set(verdict["projections"]) == views
    assert not any(verdict["projections"].values())
    assert verdict["keys"]["problem"] is None and verdict["keys"]["indexed"] > 0
    assert set(verdict["seconds"]) == {"chain", "domain", "projections", "snapshots", "keys"}
    assert verdict["domain"] == {
        "judged": verdict["records"],
        "illegal": [],
        "unnamed": 0,
        "moments_in_order_from": 1,
    }

    unknown = accord(demo_db, "audit", "verify", "--head", "0" * 64, "--no-views", "--json")
    assert unknown.exit_code == 3
    assert '"sound": false' in unknown.stdout


def test_checks_and_rebuilds_answer_in_json(db: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[roles]\nfinance = ["alice"]\n\n[permit]\nFundingCommitted = ["finance"]\n')

    rules = as_json(accord(db, "rules", "check", str(RULES), "--json"))
    checked = as_json(accord(db, "policy", "check", str(policy), "--json"))
    rebuilt = as_json(accord(db, "projections", "rebuild", "--json"))

    assert rules["file"] == str(RULES) and "visit-held-follow-up" in rules["rules"] and rules["history_days"] is None
    assert rules["off_track_margin"] == 10
    assert checked == {
        "file": str(policy),
        "roles": {"finance": ["alice"]},
        "permit": {"FundingCommitted": ["finance"]},
    }
    assert {status["name"] for status in rebuilt["rebuilt"]} == {
        "tasks",
        "funding",
        "meetings",
        "partnerships",
        "timeline",
        "deliveries",
        "rates",
        "search",
        "people",
        "results",
    }
    assert all(set(status) == {"name", "table", "position", "head"} for status in rebuilt["rebuilt"])
    assert rebuilt["snapshots_dropped"] == 0


def test_an_iati_plan_answers_in_json(demo_db: str, tmp_path: Path) -> None:
    assert accord(demo_db, "submit", "--file", "-", input=jsonl([
        {"type": "FundingCommitted", "partner": "TN", "occurred_on": "2021-03-15", "funding": "tn-1",
         "instrument": "NDICI-Global Europe", "amount": "EUR 1000"},
    ])).exit_code == 0  # fmt: skip
    xml = tmp_path / "funding.xml"
    assert accord(demo_db, "export", "iati", "-o", str(xml)).exit_code == 0

    planned = as_json(accord(demo_db, "import", "iati", "--dry-run", str(xml), "--json"))
    imported = as_json(accord(demo_db, "import", "iati", str(xml), "--json"))

    [activity] = [a for a in planned["activities"] if a["partner"] == "TN"]
    assert activity["steps"][0]["what"].startswith("recorded before: FundingCommitted EUR 1000")
    assert set(planned) == {"dry_run", "activities", "recorded", "already"} and planned["dry_run"] is True
    # Its own export, the demo's envelope with it: recorded once.
    assert imported["recorded"] == [] and [fact["type"] for fact in imported["already"]] == [
        "FundingEnvelopeSet",
        "FundingCommitted",
    ]
    assert (planned["recorded"], planned["already"]) == (imported["recorded"], imported["already"])


def test_the_audit_log_takes_a_window_and_a_limit(db: str) -> None:
    assert accord(db, "submit", "--file", "-", input=jsonl([opened("TN"), visit("TN", 1)])).exit_code == 0
    time.sleep(1.1)  # recorded_at is kept to the second
    middle = datetime.now(UTC)
    time.sleep(1.1)
    assert accord(db, "submit", "--file", "-", input=jsonl([visit("TN", 2), visit("TN", 3)])).exit_code == 0

    def log(*args: str) -> list[dict[str, Any]]:
        return list(as_json(accord(db, "audit", "log", "--type", "VisitHeld", "--json", *args)))

    assert [row["occurred_on"] for row in log()] == ["2021-05-01", "2021-05-02", "2021-05-03"]
    assert [row["occurred_on"] for row in log("--since", middle.isoformat())] == ["2021-05-02", "2021-05-03"]
    assert [row["occurred_on"] for row in log("--until", middle.isoformat())] == ["2021-05-01"]
    assert [row["occurred_on"] for row in log("--limit", "2")] == ["2021-05-01", "2021-05-02"]


def test_every_command_takes_json() -> None:
    def leaves(group: click.Group, path: str) -> Iterator[tuple[str, click.Command]]:
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            if isinstance(command, click.Group):
                yield from leaves(command, f"{path} {name}")
            else:
                yield f"{path} {name}", command

    lacking = [
        path for path, command in leaves(main, "accord") if "--json" not in {o for p in command.params for o in p.opts}
    ]
    assert lacking == []


def test_exports_say_in_json_what_they_wrote_and_reports_print_themselves_as_json(demo_db: str, tmp_path: Path) -> None:
    events = as_json(accord(demo_db, "export", "events", "-o", str(tmp_path / "e.jsonl"), "--json"))
    ics = as_json(accord(demo_db, "export", "ics", "-o", str(tmp_path / "d.ics"), "--json"))
    iati = as_json(accord(demo_db, "export", "iati", "-o", str(tmp_path / "f.xml"), "--json"))
    to_screen = accord(demo_db, "export", "events", "--json")

    assert events == {
        "output": str(tmp_path / "e.jsonl"),
        "events": len((tmp_path / "e.jsonl").read_text().splitlines()),
    }
    assert set(ics) == {"output", "tasks", "meetings"} and ics["meetings"] > 0
    assert set(iati) == {"output", "activities"}
    assert to_screen.exit_code == 2 and "give -o FILE" in to_screen.output

    report = as_json(accord(demo_db, "report", "portfolio", "--json"))
    assert report == as_json(accord(demo_db, "report", "portfolio", "--format", "json"))
    assert set(report) >= {"title", "figures", "tables"}
    replayed = as_json(accord(demo_db, "audit", "replay", "--as-of", "2021-05-01", "--json"))
    assert replayed["title"].startswith("The record as of 2021-05-01")
    clash = accord(demo_db, "report", "funding", "--json", "--format", "csv")
    assert clash.exit_code == 2 and "--json is --format json" in clash.output


def test_setting_up_answers_in_json(tmp_path: Path) -> None:
    db = str(tmp_path / "new.db")

    assert as_json(accord(db, "init", "--json")) == {"store": db, "writers": [], "group": None}
    assert set(as_json(accord(db, "init", "--new-key", "--json"))) == {"key"}
    demo = as_json(accord(db, "demo", "--json"))
    assert len(demo["recorded"]) > 30 and demo["already"] == []
    assert as_json(accord(db, "demo", "--json"))["already"] == demo["recorded"]
    assert as_json(accord(db, "schema", "VisitHeld", "--json"))["title"] == "VisitHeld"


def test_a_running_scheduler_prints_a_json_line_a_tick(demo_db: str, tmp_path: Path) -> None:
    env = {**os.environ, "ACCORD_TICK": "0.5", "ACCORD_OUTBOX": str(tmp_path / "outbox")}
    command = [str(Path(sys.executable).with_name("accord")), "--db", demo_db, "scheduler", "run", "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True) as process:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0

    first_tick, second_tick = json.loads(first), json.loads(second)
    assert {row["action"] for row in first_tick["done"]} >= {"escalate", "digest"}
    assert set(first_tick["done"][0]) == {"action", "target", "detail"}
    assert first_tick["files"] and second_tick["done"] == [] and second_tick["files"] == []
    assert datetime.fromisoformat(first_tick["at"]) <= datetime.fromisoformat(second_tick["at"])
