"""`switchboard privacy export ID --out FILE`: a customer's archive, from a shell.

Loads only the settings and the store. The export is audited as done by the system
through the CLI (a shell has no staff user; whoever runs it holds the server's keys)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click


@click.group()
def privacy() -> None:
    """Customers' rights: export what the store holds about one."""


@privacy.command("export")
@click.argument("customer_id", type=click.IntRange(min=1))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="the zip file to write",
)
def privacy_export(customer_id: int, out: Path) -> None:
    """Write everything held about customer CUSTOMER_ID to one zip archive."""
    from bot.api.export import write_archive
    from bot.cli.main import _fail_clearly, _settings
    from bot.wiring.bootstrap import open_database
    from crm_store import NotFound

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    try:
        path = write_archive(database, customer_id, None, "switchboard privacy export", "cli")
    except NotFound:
        raise click.ClickException(f"no customer {customer_id}") from None
    finally:
        database.dispose()
    try:
        shutil.move(path, out)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    click.echo(f"wrote {out}")
