"""The PostgreSQL server the tests use, and a fresh database on it per test.

The server comes from SWITCHBOARD_TEST_POSTGRES_URL (scripts/test.sh starts one).
Without it the PostgreSQL half of the suite is skipped, unless
SWITCHBOARD_REQUIRE_POSTGRES=1 (as in `make test` and CI), where it is an error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("SWITCHBOARD_REQUIRE_POSTGRES") == "1"


def admin_engine(server_url: str) -> Engine:
    return create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A new database `name` on the server, empty or a copy of the database `template`
    (which must have no connections open); its URL."""
    copied = f' TEMPLATE "{template}"' if template else ""
    _as_admin(server_url, f'CREATE DATABASE "{name}"{copied}')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop the database `name`, connections and all."""
    _as_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_admin(server_url: str, statement: str) -> None:
    admin = admin_engine(server_url)
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def fresh_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server, dropped afterwards: empty, or a copy of the
    database `template` (`create_database`)."""
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name, template)
    try:
        yield url
    finally:
        drop_database(server_url, name)
