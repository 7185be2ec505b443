"""Four eyes replayed: `accord approvals --as-of DAY` and `--known-at
MOMENT` show what had been proposed, approved and rejected by then, from a
replay of the log (workflows.audit.replay). The record is written by an
application whose clock the test moves, a day at a time, as a week of work
would. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.vocabulary import parse
from tests.helpers import as_json, open_partners, opened
from tests.integration.test_approvals import ONE_APPROVAL, commitment, policy_file, run
from workflows.application.clock import Clock
from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Europe/Brussels")
# The week the record is written in: days before today, so that a replay
# may ask for any of them.
MONDAY = datetime.now(ZONE).date() - timedelta(days=10)
TUESDAY = MONDAY + timedelta(days=1)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE)


class Week:
    """An application writing the record at the moments the test sets."""

    def __init__(self, db: str, policy: str) -> None:
        self.moment = at(MONDAY, 9)
        self.app: Accord = build(Settings(db=db, policy=policy), clock=Clock(ZONE, lambda: self.moment))

    def on(self, moment: datetime) -> Accord:
        self.moment = moment
        return self.app


@pytest.fixture
def policy(tmp_path: Path) -> str:
    return policy_file(tmp_path, ONE_APPROVAL)


@pytest.fixture
def week(db: str, policy: str) -> Iterator[Week]:
    """Monday 10:00 alice proposes tn-1 and tn-2; Tuesday 11:00 dana
    approves tn-1, 15:00 rejects tn-2."""
    written = Week(db, policy)
    try:
        app = written.on(at(MONDAY, 9))
        app.submit([parse(opened("TN"))], "alice")
        written.on(at(MONDAY, 10)).submit(
            [parse(commitment("tn-1")), parse({**commitment("tn-2", "EUR 5"), "funding": "tn-2"})],
            "alice",
        )
        written.on(at(TUESDAY, 11)).approve("tn-1", "dana")
        written.on(at(TUESDAY, 15)).reject("tn-2", "the decision is not signed", "dana")
        yield written
    finally:
        written.app.close()


def replayed(db: str, policy: str, *moment: str) -> dict[str, list[dict[str, Any]]]:
    shown: dict[str, list[dict[str, Any]]] = as_json(run(db, policy, "dana", "approvals", "--json", *moment))
    return shown


def states(shown: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[str, str]]:
    """Each proposal's key: the group it is in and its status."""
    return {p["key"]: (group, p["status"]) for group, listed in shown.items() for p in listed}


def test_as_of_a_day_before_the_approval_the_proposals_await_approval_and_after_they_are_decided(
    db: str, policy: str, week: Week
) -> None:
    before = replayed(db, policy, "--as-of", MONDAY.isoformat())
    after = replayed(db, policy, "--as-of", TUESDAY.isoformat())
    earlier = replayed(db, policy, "--as-of", (MONDAY - timedelta(days=1)).isoformat())

    assert states(before) == {"tn-1": ("awaiting_me", "proposed"), "tn-2": ("awaiting_me", "proposed")}
    assert states(after) == {"tn-1": ("decided", "approved"), "tn-2": ("decided", "rejected")}
    assert states(earlier) == {}
    assert states(replayed(db, policy)) == states(after)


def test_known_at_a_moment_between_the_approval_and_the_rejection_shows_one_decided_and_one_awaiting(
    db: str, policy: str, week: Week
) -> None:
    # Tuesday noon: tn-1 approved at 11:00, tn-2 not yet rejected (15:00).
    noon = replayed(db, policy, "--known-at", at(TUESDAY, 12).isoformat())
    monday_evening = replayed(db, policy, "--known-at", at(MONDAY, 18).isoformat())
    # As of a day, the whole day: the rejection of 15:00 is in.
    tuesday = replayed(db, policy, "--as-of", TUESDAY.isoformat())

    assert states(noon) == {"tn-1": ("decided", "approved"), "tn-2": ("awaiting_me", "proposed")}
    assert noon["decided"][0]["approved_by"] == [{"by": "dana", "for": None}]
    assert states(monday_evening) == {"tn-1": ("awaiting_me", "proposed"), "tn-2": ("awaiting_me", "proposed")}
    assert states(tuesday)["tn-2"] == ("decided", "rejected")


def test_a_replay_says_which_moment_it_shows(db: str, policy: str, week: Week) -> None:
    shown = run(db, policy, "dana", "approvals", "--as-of", MONDAY.isoformat())
    both = run(db, policy, "dana", "approvals", "--as-of", MONDAY.isoformat(), "--known-at", "now")

    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[:2] == [
        f"Proposals as of {MONDAY.isoformat()} (what had happened by then)",
        "Awaiting dana's approval (2)",
    ]
    assert both.exit_code == 2
    assert both.stderr == "accord: give --as-of or --known-at, not both: they answer different questions\n"


# Moments no replay can stand for, as a person or a script might type them.
HOSTILE_MOMENTS = [
    ("--as-of", "2021-02-30"),
    ("--as-of", "9" * 400),
    ("--as-of", "2021-06-01\x00"),
    ("--as-of", "2021-06-01\n2021-06-02"),
    ("--as-of", "<script>alert(1)</script>"),
    ("--known-at", "2021-06-01T25:00"),
    ("--known-at", "-" * 200_000),
    ("--known-at", "now\x00"),
    ("--known-at", "9999-12-31T23:59:59+99:00"),
]


@pytest.mark.hostile
@pytest.mark.parametrize("command", [["approvals"], ["report", "results"]], ids=["approvals", "results"])
def test_hostile_moments_of_a_replay_are_refused_in_a_sentence(db: str, policy: str, command: list[str]) -> None:
    open_partners(db, "TN")
    for option, value in HOSTILE_MOMENTS:
        refused = run(db, policy, "dana", *command, option, value)

        assert refused.exit_code == 2, (option, value[:40], refused.output[:300])
        said = refused.stderr.strip().splitlines()
        assert said and len(said[-1]) < 600 and "Traceback" not in refused.stderr
        assert "\x00" not in refused.stderr and "<script>" not in refused.stdout
