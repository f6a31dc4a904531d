"""Alembic environment: runs on the connection handed in by `crm_store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from crm_store.base import Base
from crm_store.models import *  # noqa: F403  (registers every table)

target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        _run(own_connection)
