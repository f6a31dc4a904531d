"""`switchboard actions serve`: Switchboard's actions as a standard Rasa action server.

The same rasa-sdk executor the bot runs in-process, served by rasa-sdk's own HTTP app
(`POST /webhook`, `GET /actions`, `GET /health`), so a Rasa deployment can point its
`action_endpoint` here. It trusts its caller's slots (customer id, verified): keep it on
a private network, as Rasa's own action servers are.
"""

from __future__ import annotations

import click

from bot.cli.help_format import WholeHelpGroup

__all__ = ["actions"]


@click.group(cls=WholeHelpGroup)
def actions() -> None:
    """Serve the actions to a Rasa server."""


@actions.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=click.IntRange(1, 65535))
def actions_serve(host: str, port: int) -> None:
    """Run the Rasa action server (POST /webhook) on the Switchboard store."""
    from bot.cli.main import _can_listen

    # Before the store and the executor (seconds), and before Sanic, which said so in a
    # traceback after this command had printed the address it was "on".
    _can_listen(host, port, holder="another action server")

    from rasa_sdk.endpoint import create_app

    from actions.call_shape import refuse_malformed_calls
    from bot.cli.main import _fail_clearly, _settings
    from bot.logs import configure_logging
    from bot.wiring.bootstrap import action_executor, open_database, verifiable_channels
    from crm_store.wakeups import announce_queued_rows

    settings = _settings()
    configure_logging(settings.log.level, settings.log.format)
    database = _fail_clearly(lambda: open_database(settings))
    # The same executor as the server's: contact changes send their code on the channels
    # this deployment has (the server's delivery worker sends what the actions queue,
    # woken by the announcement).
    announce_queued_rows(database)
    executor = action_executor(settings, database, verifiable_channels(settings))
    app = create_app(executor)
    refuse_malformed_calls(app)  # 400 with the reason, never a traceback or 200 null
    click.echo(f"Rasa action server on http://{host}:{port}/webhook", err=True)
    try:
        app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
    finally:
        database.dispose()
