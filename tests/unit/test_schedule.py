"""The scheduler's pure parts: dispatches issued once, its settings read with
a clear error for each bad one, and calendar jobs that know when they last ran."""

from datetime import UTC, datetime, time

import pytest

from domain.dispatch import Dispatch
from tests.helpers import environment, settings_from
from workflows.config.settings import Schedule, Web, load
from workflows.scheduler.work import Calendar


def test_a_dispatch_is_identified_by_its_kind_recipient_and_period(stamp):
    dispatch = Dispatch.issue("digest", "desk:TN", "2021-08-01", "Daily digest", {"title": "Daily digest"}, stamp())

    [event] = dispatch.collect_events()
    assert dispatch.id == Dispatch.id_of("digest", "desk:TN", "2021-08-01")
    assert (event.kind, event.recipient, event.period, event.content) == (
        "digest",
        "desk:TN",
        "2021-08-01",
        {"title": "Daily digest"},
    )
    assert Dispatch.id_of("digest", "desk:TN", "2021-08-02") != dispatch.id
    assert Dispatch.id_of("briefing", "desk:TN", "2021-08-01") != dispatch.id


def test_the_schedule_defaults_to_brussels_every_minute_digests_at_eight():
    schedule = settings_from(Schedule, {})

    assert (schedule.timezone, schedule.tick, schedule.digest_at, schedule.report_day) == (
        "Europe/Brussels",
        60.0,
        time(8, 0),
        "mon",
    )
    assert (schedule.remind_days, schedule.escalate_after, schedule.briefing_days) == (7, 7, 7)


def test_the_schedule_reads_every_setting():
    schedule = settings_from(
        Schedule,
        {
            "ACCORD_TIMEZONE": "UTC",
            "ACCORD_TICK": "0.5",
            "ACCORD_OUTBOX": "/srv/outbox",
            "ACCORD_REMIND_DAYS": "3",
            "ACCORD_ESCALATE_AFTER": "14",
            "ACCORD_DIGEST_AT": "7:30",
            "ACCORD_REPORT_DAY": "Friday",
            "ACCORD_BRIEFING_DAYS": "10",
        },
    )

    assert schedule == Schedule(
        timezone="UTC",
        tick=0.5,
        outbox="/srv/outbox",
        remind_days=3,
        escalate_after=14,
        digest_at=time(7, 30),
        report_day="fri",
        briefing_days=10,
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ACCORD_TIMEZONE", "Mars/Olympus", "is not a time zone"),
        ("ACCORD_TICK", "0", "ACCORD_TICK must be a number from 0.2 to 86400"),
        ("ACCORD_TICK", "soon", "ACCORD_TICK must be a number"),
        ("ACCORD_REMIND_DAYS", "-1", "ACCORD_REMIND_DAYS must be a whole number from 0 to 3660"),
        ("ACCORD_ESCALATE_AFTER", "1.5", "ACCORD_ESCALATE_AFTER must be a whole number"),
        ("ACCORD_DIGEST_AT", "25:00", "ACCORD_DIGEST_AT must be a time of day"),
        ("ACCORD_REPORT_DAY", "someday", "ACCORD_REPORT_DAY must be a weekday"),
    ],
)
def test_a_bad_setting_is_named_in_one_sentence(name, value, says):
    with pytest.raises(ValueError, match=says):
        settings_from(Schedule, {name: value})


def test_a_calendar_job_knows_its_last_run_in_the_business_zone():
    calendar = Calendar(Schedule(timezone="Europe/Brussels", digest_at=time(8, 0), report_day="mon"))

    # 06:30 UTC on 1 August 2021 is 08:30 in Brussels (summer time): today's digests are due.
    assert calendar.last_run(calendar.digest, datetime(2021, 8, 1, 6, 30, tzinfo=UTC)) == datetime(
        2021, 8, 1, 6, 0, tzinfo=UTC
    )
    # 05:30 UTC is 07:30 in Brussels: the last digests were yesterday's.
    assert calendar.last_run(calendar.digest, datetime(2021, 8, 1, 5, 30, tzinfo=UTC)) == datetime(
        2021, 7, 31, 6, 0, tzinfo=UTC
    )
    # 1 August 2021 is a Sunday: the last weekly report went out on Monday 26 July.
    assert calendar.last_run(calendar.report, datetime(2021, 8, 1, 6, 30, tzinfo=UTC)) == datetime(
        2021, 7, 26, 6, 0, tzinfo=UTC
    )


def test_a_groups_name_is_not_a_setting_of_its_own():
    # pydantic-settings would read ACCORD_SCHEDULE as the whole group, in JSON,
    # past the settings `accord config` shows; and fail on ACCORD_WEB=x.
    with environment({"ACCORD_SCHEDULE": '{"tick": 5}', "ACCORD_WEB": "x", "ACCORD_TICK": "7"}):
        settings, sources = load({})

    assert (settings.schedule.tick, sources["tick"]) == (7.0, "ACCORD_TICK")
    assert settings.web == Web()
