"""Shell completion of what the store holds: partner codes, task ids,
meeting ids (event types and commands click completes itself). Asked of the
views as they stand, never brought up to date: a completion must come at
once and write nothing. While the views lag (just after a scheduler's tick
or a submission) they are read as they stand, and the partnerships opened
since are read from the log itself; nothing is offered when the store does
not exist or cannot be read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from workflows.config.settings import load

if TYPE_CHECKING:
    from workflows.application.reader import Reader

Values = Callable[["Reader"], Iterable[tuple[str, str]]]


def _offered(ctx: click.Context, values: Values, incomplete: str) -> list[CompletionItem]:
    from workflows.application.reader import open_as_they_stand

    root = ctx.find_root()
    try:
        settings, _ = load({"db": root.params.get("db")})
        reader = open_as_they_stand(settings.model_copy(update={"rules": None, "policy": None}))
        if reader is None:
            return []
        try:
            found = list(values(reader))
        finally:
            reader.close()
    except Exception:  # a completion never prints a traceback into the shell
        return []
    start = incomplete.lower()
    return [CompletionItem(value, help=help) for value, help in found if value.lower().startswith(start)]


def partner_codes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    def partners(reader: Reader) -> Iterable[tuple[str, str]]:
        found = dict((p["code"], p["name"]) for p in reader.partnerships.partners())
        found |= dict(reader.partners_not_yet_read())
        return sorted(found.items())

    return _offered(ctx, partners, incomplete)


def meeting_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    def meetings(reader: Reader) -> Iterable[tuple[str, str]]:
        return ((m["meeting"], f"{m['held_on']} {m['body']}") for m in reader.meetings.meetings())

    return _offered(ctx, meetings, incomplete)


def task_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The open tasks' ids (their first 8 characters, as tables show them)."""

    def tasks(reader: Reader) -> Iterable[tuple[str, str]]:
        from datetime import date

        from workflows.application.reader import TaskFilter

        return ((t["task_id"][:8], t["title"]) for t in reader.tasks.tasks(TaskFilter(date.today(), status="open")))

    return _offered(ctx, tasks, incomplete)
