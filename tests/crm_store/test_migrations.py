"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import SAWarning

from crm_store import Database, upgrade
from crm_store.base import Base
from crm_store.models import *  # noqa: F403  (registers every table)


def test_upgrade_creates_every_table_and_matches_models(database_url: str) -> None:
    # A fresh database is built without a warning (`switchboard db upgrade` prints them).
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        upgrade(database_url)
    assert [str(w.message) for w in warned if issubclass(w.category, SAWarning)] == []
    upgrade(database_url)  # a second run is a no-op
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        database.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert diff == [], f"models and migrations differ: {diff}"
