"""Shell completion (bash, zsh, fish, as click makes it) offers the store's
partner codes, open task ids, meeting ids and event types, read from the
views as they stand; it writes nothing, and offers nothing it cannot read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import accord, as_json, stored_count, submit_rows, visit

pytestmark = pytest.mark.integration

ACCORD = str(Path(sys.executable).with_name("accord"))


def offered(db: str, line: str, shell: str = "bash") -> list[str]:
    """What completing the last word of `line` offers, as the shell asks it."""
    words = line.split(" ")
    # Bash and zsh give the word's index; fish gives the word itself.
    current = words[-1] if shell == "fish" else str(len(words) - 1)
    env = {
        **os.environ,
        "ACCORD_DB": db,
        "_ACCORD_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": current,
    }
    out = subprocess.run([ACCORD], env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    lines = [entry for entry in out.splitlines() if entry]
    return [entry.split(",", 1)[1] for entry in lines] if shell == "bash" else lines


def test_partner_codes_tasks_meetings_and_event_types_are_offered(demo_db: str) -> None:
    tasks = as_json(accord(demo_db, "tasks", "--json"))  # the views current, as after any read

    assert offered(demo_db, "accord tasks --partner T") == ["TN", "TR"]
    assert offered(demo_db, "accord report partnership M") == ["MA", "MR"]
    assert offered(demo_db, "accord task show ") == [task["task_id"][:8] for task in tasks]
    assert "jha-council-2021-06-07" in offered(demo_db, "accord report briefing j")
    assert offered(demo_db, "accord submit Visit") == ["VisitHeld", "VisitPlanned"]
    assert offered(demo_db, "accord correct --meeting counter") == ["counter-smuggling-conference-2020"]


def test_zsh_and_fish_are_offered_the_same_with_their_descriptions(demo_db: str) -> None:
    as_json(accord(demo_db, "partners", "--json"))

    assert offered(demo_db, "accord tasks --partner TN", "zsh")[:3] == ["plain", "TN", "Tunisia"]
    assert offered(demo_db, "accord tasks --partner TN", "fish") == ["plain,TN\tTunisia"]


def test_completion_writes_nothing_and_offers_what_exists_while_the_views_are_behind(db: str) -> None:
    assert submit_rows(db, {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01"}).exit_code == 0
    assert submit_rows(db, visit("TN", 3)).exit_code == 0
    before = stored_count(db)

    assert offered(db, "accord tasks --partner T") == ["TN"]  # from the log: the view has not read it
    assert stored_count(db) == before  # the follower did not run: no task was opened


def test_completion_offers_partners_and_tasks_as_the_views_stand_while_the_log_moves_on(demo_db: str) -> None:
    tasks = as_json(accord(demo_db, "tasks", "--json"))  # the views current
    assert accord(demo_db, "scheduler", "tick", "--at", "2021-08-01T09:00").exit_code == 0  # the log moves on
    assert submit_rows(demo_db, {"type": "PartnershipOpened", "partner": "TZ", "occurred_on": "2021-01"}).exit_code == 0

    assert offered(demo_db, "accord tasks --partner T") == ["TN", "TR", "TZ"]
    assert offered(demo_db, "accord task show ") == [task["task_id"][:8] for task in tasks]


def test_a_partnership_record_that_cannot_be_read_leaves_the_others_offered(db: str) -> None:
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    from tests.forgery import append_stored
    from workflows.application.reader import PARTNERSHIP_OPENED

    assert submit_rows(db, {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01"}).exit_code == 0
    for state in (b"{}", b"not json", b'{"partner": "\\u001b[31mXX"}'):
        append_stored(db, StoredEvent(uuid4(), 1, PARTNERSHIP_OPENED, state))

    assert offered(db, "accord tasks --partner T") == ["TN"]


def test_the_log_is_read_for_partnerships_by_the_topic_the_domain_records_them_under() -> None:
    from eventsourcing.utils import get_topic

    from domain.partnership import Partnership
    from workflows.application.reader import PARTNERSHIP_OPENED

    assert get_topic(Partnership.PartnershipOpened) == PARTNERSHIP_OPENED


def test_a_store_that_does_not_exist_is_offered_nothing_and_not_made(tmp_path: Path) -> None:
    db = tmp_path / "accord.db"

    assert offered(str(db), "accord tasks --partner T") == []
    assert not db.exists()
