"""The scheduler's use cases: `serve` (`accord scheduler run`), one tick
(`tick_once`), and its `status`.

`serve`: APScheduler's triggers call one tick, every
ACCORD_TICK seconds and at the calendar jobs' times (so digests and the
weekly report go out on the minute). The first tick runs at once, and is the
catch-up of whatever fell due while no scheduler ran.

APScheduler runs in UTC; business dates are the settings' zone's. Late runs
are never dropped (`misfire_grace_time=None`) and a backlog of runs coalesces
into one: each tick does everything due at its moment anyway.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from eventsourcing.persistence import InterfaceError, OperationalError

from workflows.base.failures import BadInput
from workflows.config.settings import Settings
from workflows.delivery.courier import Courier, Outcome
from workflows.scheduler.leader import Leadership, leadership
from workflows.scheduler.ticks import TickLog
from workflows.scheduler.work import Tick, Watch, actions_by_kind
from workflows.store.retry import deadline, first_line, out_of_reach, wait_for_server

if TYPE_CHECKING:
    from workflows.application.service import Accord

log = logging.getLogger("accord.scheduler")


def describe(settings: Settings) -> list[str]:
    """What the scheduler will do, in a few lines for its log."""
    s = settings.schedule
    at = s.digest_at.strftime("%H:%M")
    return [
        f"reading {settings.store}; writing digests, reports and briefings to {s.outbox}",
        f"a tick every {s.tick:g} s: reminders {s.remind_days} days before a task is due, "
        f"escalation when overdue (level 2 after {s.escalate_after} days)",
        f"daily digests at {at}, the portfolio report on {s.report_day} at {at}, "
        f"briefings {s.briefing_days} days before each meeting ({s.timezone})",
        *([f"a signed seal of the record daily at {at}, appended to {s.seals}"] if s.seals else []),
    ]


def started(app: Callable[[], Accord], discard: Callable[[], None], settings: Settings) -> tuple[Watch, TickLog]:
    """The scheduler's use case and its tables, over the application `app()`
    builds. A service outlives a PostgreSQL server's restart: one out of
    reach as the scheduler starts is waited for, with a warning a second, as
    a submission waits for it; `discard()` drops a half-built application,
    so that the next try builds it afresh."""
    give_up = deadline()
    while True:
        try:
            return Watch(app(), settings.schedule, settings.delivery), TickLog(app())
        except (OperationalError, InterfaceError) as error:
            discard()
            wait_for_server(error, settings.store, give_up)


def serve(
    app: Callable[[], Accord],
    discard: Callable[[], None],
    settings: Settings,
    ticked: Callable[[Tick], None] = lambda tick: None,
) -> None:
    """Run the scheduler over the application `app()` builds (see `started`)
    until stopped, taking its turns with the store's other schedulers;
    `ticked` is told of each tick this scheduler did."""
    # The store first: no lock file is left beside a store that is not there.
    watch, ticks = started(app, discard, settings)
    lead = leadership(settings.db)
    try:
        run(watch, ticks, settings, lead, ticked)
    finally:
        lead.close()


def tick_once(app: Accord, settings: Settings, at: datetime, *, dry_run: bool = False) -> Tick:
    """One tick as of a moment, once the store's other schedulers let it
    act; recorded in the tick log unless a dry run (which records nothing)."""
    watch = Watch(app, settings.schedule, settings.delivery)
    lead = leadership(settings.db)
    try:
        with lead.turn(wait=True):
            tick = watch.tick(at, dry_run=dry_run)
            if not dry_run:
                TickLog(app).record(tick)
    finally:
        lead.close()
    return tick


def deliver_once(app: Accord, settings: Settings) -> list[Outcome]:
    """Send the deliveries due now, once the store's other schedulers let
    this process act (`accord deliver --once`, for cron)."""
    lead = leadership(settings.db)
    try:
        with lead.turn(wait=True):
            return Courier.of(app, settings.delivery).deliver(app.clock.now())
    finally:
        lead.close()


def status(app: Accord, settings: Settings) -> dict[str, str]:
    """The last tick, when the calendar jobs run next, and what is due now."""
    now = app.clock.now()
    watch = Watch(app, settings.schedule, settings.delivery)
    last = TickLog(app).last()
    due = watch.tick(now, dry_run=True)
    zone = settings.schedule.zone

    def next_run(trigger: Any) -> str:
        fire = trigger.get_next_fire_time(None, now + timedelta(seconds=1))
        return f"{fire.astimezone(zone):%Y-%m-%d %H:%M %Z}" if fire else "never"

    return {
        "last tick": f"{last['ran_at']} (as of {last['as_of']}, {last['host']}): {last['done']}" if last else "never",
        "next digests": next_run(watch.calendar.digest),
        "next portfolio report": next_run(watch.calendar.report),
        "next seal": next_run(watch.calendar.digest) if watch.sealing() else "never: no seals file, no auditors",
        "due now": ", ".join(f"{count} {kind}" for kind, count in actions_by_kind(due.done)) or "nothing",
        "deliveries": ", ".join(f"{count:,} {state}" for state, count in app.reader.deliveries.counts().items())
        + ("" if settings.delivery.directory else " (no directory: nobody is told)"),
    }


def run(
    watch: Watch,
    ticks: TickLog,
    settings: Settings,
    lead: Leadership,
    ticked: Callable[[Tick], None] = lambda tick: None,
) -> None:
    """Run until SIGTERM or SIGINT; a tick under way finishes first."""
    # The signals are waited for, not handled: a handler runs on the main
    # thread between any two of its steps, and one that stopped the
    # scheduler there could wait on a lock that very thread held (the
    # executor's, as a tick is handed to it), and never return. Blocked here,
    # they are blocked in the scheduler's threads too, which inherit the mask.
    signals = {signal.SIGTERM, signal.SIGINT}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    # One worker: ticks never overlap.
    executor = ThreadPoolExecutor(max_workers=1)
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": executor},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )

    def tick() -> None:
        try:
            with lead.turn() as leading:
                if not leading:  # the lock has said why
                    return
                done = watch.tick(watch.app.clock.now())
                ticks.record(done)
                log.info("tick as of %s: %s", done.at.isoformat(timespec="seconds"), ticks.summary(done))
            ticked(done)
        except Exception as error:
            # A store out of reach for a while must not stop the service: next tick tries again.
            if out_of_reach(error):
                log.warning(
                    "the tick failed, the store is out of reach (%s); trying again at the next one", first_line(error)
                )
            elif isinstance(error, BadInput):  # a file edited while it runs (the directory): said, not traced
                log.error("the tick failed: %s; the next tick reads it again", error)
            else:
                log.exception("the tick failed; trying again at the next one")

    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=settings.schedule.tick, timezone=UTC),
        id="tick",
        next_run_time=watch.app.clock.now(),
    )
    scheduler.add_job(tick, watch.calendar.digest, id="digests")
    scheduler.add_job(tick, watch.calendar.report, id="portfolio-report")
    try:
        for line in describe(settings):
            log.info("%s", line)
        scheduler.start()
        received = signal.sigwait(signals)
        log.info("stopping (%s)", signal.Signals(received).name)
        scheduler.shutdown(wait=False)
        # A tick under way finishes; a stop signal meanwhile is said, not obeyed.
        finishing = threading.Thread(target=executor.shutdown, kwargs={"wait": True})
        finishing.start()
        while finishing.is_alive():
            if signal.sigtimedwait(signals, 0.1) is not None:
                log.info("already stopping: the tick under way finishes first")
    finally:
        while signal.sigtimedwait(signals, 0) is not None:
            pass  # one more, as the tick ended: we are stopping anyway
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    log.info("stopped")
