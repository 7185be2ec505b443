"""What every command shares: settings, the application built on demand,
and one place where errors become a sentence and an exit status."""

from __future__ import annotations

import calendar
import contextlib
import gc
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workflows.cli.output import echo
from workflows.config.settings import Settings

if TYPE_CHECKING:
    from workflows.application.compose import Clock
    from workflows.application.reader import Reader
    from workflows.application.service import Accord


class Context:
    """Settings, and the application built only when a command needs it."""

    def __init__(self, settings: Settings, debug: bool, sources: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.debug = debug
        # Where each setting came from (workflows.config.settings.load), for `accord config`.
        self.sources = sources or {}
        # Where a read-only store is copied to be read, while a command runs.
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    @cached_property
    def clock(self) -> Clock:
        """The one clock of the process, which the application shares."""
        from workflows.application.compose import business_clock

        return business_clock(self.settings)

    @cached_property
    def app(self) -> Accord:
        """The application over the store: for a command that only reads,
        over a store that exists (read through a copy where it cannot be
        written), or the hot standby ACCORD_READ_DB names; for `audit
        verify`, over the store opened read-only; for one that records,
        over a store that can be written."""
        from workflows.application.compose import build, build_read_only, build_standby, for_reading, for_recording

        if not reading():
            return build(for_recording(self.settings), clock=self.clock)
        if command_is("audit verify"):
            # Proves the store without changing it: the database refuses any write.
            return build_read_only(self.settings, clock=self.clock)
        if self.on_standby():
            standby = build_standby(self.settings, clock=self.clock)
            self._reading_standby(standby.behind())
            return standby
        settings = for_reading(self.settings, self._scratch_folder)
        if settings.db != self.settings.db:
            echo(f"accord: the store at {self.settings.db} is read-only here: reading a copy of it", err=True)
        return build(settings, clock=self.clock)

    @cached_property
    def reader(self) -> Reader:
        """The views, up to date. When they are current they are read as they
        stand, which needs neither the domain nor the rules (a fraction of a
        start-up); else the application brings them up to date first. With
        ACCORD_READ_DB, a command that only reads reads them on that hot
        standby, as they stand there, and says how far behind it is."""
        from workflows.application.reader import open_reader, open_standby

        if self.on_standby():
            if "app" in self.__dict__:
                return self.app.reader
            standby, behind = open_standby(self.settings)
            self._reading_standby(behind)
            return standby
        reader = open_reader(self.settings)
        if reader is not None:
            return reader
        from workflows.cli.progress import caught_up

        return caught_up(self.app).reader

    def on_standby(self) -> bool:
        """Whether this command reads the hot standby ACCORD_READ_DB names:
        one that only reads, but not `audit verify`, which compares the views
        with fresh ones it builds beside them (a standby takes no writes)."""
        return bool(self.settings.read_db) and reading() and not command_is("audit verify")

    def _reading_standby(self, behind: str) -> None:
        echo(f"accord: {behind}", err=True)
        # From here on the command's store is the standby: its errors name it.
        assert self.settings.read_db is not None
        self.settings = self.settings.model_copy(update={"db": self.settings.read_db})

    def _scratch_folder(self) -> Path:
        """A folder of this command's, removed when it ends."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="accord-read-only-")
        return Path(self._scratch.name)

    def stored(self) -> str:
        """What this process stored, for a command interrupted: each
        transaction is stored whole or not at all."""
        app = self.__dict__.get("app")
        count = app.events.stored if app is not None else 0
        if not count:
            return "nothing was stored"
        return f"{count:,} event(s) were stored before it, each transaction whole; nothing after"

    def close(self) -> None:
        """Release the store's connections, if a command opened them."""
        if "reader" in self.__dict__:
            self.__dict__.pop("reader").close()
        if "app" in self.__dict__:
            self.__dict__.pop("app").close()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


class AccordGroup(click.Group):
    """Turns Accord's errors into one clear line and an exit status:
    2 for bad input, 1 for a store that cannot be used. `--debug` re-raises.
    Its commands are named with their module (`commands_at`, "module:name"
    in workflows.cli) and imported when first asked for."""

    def __init__(self, *args: Any, commands_at: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands_at = commands_at or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.commands_at})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.commands_at:
            module, name = self.commands_at[cmd_name].split(":")
            self.add_command(getattr(import_module(f"workflows.cli.{module}"), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, where a reader gone away is caught
            _say_what_was_left_out(ctx)
            return result
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError as error:
            # The reader went away (`accord tasks --json | head -1`): end as
            # a tool killed by SIGPIPE does, quietly, with 128 + 13. Rows
            # still being read are let go now, while the store is open.
            error.__traceback__ = None
            gc.collect()
            _silence_stdout()
            sys.exit(141)
        except KeyboardInterrupt:
            obj = ctx.find_object(Context)
            echo(f"\naccord: interrupted; {obj.stored() if obj else 'nothing was stored'}", err=True)
            sys.exit(130)
        except Exception as error:
            obj = ctx.find_object(Context)
            if obj is None or obj.debug:
                raise
            from workflows.application.errors import explain

            status, message = explain(error, obj.settings)
            echo(f"accord: {message}", err=True)
            sys.exit(status)


def _say_what_was_left_out(ctx: click.Context) -> None:
    """Each event a reader of the log left out (an export, a replay), on
    standard error: nothing is skipped silently."""
    obj = ctx.find_object(Context)
    app = obj.__dict__.get("app") if obj is not None else None
    for said in getattr(app, "left_out", ()):
        echo(f"accord: {said}", err=True)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that Python's last flush of
    what is still buffered finds no closed pipe."""
    # Not a file (a test's runner): nothing will be flushed to a pipe.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# The commands that only read the store: they never make one, and read one
# that cannot be written (an archived copy). Every other command that opens
# the store may record on it.
READERS = (
    "partners",
    "partner",
    "tasks",
    "task show",
    "report",
    "export",
    "audit",
    "rules show",
    "rules simulate",
    "projections status",
    "scheduler status",
    "keys list",
    "policy history",
)


def reading() -> bool:
    """Whether the command running only reads the store."""
    return any(command_is(reader) for reader in READERS)


def command_is(name: str) -> bool:
    """Whether the command running is `name` ("audit verify"), or one of its
    group's ("audit")."""
    words = click.get_current_context().command_path.split()[1:]
    return words[: len(name.split())] == name.split()


pass_context = click.make_pass_decorator(Context)

# Positions in the log and counts, as the databases hold them (a signed
# 64-bit integer): a larger number is refused as it is parsed.
LARGEST = 2**63 - 1
# The most characters of a value an error quotes back.
QUOTED = 40


def quoted(value: object) -> str:
    """A value typed as an error quotes it: its start only, if it is long."""
    text = str(value)
    return repr(text if len(text) <= QUOTED else text[:QUOTED] + "…")


class Whole(click.ParamType[int, Any]):
    """A whole number from `least` to the largest a store holds."""

    name = "integer"

    def __init__(self, least: int) -> None:
        self.least = least

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            self.fail(f"{quoted(text)} is not a valid integer", param, ctx)
        if len(text.lstrip("+-")) > len(str(LARGEST)):
            self.fail(f"{quoted(text)} is larger than any a store holds (at most {LARGEST:,})", param, ctx)
        number = int(text)
        if number < self.least:
            self.fail(f"{number} is less than {self.least}", param, ctx)
        if number > LARGEST:
            self.fail(f"{number} is larger than any a store holds (at most {LARGEST:,})", param, ctx)
        return number


POSITION = HOW_MANY = Whole(1)
ALL_OR_HOW_MANY = Whole(0)

# The years a date or moment may name: the record's dates, and what Accord
# works out from them (a week later, five minutes earlier), stay within the
# calendar Python and the databases keep.
YEARS = range(1000, 9000)


def _within_the_years(value: datetime, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
    if value.year not in YEARS:
        raise click.BadParameter(
            f"{value.date().isoformat()} is out of the years Accord reads ({YEARS.start} to {YEARS.stop - 1})",
            ctx,
            param,
        )
    return value


class Day(click.ParamType[datetime, Any]):
    """A calendar day as people type it (YYYY-MM-DD): the one type of every
    command's dates, saying why a day that is not one is not ("February
    2021 has 28 days"), rather than naming a strptime format."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        given = str(value).strip()
        found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", given)
        if found is None:
            self.fail(f"{quoted(given)} is not a date: give a date as YYYY-MM-DD, e.g. 2021-03-01", param, ctx)
        year, month, day = map(int, found.groups())
        if not 1 <= month <= 12:
            self.fail(f"{given} is not a date: there is no month {month}", param, ctx)
        if year not in YEARS:
            self.fail(f"{given} is out of the years Accord reads ({YEARS.start} to {YEARS.stop - 1})", param, ctx)
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            month_name = f"{calendar.month_name[month]} {year}"
            self.fail(f"{given} is not a date: {month_name} has {days} days", param, ctx)
        return datetime(year, month, day)


DAY = Day()


class Moment(click.ParamType[datetime, Any]):
    """A date and time such as 2021-08-01T09:00, or `now`: in the zone it
    names (an offset, or Z for UTC), else in the business zone
    (ACCORD_TIMEZONE). It keeps the zone it was read in, so that what is
    shown of it says which."""

    name = "DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        obj = ctx.find_object(Context) if ctx else None
        zone = obj.settings.schedule.zone if obj else UTC
        given = str(value).strip()
        if given.lower() == "now":
            return (obj.clock.now() if obj else datetime.now(UTC)).astimezone(zone)
        try:
            moment = datetime.fromisoformat(given)
        except ValueError:
            self.fail(
                f"{quoted(value)} is not a date and time such as 2021-08-01T09:00 (in {zone}), "
                "2021-08-01T09:00Z (UTC) or now",
                param,
                ctx,
            )
        _within_the_years(moment, param, ctx)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
