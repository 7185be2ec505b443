"""What every command shares: settings, the application built on demand,
and one place where errors become a sentence and an exit status."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING, Any

import click

from workflows.settings import Settings

if TYPE_CHECKING:
    from workflows.application import Accord
    from workflows.compose import Clock
    from workflows.reader import Reader


class Context:
    """Settings, and the application built only when a command needs it."""

    def __init__(self, settings: Settings, debug: bool) -> None:
        self.settings = settings
        self.debug = debug

    @cached_property
    def clock(self) -> Clock:
        """The one clock of the process, which the application shares."""
        from workflows.compose import business_clock

        return business_clock(self.settings)

    @cached_property
    def app(self) -> Accord:
        from workflows.compose import build

        return build(self.settings, clock=self.clock)

    @cached_property
    def reader(self) -> Reader:
        """The views, up to date. When they are current they are read as they
        stand, which needs neither the domain nor the rules (a fraction of a
        start-up); else the application brings them up to date first."""
        from workflows.reader import open_reader

        reader = open_reader(self.settings)
        if reader is not None:
            return reader
        self.app.refresh()
        return self.app.reader

    def close(self) -> None:
        """Release the store's connections, if a command opened them."""
        if "reader" in self.__dict__:
            self.__dict__.pop("reader").close()
        if "app" in self.__dict__:
            self.__dict__.pop("app").close()


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
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as error:
            obj = ctx.find_object(Context)
            if obj is None or obj.debug:
                raise
            from workflows.errors import explain

            status, message = explain(error, obj.settings)
            click.echo(f"accord: {message}", err=True)
            sys.exit(status)


pass_context = click.make_pass_decorator(Context)

# A calendar day as people type it.
DAY = click.DateTime(formats=["%Y-%m-%d"])


class Moment(click.ParamType[datetime, Any]):
    """A date and time such as 2021-08-01T09:00, in the business zone unless it names its own."""

    name = "DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date and time such as 2021-08-01T09:00", param, ctx)
        if moment.tzinfo is None:
            obj = ctx.find_object(Context) if ctx else None
            zone = obj.settings.schedule.zone if obj else UTC
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)
