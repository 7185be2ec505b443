"""The `accord` command line: a thin adapter over the application service.

Each command parses, calls one service, prints. Errors become one sentence:
bad input exits 2, an unreachable store exits 1; `--debug` shows tracebacks.
"""

from __future__ import annotations

import click

from workflows.cli.context import AccordGroup, Context
from workflows.config.settings import load

# Each command, by name, and where it is defined: a command's module is
# imported when the command is run (or help lists them all), so that one
# command does not pay for the definitions of all the others.
COMMANDS = {
    "init": "admin:init",
    "schema": "admin:schema",
    "demo": "admin:demo",
    "config": "admin:config",
    "submit": "submit:submit",
    "correct": "amend:correct",
    "retract": "amend:retract",
    "approvals": "approvals:approvals",
    "approve": "approvals:approve",
    "reject": "approvals:reject",
    "delegate": "approvals:delegate",
    "partners": "read:partners",
    "partner": "read:partner",
    "rates": "read:rates",
    "search": "search:search",
    "audit": "audit:audit",
    "tasks": "tasks:tasks_command",
    "task": "tasks:task",
    "report": "report:report",
    "export": "export:export",
    "import": "export:import_",
    "rules": "rules:rules",
    "projections": "rules:projections",
    "policy": "policy:policy",
    "directory": "directory:directory",
    "scheduler": "scheduler:scheduler",
    "deliveries": "deliveries:deliveries",
    "deliver": "deliveries:deliver",
    "serve": "serve:serve",
    "users": "users:users",
    "keys": "keys:keys",
}


@click.group(
    cls=AccordGroup,
    commands_at=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    help="The store: a SQLite file, or a postgresql://user@host:port/database URL. "
    "[env: ACCORD_DB; default: accord.db]",
)
@click.option("--actor", help="Who is recording (default: your login name). [env: ACCORD_ACTOR]")
@click.option(
    "--rules",
    type=click.Path(dir_okay=False),
    help="A workflow rule file (TOML) instead of the rules shipped with Accord. [env: ACCORD_RULES]",
)
@click.option(
    "--policy",
    type=click.Path(dir_okay=False),
    help="A policy file (TOML): who may record which event types. [env: ACCORD_POLICY]",
)
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(package_name="accord", message="accord %(version)s")
@click.pass_context
def main(
    ctx: click.Context, db: str | None, actor: str | None, rules: str | None, policy: str | None, debug: bool
) -> None:
    """Accord records what happens in a portfolio of external partnerships as
    immutable events, and turns them into follow-up work.

    \b
    Example:
      accord demo                       # a store holding the facts of the 2021 source note
      accord partners                   # who we work with
      accord submit VisitHeld --partner TN --occurred-on 2021-05-20 --visitors "Commissioner Johansson"
      accord audit log --partner TN     # who recorded what, and when

    Settings come from these options, else the environment (ACCORD_*), else
    a config file (accord.toml here, or the file ACCORD_CONFIG names), else
    their defaults: `accord config` shows each and where it came from.
    """
    flags = {"db": db, "actor": actor, "rules": rules, "policy": policy}
    try:
        settings, sources = load(flags)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    ctx.obj = Context(settings, debug, sources)
    ctx.call_on_close(ctx.obj.close)
