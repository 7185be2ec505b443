"""Setting up: the schema of the store, the JSON Schema of the vocabulary,
and the demo."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import partners, show

if TYPE_CHECKING:
    from importlib.abc import Traversable


def demo_data() -> Traversable:
    """The demo's facts: every fact of the 2021 source note, one a line."""
    from importlib.resources import files

    return files("workflows") / "data" / "demo.jsonl"


@click.command()
@click.option("--new-key", is_flag=True, help="Print a new key for ACCORD_CIPHER_KEY and do nothing else.")
@click.option(
    "--writer",
    "writers",
    multiple=True,
    metavar="ROLE",
    help="PostgreSQL: a login role that may record; the database then keeps the log append-only "
    "and stores each event with the user who recorded it. Repeat for several.",
)
@click.option(
    "--admin-key",
    type=click.Path(dir_okay=False),
    help="A private key file, made here (readable by you alone) if there is none: enroll its key as the "
    "store's first administrator's, under its own signature. From then on every write must be signed.",
)
@click.option("--holder", help="Who holds the --admin-key (default: the actor, your login name).")
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"store", "writers", "group", "admin_key"} (or {"key"}) as JSON.'
)
@pass_context
def init(
    ctx: Context,
    new_key: bool,
    writers: tuple[str, ...],
    admin_key: str | None,
    holder: str | None,
    as_json: bool,
) -> None:
    """Create the store, once, before Accord is used: a SQLite file and its
    tables, or the tables of a PostgreSQL database. No other command but
    `accord demo` makes one, so that a misspelled store is refused rather
    than recorded into. Running it again changes nothing. To keep events
    encrypted at rest, make a key with --new-key, keep it safe (without it
    the store cannot be read), and set ACCORD_CIPHER_KEY before the first
    event is recorded.

    \b
    Example:
      ACCORD_DB=postgresql://accord@db.example.org/accord accord init
      export ACCORD_CIPHER_KEY=$(accord init --new-key)
      accord init --writer alice --writer bob   # as the store's owner, on PostgreSQL
      accord init --admin-key admin.key --holder "Registry admin"   # sign every record from now on
    """
    if new_key:
        from eventsourcing.cipher import AESCipher

        key = AESCipher.create_key(num_bytes=32)
        if as_json:
            print_json({"key": key})
        else:
            click.echo(key)
        return
    from workflows.application.compose import initialise

    if writers and not ctx.settings.postgres:
        raise click.UsageError("--writer is for PostgreSQL; a SQLite file is guarded by its file's permissions")
    group = initialise(ctx.settings, writers)
    enrolled = None
    if admin_key is not None:
        from pathlib import Path

        from workflows.application.compose import enrol_admin
        from workflows.signing.keys import new_signer, write_key

        if not Path(admin_key).expanduser().exists():
            write_key(new_signer(), Path(admin_key).expanduser())
        enrolled = enrol_admin(ctx.settings, admin_key, holder or ctx.settings.actor)
    if as_json:
        given = {"admin_key": enrolled} if admin_key is not None else {}
        print_json({"store": ctx.settings.store, "writers": list(writers), "group": group, **given})
        return
    echo(f"the store at {ctx.settings.store} is ready")
    if enrolled:
        echo(f"key {enrolled} is its administrator's: every record from now on must be signed by an enrolled key")
    if group:
        echo(
            f"{', '.join(writers)} record through {group}: the log is append-only, "
            "and each event is stored with the database user who recorded it"
        )


@click.command()
@click.argument("type_name", required=False, metavar="[TYPE]")
@click.option("--json", "as_json", is_flag=True, help="Accepted as everywhere: the schema is JSON already.")
def schema(type_name: str | None, as_json: bool) -> None:
    """Print the JSON Schema of the event vocabulary, or of one event type.

    \b
    Example:
      accord schema VisitHeld
      accord schema > accord-events.schema.json
    """
    from workflows.application.intake import json_schema

    click.echo(json.dumps(json_schema(type_name), indent=2, ensure_ascii=False))


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print what was recorded as `submit --json` does ({"recorded", "already"}), not the partnerships.',
)
@click.pass_context
def demo(click_ctx: click.Context, as_json: bool) -> None:
    """Record every fact of the source note (a Commissioner's note of 6 June
    2021 on the EU's migration partnerships) and list the partnerships.

    The demo's data is a plain JSON-lines file that goes through
    `accord submit --file` like any other; it doubles as an example. The
    store is made first, as `accord init` makes it, if there is none.
    Running the demo again records nothing new.

    \b
    Example:
      ACCORD_DB=demo.db accord demo
      accord --db /tmp/demo.db demo && accord --db /tmp/demo.db partner show TR
    """
    from workflows.application.compose import for_recording, made
    from workflows.cli.submit import submit_file

    ctx: Context = click_ctx.obj
    made(for_recording(ctx.settings))
    demo = demo_data()
    if not as_json:
        echo(f"demo data: {demo}")
        echo(f"store:     {ctx.settings.store}")
    with demo.open("rb") as source:
        submit_file(ctx, source, as_json)
    if not as_json:
        click_ctx.invoke(partners, as_json=False)


@click.command()
@json_option
@pass_context
def config(ctx: Context, as_json: bool) -> None:
    """The settings in force, and where each came from: a flag (--db), the
    environment (ACCORD_DB), the config file, or the default. The first
    given wins, in that order. The config file is accord.toml in the
    working folder, or the file ACCORD_CONFIG names; it holds the same
    settings by their lower-case names:

    \b
        db = "postgresql://accord@db.example.org/accord"
        timezone = "Europe/Brussels"
        remind_days = 5

    \b
    Example:
      accord config
      accord config --json
    """
    from workflows.config.settings import in_force

    show(in_force(ctx.settings, ctx.sources), ["setting", "value", "from"], as_json, title="Settings in force")
