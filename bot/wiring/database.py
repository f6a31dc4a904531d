"""Opening the configured database, apart from the rest of the wiring: CLI commands that
only need the store (`staff create`, `demo seed`) import this and nothing heavier."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings
from crm_store import Database, upgrade
from crm_store.errors import StoreError
from crm_store.migrate import pending_migrations

log = logging.getLogger(__name__)


def open_database(settings: Settings, *, migrate: bool | None = None) -> Database:
    """The configured database, migrated first where settings say so, checked current."""
    _say_if_new(settings.database_url)
    if migrate if migrate is not None else settings.migrate_on_start:
        before, after = upgrade(settings.database_url)
        if before != after:
            log.info("database migrated", extra={"from_revision": before, "to_revision": after})
    database = Database(
        settings.database_url,
        echo=settings.database.echo,
        busy_timeout_seconds=settings.database.busy_timeout_seconds,
        pool_size=settings.database.pool_size,
    )
    if pending_migrations(database):
        database.dispose()
        raise StoreError(
            "the database schema is not up to date: run `switchboard db upgrade` "
            "(or set SWITCHBOARD_DATABASE__AUTO_MIGRATE=true)"
        )
    return database


def _say_if_new(url: str) -> None:
    """Warn when the SQLite file does not exist yet: a command run from another folder
    than the server's opens a new, empty store under that folder's `./var` (the default
    data dir), and "no customer has ada@example.com" would not say why."""
    parsed = make_url(url)
    if (
        not parsed.drivername.startswith("sqlite")
        or parsed.database in (None, "", ":memory:")
        or parsed.database.startswith("file:")  # a URI filename: its own rules
    ):
        return
    path = Path(parsed.database)
    if not path.exists():
        log.warning(
            "no database at %s yet: a new, empty one is made there (it is"
            " SWITCHBOARD_DATABASE__URL, by default in SWITCHBOARD_DATA_DIR, which is ./var"
            " in the folder you run from)",
            path.resolve(),
        )
