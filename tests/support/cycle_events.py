"""Logging one SMS care cycle's events by the minute, as an agent named Sam and the
customer write in it: for the tests of what the event log's followers work out
(reply waits, care cycles)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from crm_store import Database
from crm_store.event_log import record_event
from crm_store.models import StaffUser
from tests.support.customers import open_sms_conversation, seed

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# log(event type, key, minutes after T0, actor): "agent" is Sam.
CycleLog = Callable[..., None]


@contextmanager
def sms_cycle_log(database: Database) -> Iterator[CycleLog]:
    """A seeded store's SMS conversation, cycle 1, and a `log` for its events, all in
    one transaction (committed when the block ends)."""
    seed(database)
    conversation = open_sms_conversation(database).conversation_id
    ids = {"conversation_id": conversation, "cycle": 1, "channel": "sms"}
    with database.transaction() as session:
        sam = StaffUser(name="Sam", email="sam@a.test", role="agent", api_token_hash="s" * 64)
        session.add(sam)
        session.flush()

        def log(kind: str, key: str, minutes: int, actor: str = "customer") -> None:
            staff = {"staff_id": sam.id} if actor == "agent" else {}
            at = T0 + timedelta(minutes=minutes)
            record_event(session, kind, key=key, actor=actor, occurred_at=at, **ids, **staff)

        yield log
