"""A new PostgreSQL connection gives up after `CONNECT_TIMEOUT_SECONDS` (libpq's
connect_timeout), the engine's and the store's own psycopg connections alike, unless the
URL or PGCONNECT_TIMEOUT sets its own: a database host that drops packets is an error in
seconds, not a hang."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from crm_store import Database
from crm_store.database import CONNECT_TIMEOUT_SECONDS
from crm_store.errors import StoreUnavailable
from crm_store.wakeups import libpq_url
from tests.support.ports import free_port


def _connect_params(url: str) -> dict[str, Any]:
    """What the engine hands psycopg for a new connection (nothing listens at `url`)."""
    store = Database(url, pool_size=1)
    seen: dict[str, Any] = {}

    @event.listens_for(store.engine, "do_connect")
    def record(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)

    try:
        with pytest.raises(StoreUnavailable):
            store.ping()
    finally:
        store.dispose()
    return seen


def test_the_engine_and_the_stores_own_connections_time_out() -> None:
    url = f"postgresql+psycopg://user:pw@127.0.0.1:{free_port()}/nothing"
    assert _connect_params(url)["connect_timeout"] == CONNECT_TIMEOUT_SECONDS == 10
    assert "connect_timeout=10" in libpq_url(make_url(url))


def test_libpqs_own_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "4")
    url = f"postgresql+psycopg://user:pw@127.0.0.1:{free_port()}/nothing"
    assert "connect_timeout" not in _connect_params(url)  # libpq reads the variable
    assert "connect_timeout" not in libpq_url(make_url(url))


def test_a_urls_own_connect_timeout_wins() -> None:
    url = f"postgresql+psycopg://user:pw@127.0.0.1:{free_port()}/nothing?connect_timeout=3"
    assert _connect_params(url)["connect_timeout"] == "3"
    assert "connect_timeout=3" in libpq_url(make_url(url))
    assert libpq_url(make_url(url)).count("connect_timeout") == 1
