"""`switchboard privacy export CUSTOMER --out FILE`: a customer's archive, from a
shell; `switchboard privacy erase CUSTOMER`: erase them (the checklist worked here, the
rest retried by the server's erasure worker); `switchboard privacy erasure ID`: an
erasure's report. CUSTOMER is an id, an email or a phone (bot/cli/customer_argument.py).

Loads only the settings and the store. The export is audited as done by the system
through the CLI (a shell has no staff user; whoever runs it holds the server's keys)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import click

from bot.cli.customer_argument import CUSTOMER_HELP, customer_id_of
from bot.cli.help_format import WholeHelpGroup


@click.group(short_help="Export or erase a customer's data; retention.", cls=WholeHelpGroup)
def privacy() -> None:
    """Customers' rights: export what the store holds about one, erase them, retention."""


@privacy.command("export", epilog=CUSTOMER_HELP)
@click.argument("customer")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="the zip file to write",
)
def privacy_export(customer: str, out: Path) -> None:
    """Write everything held about CUSTOMER to one zip archive."""
    from bot.api.export import write_archive
    from bot.cli.main import _fail_clearly, _settings
    from bot.wiring.bootstrap import open_database
    from crm_store import NotFound

    if not out.parent.is_dir():  # checked first: the export is audited once written
        raise click.BadParameter(f"{out.parent} is not a directory", param_hint="--out")
    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    try:
        customer_id = customer_id_of(database, customer, settings.staff.default_phone_region)
        path = write_archive(database, customer_id, None, "switchboard privacy export", "cli")
    except NotFound:
        raise click.ClickException(f"no customer {customer_id}") from None
    finally:
        database.dispose()
    try:
        shutil.move(path, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(path):
            os.unlink(path)
    click.echo(f"wrote {out}")


@privacy.command("erase", epilog=CUSTOMER_HELP)
@click.argument("customer")
@click.option(
    "--wait-seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="work the checklist here this long; what is left is retried by the server",
)
def privacy_erase(customer: str, wait_seconds: float) -> None:
    """Erase CUSTOMER everywhere Switchboard put their data, and print the
    erasure's checklist and report (JSON)."""
    from bot.api.erasure import start_erasure
    from bot.cli.main import _fail_clearly, _settings
    from bot.wiring.bootstrap import open_database
    from crm_store import NotFound
    from crm_store.wakeups import announce_queued_rows

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    # The servers' workers hear of the steps (they share them) and of the webhook event.
    announce_queued_rows(database)
    try:
        customer_id = customer_id_of(database, customer, settings.staff.default_phone_region)
        try:
            started = start_erasure(
                database,
                settings.erasure_key(),
                customer_id,
                None,
                "switchboard privacy erase",
                "cli",
            )
        except NotFound:
            raise click.ClickException(f"no customer {customer_id}") from None
        shown = asyncio.run(_work(settings, database, started["id"], wait_seconds))
    finally:
        database.dispose()
    click.echo(json.dumps(shown, indent=2))


@privacy.command("erasure")
@click.argument("erasure_id", type=click.IntRange(min=1))
def privacy_erasure(erasure_id: int) -> None:
    """Print erasure ERASURE_ID's checklist and report (JSON): ids and counts only."""
    from bot.cli.main import _fail_clearly, _settings
    from bot.wiring.bootstrap import open_database
    from crm_store import NotFound
    from crm_store import erasures as store

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    try:
        with database.transaction() as session:
            shown = store.get_erasure(session, erasure_id).as_json()
    except NotFound:
        raise click.ClickException(f"no erasure {erasure_id}") from None
    finally:
        database.dispose()
    click.echo(json.dumps(shown, indent=2))


async def _work(settings: Any, database: Any, erasure_id: int, wait_seconds: float) -> Any:
    """Work this erasure's due steps until it is finished, or `wait_seconds` pass (a
    step waiting for its retry is then left to the server's erasure worker)."""
    from bot.wiring.erasure import erasure_worker
    from crm_store import erasures as store

    worker = erasure_worker(settings, database, only_erasure=erasure_id)
    deadline = time.monotonic() + wait_seconds
    while True:
        await worker.work_due()
        with database.transaction() as session:
            shown = store.get_erasure(session, erasure_id)
        if shown.status != "running" or time.monotonic() >= deadline:
            return shown.as_json()
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


@privacy.command("retention")
@click.option("--dry-run", is_flag=True, help="count what would be removed; change nothing")
def privacy_retention(dry_run: bool) -> None:
    """Apply the retention settings (SWITCHBOARD_PRIVACY__*_MONTHS) now and print how
    many conversations, closed tickets and messages' attachments were emptied (JSON)."""
    from bot.cli.main import _fail_clearly, _settings
    from bot.erasure.retention import cutoffs, run_once
    from bot.wiring.bootstrap import open_database
    from crm_store.base import utcnow

    settings = _settings()
    if not any(cutoffs(settings.privacy, utcnow()).values()):
        unset = (
            "no retention is set (SWITCHBOARD_PRIVACY__CONVERSATIONS_MONTHS, "
            "__CLOSED_TICKETS_MONTHS or __ATTACHMENTS_MONTHS)"
        )
        # A dry run asks "what would a run remove?": nothing, which is an answer. A real
        # run with nothing set is still refused, since whoever runs it expected a policy.
        if dry_run:
            click.echo(f"{unset}: a run would remove nothing")
            return
        raise click.ClickException(unset)
    database = _fail_clearly(lambda: open_database(settings))
    try:
        run = run_once(database, settings.privacy, dry_run=dry_run)
    finally:
        database.dispose()
    click.echo(json.dumps(run.as_json(), indent=2))
