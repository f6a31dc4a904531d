"""Opening the configured database, apart from the rest of the wiring: CLI commands that
only need the store (`staff create`, `demo seed`) import this and nothing heavier."""

from __future__ import annotations

import logging

from bot.settings import Settings
from crm_store import Database, upgrade
from crm_store.errors import StoreError
from crm_store.migrate import pending_migrations

log = logging.getLogger(__name__)


def open_database(settings: Settings, *, migrate: bool | None = None) -> Database:
    """The configured database, migrated first where settings say so, checked current."""
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
