"""`switchboard deliveries list|retry|discard`: dead sends and Slack calls, from a shell.

Loads only the settings and the store (no model), so it starts quickly. A retried row
is sent by the server's worker at its next poll."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.help_format import WholeHelpGroup

if TYPE_CHECKING:
    from bot.delivery.dead_rows import DeadRows
    from crm_store import Database


@click.group(short_help="Sends given up on: list, retry or discard them.", cls=WholeHelpGroup)
def deliveries() -> None:
    """Dead deliveries: customer sends and Slack calls retried until their window ended."""


def _rows() -> tuple[Database, DeadRows]:
    """The dead rows over the configured database (imported here: the CLI starts fast)."""
    from bot.cli.main import _fail_clearly, _settings
    from bot.delivery.dead_rows import DeadRows
    from bot.wiring.bootstrap import open_database

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    return database, DeadRows(database)


@deliveries.command("list")
@click.option(
    "--state", default="dead", show_default=True, type=click.Choice(["dead", "discarded"])
)
def deliveries_list(state: str) -> None:
    """List dead (or discarded) deliveries of both queues, oldest first."""
    database, rows = _rows()
    try:
        listed = rows.list(state)
    finally:
        database.dispose()
    if not listed:
        click.echo(f"no {state} deliveries", err=True)
    for row in listed:
        click.echo(
            f"{row.id}\t{row.queue}\t{row.channel}\t{row.target}\t"
            f"{row.attempts} tries\t{row.created_at:%Y-%m-%d %H:%M:%S}\t{row.last_error or ''}"
        )


@deliveries.command("retry")
@click.argument("delivery_id")
def deliveries_retry(delivery_id: str) -> None:
    """Send a dead delivery again, with a fresh retry window (e.g. outbox-12)."""
    from bot.delivery.dead_rows import UnknownDelivery
    from crm_store.wakeups import QUEUE_HAS_WORK, notify_now

    database, rows = _rows()
    try:
        revived = rows.retry(delivery_id)
        # The servers' workers take it now rather than at their next poll.
        for queue in sorted({name.split("-", 1)[0] for name in revived}):
            notify_now(database.url, QUEUE_HAS_WORK, queue)
    except (ValueError, UnknownDelivery) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
    click.echo(f"queued again: {' '.join(revived)}")


@deliveries.command("discard")
@click.argument("delivery_id")
def deliveries_discard(delivery_id: str) -> None:
    """Give a dead delivery up; it stays in the store, marked discarded."""
    from bot.delivery.dead_rows import UnknownDelivery

    database, rows = _rows()
    try:
        rows.discard(delivery_id)
    except (ValueError, UnknownDelivery) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
    click.echo(f"discarded: {delivery_id}")
