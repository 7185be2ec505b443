"""Finding what was recorded between two moments without reading the whole
log: the log halved by its records' stamps, the records near either end read
one by one and those between counted by the database; the counts are what
reading every record gives. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import application, submit_rows
from workflows.audit import log as audit_log

pytestmark = pytest.mark.integration


def notes(count: int, tag: str) -> list[dict[str, Any]]:
    return [
        {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-06-01", "text": f"{tag} {n}"}
        for n in range(count)
    ]


def test_the_counts_between_two_moments_are_those_of_every_record_read(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "SLACK", timedelta(milliseconds=300))
    moments = []
    for batch in range(4):
        assert submit_rows(db, {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15"},
                           *notes(40 + batch, f"batch {batch}")).exit_code == 0  # fmt: skip
        time.sleep(1.0)
        moments.append(datetime.now(UTC))
        time.sleep(1.0)

    with application(db) as app:
        logged = [(n.id, app.mapper.to_domain_event(n)) for n in app.notifications()]
        everything = [event for _, event in logged]
        for since, until in [(moments[0], moments[2]), (moments[1], moments[2]), (moments[0], moments[3])]:
            start, counts = audit_log.recorded_between(app, since, until)
            truth = Counter(type(e).__name__ for e in everything if since <= e.timestamp <= until)
            assert +counts == truth
            assert all(event.timestamp < since for position, event in logged if position < start)
        assert audit_log.first_stamped(app, datetime.now(UTC)) == app.head() + 1
        assert audit_log.first_stamped(app, datetime(2000, 1, 1, tzinfo=UTC)) == 1
