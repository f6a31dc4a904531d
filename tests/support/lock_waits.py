"""Waiting in a test until another transaction waits on a row lock (PostgreSQL), so two
transactions can be interleaved at a known point rather than by chance."""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

from sqlalchemy import text

from crm_store import Database


def lock_waiters(database: Database) -> int:
    """Backends of this database waiting on a lock now (PostgreSQL)."""
    with database.engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def until_waiting_or_done(database: Database, future: Future[Any], waiters: int = 1) -> None:
    """Return once `future` has finished or (PostgreSQL) `waiters` transactions wait on
    a lock; fail if neither comes within 20 s. On SQLite at once: BEGIN IMMEDIATE makes
    a second writer wait for the first's commit anyway."""
    deadline = time.monotonic() + 20
    while not future.done():
        if database.dialect != "postgresql" or lock_waiters(database) >= waiters:
            return
        assert time.monotonic() < deadline, "the transaction neither finished nor waited"
        time.sleep(0.01)
