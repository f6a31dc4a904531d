"""Database.reading: reads what was committed and, on SQLite, does not wait for a
writer's lock."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_store import Database
from crm_store.models import Customer


def _customers(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def test_a_read_sees_committed_rows(database: Database) -> None:
    assert _customers(database) == 0
    with database.transaction() as session:
        session.add(Customer(name="Ada"))
    assert _customers(database) == 1


def test_a_read_does_not_queue_behind_a_writer(database: Database) -> None:
    """On SQLite a transaction takes the write lock at BEGIN; a read must not wait for
    it (busy_timeout would make it wait up to 30 s, then fail)."""
    with database.transaction() as session:
        session.add(Customer(name="Ada"))
        session.flush()  # this transaction holds the write lock (SQLite) or a row
        assert _customers(database) == 0  # the other connection sees the last commit
    assert _customers(database) == 1
