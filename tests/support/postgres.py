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


@contextmanager
def fresh_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server, dropped (connections and all) afterwards: empty, or
    a copy of the database `template` (which must have no connections open)."""
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    admin = admin_engine(server_url)
    copied = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
