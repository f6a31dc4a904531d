"""What each process keeps of staff revocations (bot/channel_store/widget_sessions.py):
the latest revocation of anyone, read at most once a second, raised at once where staff
revoke, read again at once when another process says it revoked. On SQLite and
PostgreSQL, on the store's real queries, with a clock the test moves."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.channel_store.widget_sessions import SESSIONS_REVOKED, StoreSessionRevocations
from channels.messages import Channel
from channels.web import WebSession
from crm_store import Database
from crm_store.customers import resolve_identity
from crm_store.wakeups import Wakeups
from crm_store.widget_sessions import revoke_widget_sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _session_of_a_customer(database: Database) -> tuple[WebSession, int]:
    """A session whose token was issued a minute ago, known to the store."""
    issued = datetime.now(UTC) - timedelta(minutes=1)
    with database.transaction() as session:
        customer, _ = resolve_identity(session, Channel.WEB.value, "ws_ada", name="Ada")
    return WebSession("ws_ada", issued_at=issued), customer.id


def _revoke_in_store(database: Database, customer_id: int) -> datetime:
    """As staff on another process would: the row, and nothing told here."""
    with database.transaction() as session:
        return revoke_widget_sessions(session, customer_id, staff_user_id=None)


def test_tokens_are_checked_against_one_number_read_once_a_second(database: Database) -> None:
    clock = Clock()
    revocations = StoreSessionRevocations(database, clock=clock)
    web, _ = _session_of_a_customer(database)
    for _ in range(5):
        assert asyncio.run(revocations.refusal(web)) is None
    assert revocations.store_reads == 1
    clock.now += 1.0
    assert asyncio.run(revocations.refusal(web)) is None
    assert revocations.store_reads == 2


def test_a_revocation_here_is_refused_at_once(database: Database) -> None:
    clock = Clock()
    revocations = StoreSessionRevocations(database, clock=clock)
    web, customer_id = _session_of_a_customer(database)
    assert asyncio.run(revocations.refusal(web)) is None  # the number is read: none yet

    revocations.revoked(_revoke_in_store(database, customer_id))  # as the staff API does
    refused = asyncio.run(revocations.refusal(web))
    assert refused is not None and "revoked by staff" in refused
    assert revocations.store_reads == 1  # no second read was needed
    later = WebSession("ws_ada", issued_at=datetime.now(UTC) + timedelta(seconds=1))
    assert asyncio.run(revocations.refusal(later)) is None  # a new session works


def test_another_process_revoking_is_honoured_at_its_wake_up_or_within_a_second(
    database: Database,
) -> None:
    clock = Clock()
    wakeups = Wakeups()
    revocations = StoreSessionRevocations(database, wakeups, clock=clock)
    web, customer_id = _session_of_a_customer(database)
    assert asyncio.run(revocations.refusal(web)) is None

    _revoke_in_store(database, customer_id)
    clock.now += 0.5  # the stated bound: not yet read again, and nobody said
    assert asyncio.run(revocations.refusal(web)) is None
    clock.now += 0.5
    assert asyncio.run(revocations.refusal(web)) is not None

    other = WebSession("ws_bob", issued_at=web.issued_at)
    with database.transaction() as session:
        other_id = resolve_identity(session, Channel.WEB.value, "ws_bob")[0].id
    assert asyncio.run(revocations.refusal(other)) is None
    _revoke_in_store(database, other_id)
    wakeups.announce(SESSIONS_REVOKED)  # the revoking process's wake-up
    assert asyncio.run(revocations.refusal(other)) is not None  # no time has passed
