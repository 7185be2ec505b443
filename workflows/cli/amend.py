"""`accord correct` and `accord retract`: a fact recorded in error, amended
by a fact of its own. The log keeps both; everything else goes by the
amended record (domain.amendments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import orjson

from workflows.cli.complete import meeting_ids, partner_codes
from workflows.cli.context import POSITION, Context, pass_context
from workflows.cli.output import json_option
from workflows.cli.submit import report

RECORDS = ("partner", "meeting", "initiative", "instrument", "indicator")


def _which_fact(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that name the amended fact, and why it is amended."""
    for decorate in reversed(
        [
            click.argument("key", required=False),
            click.option("--position", type=POSITION, help="The fact's position in `audit log`."),
            click.option(
                "--partner", help="The partner the fact is recorded on (with KEY).", shell_complete=partner_codes
            ),
            click.option(
                "--meeting", help="The meeting the fact is recorded on (with KEY).", shell_complete=meeting_ids
            ),
            click.option("--initiative", help="The initiative the fact is recorded on (with KEY)."),
            click.option("--instrument", help="The instrument the fact is recorded on (with KEY)."),
            click.option("--indicator", help="The indicator the fact is recorded on, e.g. TN/returns (with KEY)."),
            click.option("--reason", required=True, help="Why: what was wrong, and how it came to be recorded."),
            click.option(
                "--id", "key_of_amendment", help="This amendment's own key (default: a digest of its content)."
            ),
            json_option,
        ]
    ):
        command = decorate(command)
    return command


@click.command()
@_which_fact
@click.option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="FIELD=VALUE",
    help='A field and its right value; repeat for several. A list as JSON: visitors=\'["A", "B"]\'.',
)
@pass_context
def correct(ctx: Context, /, assignments: tuple[str, ...], **options: Any) -> None:
    """Correct fields of a fact recorded with a mistake.

    Name the fact by its key (the `id` it was submitted with, as `audit log
    --json` shows it) and its record, or by its position in `audit log`. The record
    is folded again with the correction and every rule checked anew: a
    commitment cannot be corrected below what was paid out on it. Reports,
    exports and tasks go by the new values (a task whose due date moves
    moves with it); `audit replay --known-at` a moment before shows the old.

    \b
    Example:
      accord correct tn-commit-2021 --partner TN --set amount="EUR 900000" \\
          --reason "typed 1,000,000 from the draft; the signed decision says 900,000"
      accord correct --position 412 --set occurred_on=2021-05-21 --reason "the visit was on the 21st"
    """
    changes = dict(_assignment(text) for text in assignments)
    _amend(ctx, "FactCorrected", {"changes": changes}, options)


@click.command()
@_which_fact
@pass_context
def retract(ctx: Context, /, **options: Any) -> None:
    """Withdraw a fact recorded in error.

    Name the fact by its key and its record, or by its position in `audit
    log`. Nothing that stands on it may remain (a disbursement on a
    retracted commitment); the first fact of a record is corrected, not
    retracted. Its open tasks are cancelled, saying why.

    \b
    Example:
      accord retract visit-2021-05-20 --partner TN --reason "entered on Tunisia; the visit was to Morocco"
      accord retract --position 412 --reason "recorded twice under two keys"
    """
    _amend(ctx, "FactRetracted", {}, options)


def _amend(ctx: Context, type_name: str, fields: dict[str, Any], options: dict[str, Any]) -> None:
    from workflows.application.intake import InvalidOptions, amendment

    record = {name: options[name] for name in RECORDS if options[name] is not None}
    if options["key"] is not None and len(record) != 1:
        raise InvalidOptions(
            "with KEY, name the fact's record: one of --partner, --meeting, --initiative, --instrument, --indicator"
        )
    submission = amendment(
        ctx.app,
        type_name,
        target=options["key"],
        position=options["position"],
        record=record,
        fields={**fields, "reason": options["reason"], "id": options["key_of_amendment"]},
        option_name=_option,
    )
    report(ctx.app.submit([submission], ctx.settings.actor), options["as_json"])


def _assignment(text: str) -> tuple[str, Any]:
    """FIELD=VALUE: a list or an object as JSON, anything else as text."""
    field, equals, value = text.partition("=")
    if not equals or not field.strip():
        raise click.BadParameter(f'{text!r} is not FIELD=VALUE, e.g. amount="EUR 900000"', param_hint="--set")
    if value.lstrip().startswith(("[", "{")):
        # orjson refuses a value nested past its depth in a sentence; json recursed into a RecursionError.
        try:
            return field.strip().replace("-", "_"), orjson.loads(value)
        except orjson.JSONDecodeError as error:
            raise click.BadParameter(f"{field}: not valid JSON ({error})", param_hint="--set") from None
    return field.strip().replace("-", "_"), value


def _option(field: str) -> str:
    """How a field of an amendment is given on the command line."""
    head, _, rest = field.partition(".")
    spelled = {"target": "KEY", "changes": "--set", "id": "--id"}.get(head, f"--{head.replace('_', '-')}")
    return f"{spelled} ({rest})" if rest else spelled
