"""`accord submit`: one event from options, or a file of JSON lines.

The options of each event type are generated from its pydantic model, so the
command line, the JSON Schema and the stored events always agree.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.progress import progress_bar

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from workflows.application.intake import Submission
    from workflows.application.submission import Receipt


class EventTypes(click.Group):
    """The subcommands of `submit`, one per event type, each built from its
    model when first asked for: `accord --help` need not build them all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from workflows.application.intake import event_types

        return event_types()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from workflows.application.intake import submission_model

        model = submission_model(cmd_name)
        return one_event_command(cmd_name, model) if model else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            ctx.fail(unknown_type(name, self.list_commands(ctx)))
        return super().resolve_command(ctx, args)


def unknown_type(name: str, known: list[str]) -> str:
    """No such event type, and the closest there are (compared in no case:
    "visitheld" is VisitHeld)."""
    import difflib

    by_case = {type_name.casefold(): type_name for type_name in known}
    closest = [by_case[c] for c in difflib.get_close_matches(name.casefold(), by_case, n=3, cutoff=0.6)]
    hint = f"; did you mean {' or '.join(closest)}?" if closest else ""
    return f"no event type {name!r}{hint} (`accord submit --help` lists them all)"


@click.group(cls=EventTypes, invoke_without_command=True)
@click.option(
    "--file",
    "-f",
    "source",
    type=click.File("rb"),
    help="A file of JSON lines, one event a line ('-' reads standard input).",
)
@json_option
@click.pass_context
def submit(ctx: click.Context, source: IO[bytes] | None, as_json: bool) -> None:
    """Record what happened: one event from options, or many from a file.

    Every submission has a key: its "id" if given, else a digest of its
    content. A key already recorded stores nothing, so re-running a file is
    safe. A file is checked whole first; if any line is bad, every bad line
    is reported and nothing is stored.

    \b
    Example:
      accord submit VisitHeld --partner TN --occurred-on 2021-05-20 \\
          --visitors "Commissioner Johansson" --visitors "Minister Lamorgese"
      accord submit --file events.jsonl
      echo '{"type": "PartnershipOpened", "partner": "EG", "occurred_on": "2021-06"}' | accord submit -f -
      accord submit VisitHeld --help      # the fields of one event type
    """
    if ctx.invoked_subcommand is not None:
        if source is not None:
            raise click.UsageError("give either --file or an event type, not both")
        return
    if source is None:
        click.echo(ctx.get_help())
        return
    submit_file(ctx.obj, source, as_json)


def submit_file(ctx: Context, source: IO[bytes], as_json: bool = False) -> None:
    """Check every line, then record them all at once, or none."""
    from workflows.application.intake import record_file

    report(record_file(ctx.app, source, ctx.settings.actor, progress_bar), as_json)


def report(receipt: Receipt, as_json: bool = False, *, dry_run: bool = False) -> None:
    """What a submission stored, or would store (`dry_run`); with `as_json`,
    each submission recorded and each already recorded before: its type,
    subject and key."""
    if as_json:
        print_json(receipt_json(receipt))
        return
    recorded, already = len(receipt.recorded), len(receipt.already)
    verb = "would record" if dry_run else "recorded"
    for submission, role in receipt.proposed:
        echo(
            f"{verb} {submission.type_name} on {submission.subject} (key {submission.key}) as a proposal awaiting "
            f"approval by {role}: it counts nowhere until approved (`accord approvals`)"
        )
    if receipt.proposed and not recorded + already:
        return
    if recorded + already == 1:
        submission = (receipt.recorded or receipt.already)[0]
        what = f"{submission.type_name} on {submission.subject} (key {submission.key})"
        echo(f"{verb} {what}" if recorded else f"already recorded: {what}")
        return
    kinds = ", ".join(f"{name} {count}" for name, count in sorted(receipt.by_type().items()))
    echo(f"{verb} {recorded} event(s)" + (f": {kinds}" if kinds else ""))
    if already:
        echo(f"already recorded: {already} (stored nothing for them)")


def receipt_json(receipt: Receipt) -> dict[str, list[dict[str, str]]]:
    """Each submission recorded and already recorded before; and, where
    the policy asks for approvals, each proposed, with the role it awaits."""

    def listed(submissions: list[Submission]) -> list[dict[str, str]]:
        return [{"type": s.type_name, "subject": s.subject, "key": s.key} for s in submissions]

    proposed = [
        {"type": s.type_name, "subject": s.subject, "key": s.key, "awaiting": role} for s, role in receipt.proposed
    ]
    shown = {"recorded": listed(receipt.recorded), "already": listed(receipt.already)}
    return shown | {"proposed": proposed} if proposed else shown


def one_event_command(name: str, model: type[Submission]) -> click.Command:
    @pass_context
    def record(ctx: Context, /, as_json: bool, **options: Any) -> None:
        from workflows.application.intake import from_options

        report(ctx.app.submit([from_options(name, options, option_name)], ctx.settings.actor), as_json)

    doc = (model.__doc__ or "").strip()
    example = example_line(name, model)
    return click.Command(
        name,
        callback=record,
        params=[
            *(option_for(field, info) for field, info in model.model_fields.items() if field != "type"),
            click.Option(["--json", "as_json"], is_flag=True, help="Print what was recorded as JSON."),
        ],
        help=f"{doc}\n\n\b\nExample:\n  {example}",
        short_help=doc.splitlines()[0] if doc else name,
    )


def option_name(field: str) -> str:
    """How a field of a submission is spelled on the command line."""
    head, _, rest = field.partition(".")
    return f"option --{head.replace('_', '-')}" + (f" ({rest})" if rest else "")


def option_for(name: str, info: FieldInfo) -> click.Option:
    """A click option from a pydantic field: its type, whether repeated or
    required, and its description as help (the field's shape is the one
    the console's forms read: workflows.application.forms)."""
    from workflows.application.forms import shape

    found = shape(info)
    click_type: click.ParamType[Any] = click.STRING
    if found.choices:
        click_type = click.Choice(list(found.choices))
    elif found.whole:
        click_type = click.INT
    help_text = info.description or ""
    if found.multiple:
        help_text += " (repeat the option for several)"
    elif not info.is_required() and info.default not in (None, ""):
        default = getattr(info.default, "value", info.default)
        help_text += f" [default: {default}]"
    return click.Option(
        ["--" + name.replace("_", "-")],
        type=click_type,
        multiple=found.multiple,
        required=info.is_required(),
        help=help_text,
    )


def example_line(name: str, model: type[Submission]) -> str:
    samples = {"partner": "TN", "occurred_on": "2021-05-20", "amount": "'EUR 1000000'"}
    parts = [f"accord submit {name}"]
    for field, info in model.model_fields.items():
        if field != "type" and info.is_required():
            parts.append(f"--{field.replace('_', '-')} {samples.get(field, '...')}")
    return " ".join(parts)
