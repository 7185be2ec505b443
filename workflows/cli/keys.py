"""`accord keys`: the writers' signing keys, enrolled and revoked as facts in the log."""

from __future__ import annotations

from pathlib import Path

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, json_option, print_json
from workflows.cli.read import show

ROLES = ("admin", "person", "scheduler", "console")


@click.group()
def keys() -> None:
    """The keys that sign what is recorded: each writer (a person, the
    scheduler, the console) signs every transaction with its own Ed25519
    key, which ACCORD_KEY names; the public keys are facts in the log,
    enrolled and revoked under an administrator's key (docs/keys.md)."""


@keys.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--holder", required=True, help="Who holds the key: a person's name, or a service such as scheduler.")
@click.option(
    "--role", type=click.Choice(ROLES), default="person", show_default=True, help="What the key may sign for."
)
@json_option
@pass_context
def keys_new(ctx: Context, path: Path, holder: str, role: str, as_json: bool) -> None:
    """Make a key pair, write its private key to PATH (a new file only you
    may read), and enroll its public key in the store. Run by an
    administrator: ACCORD_KEY must be an administrator's key in force.
    Hand the file to its holder, who sets ACCORD_KEY to it.

    \b
    Example:
      accord keys new alice.key --holder alice
      accord keys new /etc/accord/scheduler.key --holder scheduler --role scheduler
    """
    from workflows.signing.keys import new_signer, write_key

    signer = new_signer()
    write_key(signer, path)
    try:
        key_id = ctx.app.enrol_key(signer.public, holder, role, ctx.settings.actor)  # type: ignore[arg-type]
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if as_json:
        print_json({"key_id": key_id, "holder": holder, "role": role, "file": str(path)})
        return
    echo(f"key {key_id} enrolled for {holder} ({role}); its private key is in {path}, readable by you alone")


@keys.command("list")
@json_option
@pass_context
def keys_list(ctx: Context, as_json: bool) -> None:
    """Every key the log enrolls: its id, holder, role, when it was enrolled
    and by whom, and when it was revoked and why.

    \b
    Example:
      accord keys list
      accord keys list --json
    """
    rows = [
        {
            "key_id": key.key_id,
            "holder": key.holder,
            "role": key.role,
            "enrolled_at": key.enrolled_on.isoformat(timespec="seconds"),
            "enrolled_by": key.enrolled_by,
            "revoked_at": key.revoked_on.isoformat(timespec="seconds") if key.revoked_on else None,
            "reason": key.reason,
        }
        for key in ctx.app.signing_keys()
    ]
    columns = ["key_id", "holder", "role", "enrolled_at", "enrolled_by", "revoked_at", "reason"]
    show(rows, columns, as_json, title="Signing keys")


@keys.command("revoke")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why, e.g. 'laptop lost' or 'left the unit'.")
@json_option
@pass_context
def keys_revoke(ctx: Context, key_id: str, reason: str, as_json: bool) -> None:
    """Revoke a key: nothing it signs from now on is valid, and `audit
    verify` names any record signed with it after this. Run by an
    administrator (ACCORD_KEY an administrator's key in force).

    \b
    Example:
      accord keys revoke 3f9a0c2e5b7d1a46 --reason "laptop lost"
    """
    key = key_id.strip().lower()
    if len(key) != 16 or any(c not in "0123456789abcdef" for c in key):
        raise click.BadParameter(f"{key_id!r} is not a key id: 16 hex digits, as `accord keys list` shows")
    ctx.app.revoke_key(key, reason, ctx.settings.actor)
    if as_json:
        print_json({"revoked": key, "reason": reason})
        return
    echo(f"key {key} revoked: {reason}")
