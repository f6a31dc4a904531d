"""Apply Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from crm_store.database import Database
from crm_store.leases import lease_key

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would eat the % of URL-encoded passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database at `url` to `revision` (default: the newest). Returns the
    revision it was at (None: no schema) and the one it is at now."""
    from alembic.runtime.migration import MigrationContext

    database = Database(url)
    try:
        config = alembic_config(database.url.render_as_string(hide_password=False))
        with database.engine.begin() as connection:
            if database.dialect == "postgresql":
                # Replicas starting together migrate one after another: the first
                # applies, the others find the schema current (released at commit).
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": lease_key("migrations")}
                )
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
        return before, after
    finally:
        database.dispose()


def pending_migrations(database: Database) -> bool:
    """True when the database is not at the newest migration (or has no schema at all)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current != head
