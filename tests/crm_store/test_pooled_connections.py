"""Pooled PostgreSQL connections are checked on checkout without a round trip, and a
connection the server ended is replaced, not handed out (crm_store/database.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from crm_store import Database
from crm_store import database as database_module


@pytest.fixture
def store(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url, pool_size=1)
    yield db
    db.dispose()


def _backend(store: Database) -> int:
    with store.transaction() as session:
        return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url)
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()
    admin.dispose()


def _wait_gone(url: str, pid: int) -> None:
    admin = create_engine(url)
    with admin.connect() as connection:
        for _ in range(200):
            alive = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
            if not alive:
                break
            connection.execute(text("SELECT pg_sleep(0.01)"))
    admin.dispose()


def test_a_connection_in_use_again_is_not_pinged(store: Database) -> None:
    first = _backend(store)
    assert _backend(store) == first  # the same pooled connection, reused


def test_a_connection_the_server_ended_is_replaced(store: Database, postgres_url: str) -> None:
    ended = _backend(store)
    _terminate(postgres_url, ended)
    _wait_gone(postgres_url, ended)
    assert _backend(store) != ended  # a new connection, and no error


def test_a_long_idle_connection_is_pinged(
    store: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", -1.0)
    ended = _backend(store)
    _terminate(postgres_url, ended)
    _wait_gone(postgres_url, ended)
    assert _backend(store) != ended
