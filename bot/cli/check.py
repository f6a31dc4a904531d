"""`switchboard check`: each channel checked once against its provider, one line each.

For an operator's first hour: the same checks the server runs at start (Slack
`auth.test` and the handoff channel, Twilio's account, SMTP and IMAP logins), without
starting it or loading a model. Exit status 1 when a configured channel fails.
"""

from __future__ import annotations

import asyncio

import click


@click.command("check", short_help="Check each configured channel against its provider.")
def check() -> None:
    """Check each configured channel against its provider; exit 1 if one fails."""
    from bot.cli.settings_errors import load_settings
    from bot.wiring.channel_health import ChannelHealth
    from bot.wiring.checks import channel_checks

    settings = load_settings()
    health = ChannelHealth(channel_checks(settings), settings.checks, log_changes=False)
    asyncio.run(health.check())
    for name in health.states:
        click.echo(health.line(name))
    if health.failing:
        raise SystemExit(1)
