"""`accord serve`: the web console."""

from __future__ import annotations

import click

from workflows.cli.context import Context, pass_context
from workflows.cli.output import echo, print_json


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Say where it listens as JSON on standard output: {"url", "store", "reads"} (the standby read, or the store).',
)
@pass_context
def serve(ctx: Context, host: str, port: int, as_json: bool) -> None:
    """Show the record in a browser: the portfolio, each partner, tasks,
    meetings and their briefings, funding, and the audit log, each page as
    it stands now, as of a date, or as known at a moment. Pages need no
    JavaScript; nothing is loaded from another site. Stop with Ctrl-C.

    Listens on 127.0.0.1 by default: put it behind a reverse proxy (with
    TLS) to serve others. Needs the `web` extra: pip install 'accord[web]'.

    With ACCORD_READ_DB, pages are read on that hot standby as they stand
    there (each says how far behind it is), and a task changed on its page
    is recorded on ACCORD_DB, the primary.

    \b
    Example:
      accord serve                        # then open http://127.0.0.1:8000/
      accord serve --port 8080 --host 0.0.0.0
    """
    try:
        import uvicorn

        from workflows.web.app import create
    except ImportError as error:
        raise click.ClickException(
            f"the web console needs the `web` extra ({error.name} is missing): pip install 'accord[web]'"
        ) from None
    url = f"http://{host}:{port}/"
    standby = ctx.settings.standby
    if as_json:
        print_json({"url": url, "store": ctx.settings.store, "reads": standby or ctx.settings.store})
    elif standby:
        echo(
            f"Accord at {url}, reading the standby {standby}, recording on {ctx.settings.store}; Ctrl-C stops it",
            err=True,
        )
    else:
        echo(f"Accord at {url} over {ctx.settings.store}; Ctrl-C stops it", err=True)
    # Live pages hold a connection open: a stop waits two seconds for them, no more.
    uvicorn.run(create(ctx.settings), host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
