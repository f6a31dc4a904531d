"""`switchboard check`: the database, then each channel checked once against its
provider, one line each.

For an operator's first hour: the same checks the server runs at start (Slack
`auth.test` and the handoff channel, Twilio's account, SMTP and IMAP logins), without
starting it or loading a model, after the database every channel's messages are kept in.
Exit status 1 when the database or a configured channel fails.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.settings import Settings


@click.command(
    "check", short_help="Check the database and each configured channel against its provider."
)
def check() -> None:
    """Check the database and each configured channel against its provider; exit 1 if
    one fails."""
    from bot.cli.settings_errors import load_settings
    from bot.wiring.channel_health import ChannelHealth
    from bot.wiring.checks import channel_checks

    settings = load_settings()
    database, database_failing = database_line(settings)
    click.echo(database)
    health = ChannelHealth(channel_checks(settings), settings.checks, log_changes=False)
    asyncio.run(health.check())
    for name in health.states:
        click.echo(health.line(name))
    if database_failing or health.failing:
        raise SystemExit(1)


def database_line(settings: Settings) -> tuple[str, bool]:
    """How the database is, as the server would find it at start, and whether that
    fails the check. Without it, `check` said "web chat is on" and passed while the
    database was down or its schema behind, and the server then refused to start."""
    from crm_store import Database
    from crm_store.migrate import pending_migrations
    from crm_store.outage_log import first_line

    database = Database(settings.database_url, pool_size=1)
    shown = database.url.render_as_string(hide_password=True)
    try:
        database.ping()
        behind = pending_migrations(database)
    except Exception as exc:  # any driver error: the server could not start on it
        reason = first_line(exc.__cause__ or exc)  # the driver's words, not the wrappers'
        return (
            f"database is failing: {reason} (check SWITCHBOARD_DATABASE__URL)",
            True,
        )
    finally:
        database.dispose()
    if not behind:
        return f"database is reachable: {shown}, its schema up to date", False
    if settings.migrate_on_start:
        return f"database is reachable: {shown}, the server migrates it at start", False
    return (
        f"database is failing: {shown} is not at the newest migration: run "
        "`switchboard db upgrade` (or set SWITCHBOARD_DATABASE__AUTO_MIGRATE=true)",
        True,
    )
