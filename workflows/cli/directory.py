"""`accord directory`: who each owner is and how to reach them."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import show


@click.group()
def directory() -> None:
    """Who each owner in the record is, and how to reach them: a TOML file
    that ACCORD_DIRECTORY names. Addresses live only there, never in the log."""


@directory.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@json_option
@pass_context
def directory_check(ctx: Context, path: str | None, as_json: bool) -> None:
    """Check a directory file (by default the one ACCORD_DIRECTORY names);
    every problem is named with its place, and every person nothing could
    reach (no address; a webhook, with no ACCORD_WEBHOOK_SECRET to sign it).
    Exits 0 if it can be used, 2 if not.

    \b
    Example:
      accord directory check people.toml
      ACCORD_DIRECTORY=people.toml accord directory check --json
    """
    from workflows.delivery.directory import DirectoryError, load_directory

    path = path or _named(ctx)
    found = load_directory(path)
    unroutable = found.unroutable(signed=ctx.settings.delivery.webhook_secret is not None)
    if unroutable:
        raise DirectoryError(path, unroutable)
    people = found.people.values()
    addresses = sum(len(person.email) for person in people)
    webhooks = sum(person.webhook is not None for person in people)
    if as_json:
        print_json({"file": path, "people": len(people), "email": addresses, "webhooks": webhooks})
        return
    echo(f"{path}: {len(people)} people, {addresses} email address(es), {webhooks} webhook(s), all valid")


@directory.command("show")
@json_option
@pass_context
def directory_show(ctx: Context, as_json: bool) -> None:
    """Print the people in the directory that ACCORD_DIRECTORY names: each
    owner, their name and how they are reached; then who each route reaches.

    \b
    Example:
      accord directory show
      ACCORD_DIRECTORY=people.toml accord directory show --json
    """
    from workflows.delivery.directory import load_directory

    path = _named(ctx)
    found = load_directory(path)
    if as_json:
        rows = [
            {
                "owner": owner,
                "name": person.name,
                "email": person.email,
                # The host only: a hook's address often holds its own secret token.
                "webhook": _host(person.webhook),
            }
            for owner, person in found.people.items()
        ]
        show(rows, [], as_json=True)
        return
    rows = [
        {
            "owner": owner,
            "name": person.name,
            "channels": "; ".join([*person.email, *([f"webhook {_host(person.webhook)}"] if person.webhook else [])]),
        }
        for owner, person in found.people.items()
    ]
    show(rows, ["owner", "name", "channels"], False, title=f"Directory: {path}", wrapped={"name", "channels"})
    for kind, owners in found.route:
        echo(f"{kind}: {', '.join(owners) or '(no one)'}")


@directory.command("new-secret")
@click.option("--json", "as_json", is_flag=True, help='Print {"secret"} as JSON.')
def directory_new_secret(as_json: bool) -> None:
    """Print a new key to sign webhooks with, for ACCORD_WEBHOOK_SECRET; give
    it to the receivers too, so that they can check each webhook came from Accord.

    \b
    Example:
      export ACCORD_WEBHOOK_SECRET=$(accord directory new-secret)
    """
    from workflows.delivery.webhook import new_secret

    secret = new_secret()
    if as_json:
        print_json({"secret": secret})
    else:
        click.echo(secret)


def _host(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


def _named(ctx: Context) -> str:
    path = ctx.settings.delivery.directory
    if not path:
        raise click.UsageError("no directory file: name one, or set ACCORD_DIRECTORY")
    return path
