"""Idempotency keys on agents' replies: one request per key, however the retries
interleave, on SQLite and PostgreSQL; another request under a used key is refused."""

from __future__ import annotations

import concurrent.futures
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crm_store import Database, reply_keys
from crm_store.base import utcnow
from crm_store.models import ReplyKey
from crm_store.staff import create_staff
from tests.support.lock_waits import until_waiting_or_done

HELLO = reply_keys.reply_request(7, "Hello Ada, Sam here.", note=False)


def _staff(database: Database) -> int:
    with database.transaction() as session:
        record, _ = create_staff(session, name="Sam", email="sam@example.com", role="agent")
    return record.id


def _take(database: Database, staff_id: int, key: str, request: object = HELLO) -> bool:
    with database.transaction() as session:
        return reply_keys.take_key(session, staff_id, key, request)  # type: ignore[arg-type]


def test_a_retry_while_the_first_request_is_uncommitted_is_a_repeat(database: Database) -> None:
    sam = _staff(database)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        with database.transaction() as session:
            assert reply_keys.take_key(session, sam, "k1", HELLO)
            # The retry, in its own transaction, before the first has committed: a
            # look before the insert would find nothing and send the reply again.
            retry = pool.submit(_take, database, sam, "k1")
            until_waiting_or_done(database, retry)
        assert retry.result() is False
    with database.transaction() as session:
        assert len(session.scalars(select(ReplyKey)).all()) == 1


def test_another_request_under_a_used_key_is_refused(database: Database) -> None:
    sam = _staff(database)
    assert _take(database, sam, "k1")
    note = reply_keys.reply_request(7, "Hello Ada, Sam here.", note=True)
    with pytest.raises(reply_keys.ReplyKeyReused):
        _take(database, sam, "k1", note)
    elsewhere = reply_keys.reply_request(8, "Hello Ada, Sam here.", note=False)
    with pytest.raises(reply_keys.ReplyKeyReused):
        _take(database, sam, "k1", elsewhere)
    assert _take(database, sam, "k2")  # a new key is a new reply


def test_keys_are_kept_a_day(database: Database) -> None:
    sam = _staff(database)
    assert _take(database, sam, "k1")
    with database.transaction() as session:
        long_ago = utcnow() - reply_keys.KEPT - timedelta(minutes=1)
        session.execute(update(ReplyKey).values(created_at=long_ago))
    assert _take(database, sam, "k1")  # forgotten: taken as new
