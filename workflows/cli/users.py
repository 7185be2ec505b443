"""`accord users`: who may sign in to the web console."""

from __future__ import annotations

import secrets
import sys
from typing import Any

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json


def _accounts() -> Any:
    """workflows.config.accounts, which needs the `web` extra (argon2)."""
    try:
        from workflows.config import accounts
    except ImportError as error:
        raise click.ClickException(
            f"users of the web console need the `web` extra ({error.name} is missing): pip install 'accord[web]'"
        ) from None
    return accounts


def _file(ctx: Context) -> str:
    if not ctx.settings.web.users:
        raise click.UsageError("no users file: set ACCORD_USERS (or users in accord.toml) to the file to keep them in")
    return ctx.settings.web.users


@click.group()
def users() -> None:
    """Who may sign in to `accord serve`: names and argon2 hashes of their
    passwords, in the file ACCORD_USERS names. What a user may change (a
    task, from its page), the policy's roles say: a user in no role reads."""


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt.")
@json_option
@pass_context
def users_add(ctx: Context, name: str, password_stdin: bool, as_json: bool) -> None:
    """Add a user, or set a user's password (asked twice, not shown).

    \b
    Example:
      ACCORD_USERS=/etc/accord/users.toml accord users add alice
      printf '%s' "$PASSWORD" | accord users add alice --password-stdin
    """
    path = _file(ctx)
    if password_stdin:
        password = sys.stdin.read().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    new = _accounts().add(path, name, password)
    if as_json:
        print_json({"user": name, "added": new, "file": path})
        return
    echo(f"{name} {'added to' if new else 'has a new password in'} {path}")


@users.command("remove")
@click.argument("name")
@json_option
@pass_context
def users_remove(ctx: Context, name: str, as_json: bool) -> None:
    """Remove a user: they can no longer sign in (what they recorded stays, under their name).

    \b
    Example:
      accord users remove alice
    """
    path = _file(ctx)
    _accounts().remove(path, name)
    if as_json:
        print_json({"user": name, "removed": True, "file": path})
        return
    echo(f"{name} removed from {path}")


@users.command("list")
@json_option
@pass_context
def users_list(ctx: Context, as_json: bool) -> None:
    """The users who may sign in (their names; the hashes stay in the file).

    \b
    Example:
      accord users list
    """
    names = sorted(_accounts().load(_file(ctx)))
    if as_json:
        print_json(names)
        return
    echo("\n".join(names) if names else "no users yet: `accord users add NAME` adds one")


@users.command("new-secret")
@json_option
def users_new_secret(as_json: bool) -> None:
    """Print a new key for ACCORD_WEB_SECRET, which signs the console's
    session cookies (set it, or everyone is signed out at each start).

    \b
    Example:
      export ACCORD_WEB_SECRET=$(accord users new-secret)
    """
    secret = secrets.token_urlsafe(48)
    if as_json:
        print_json({"secret": secret})
    else:
        click.echo(secret)
