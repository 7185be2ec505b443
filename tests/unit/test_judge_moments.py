"""The judging pass over records as the store holds them, without a store:
the moments of the log never go back from where its writers kept them in
order (workflows.store.moments); before that, but for a writer's own lag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.persistence import JSONTranscoder

from domain.base import _envelope
from domain.partnership import Partnership
from domain.values import Stamp
from workflows.judge import Court
from workflows.store.persistence import PydanticMapper

AT = datetime(2021, 7, 1, 9, 0, tzinfo=UTC)
MAPPER = PydanticMapper(transcoder=JSONTranscoder())


def stored(event_class: Any, version: int, at: datetime, **facts: Any) -> tuple[Any, ...]:
    """A record as the events table holds it (on PostgreSQL: the id a UUID)."""
    topic = "domain.partnership:Partnership" if event_class is Partnership.PartnershipOpened else None
    envelope = _envelope(Partnership.id_for("TN"), version, Stamp("desk", at, f"key-{version}"), topic=topic)
    record = MAPPER.to_stored_event(event_class(**envelope, partner="TN", occurred_on="2021-06", **facts))
    return record.originator_id, record.originator_version, record.topic, record.state


def judged(*moments: datetime, in_order_from: int | None = 1) -> list[str]:
    court = Court(MAPPER, None, lambda aggregate_id, version: [], in_order_from)
    court.hear(1, *stored(Partnership.PartnershipOpened, 1, moments[0]))
    for version, moment in enumerate(moments[1:], start=2):
        court.hear(version, *stored(Partnership.PartnershipNoteAdded, version, moment, text="a note"))
    return [str(finding) for finding in court.judgement.findings]


def test_a_record_a_microsecond_behind_one_before_it_is_named_back_dated() -> None:
    [finding] = judged(AT, AT + timedelta(minutes=2), AT + timedelta(minutes=2, microseconds=-1))

    assert finding == (
        "position 3: PartnershipNoteAdded on partnership TN by desk: recorded at 2021-07-01T09:01:59.999999+00:00, "
        "before position 2 (recorded at 2021-07-01T09:02:00+00:00): the log's moments go back here, so it was "
        "back-dated"
    )


def test_records_of_one_moment_are_in_order() -> None:
    assert judged(AT, AT, AT + timedelta(seconds=1), AT + timedelta(seconds=1)) == []


def test_before_the_writers_kept_moments_in_order_a_record_a_minute_behind_is_a_writers_lag() -> None:
    late = (AT, AT + timedelta(minutes=2), AT + timedelta(minutes=1))

    assert judged(*late, in_order_from=None) == []
    assert judged(*late, in_order_from=4) == []
    assert len(judged(*late, in_order_from=3)) == 1


def test_before_the_writers_kept_moments_in_order_more_than_five_minutes_behind_is_named_back_dated() -> None:
    moments = (AT, AT + timedelta(minutes=10), AT + timedelta(minutes=9), AT + timedelta(minutes=4))

    [finding] = judged(*moments, in_order_from=None)

    assert finding == (
        "position 4: PartnershipNoteAdded on partnership TN by desk: recorded at 2021-07-01T09:04:00+00:00, more "
        "than 5 minutes before position 2 (recorded at 2021-07-01T09:10:00+00:00): the log's moments go back "
        "here, so it was back-dated"
    )
