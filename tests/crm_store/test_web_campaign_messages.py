"""Which widget session showed a web campaign message, on SQLite and PostgreSQL: the claim
is one conditional UPDATE, so of two transactions claiming at once the second, which
waits for the first's lock, finds the message shown and takes nothing."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from crm_store import Database
from crm_store.base import utcnow
from crm_store.models import Customer, Identity
from crm_store.records import InteractionRecord
from crm_store.web_campaign_messages import (
    carry_into_new_session,
    note_written,
    shown_in_session,
)
from engagement.history_entry import CampaignMessage, log_campaign_messages

ADA = "ada@example.com"
WINDOW = timedelta(days=14)


def written(database: Database) -> InteractionRecord:
    """Ada, her first widget session `ws-first`, and a web campaign message in it."""
    with database.transaction() as session:
        ada = Customer(name="Ada", email=ADA, attributes={})
        session.add(ada)
        session.flush()
        session.add(Identity(customer_id=ada.id, channel="web", address="ws-first", verified=True))
        session.flush()
        [message] = log_campaign_messages(
            session, [CampaignMessage(ada.id, "web", "ws-first", "Spring sale", {"campaign_id": 1})]
        )
        assert message is not None
        note_written(session, [message])
        return message


def carry(database: Database, session_id: str) -> list[InteractionRecord]:
    with database.transaction() as session:
        return carry_into_new_session(
            session,
            channel="web",
            session_id=session_id,
            verified_email=ADA,
            since=utcnow() - WINDOW,
            now=utcnow(),
        )


def test_a_claim_waiting_for_another_finds_the_message_shown(database: Database) -> None:
    message = written(database)
    claimed = threading.Event()
    release = threading.Event()

    def first() -> list[InteractionRecord]:
        with database.transaction() as session:
            copies = carry_into_new_session(
                session,
                channel="web",
                session_id="ws-a",
                verified_email=ADA,
                since=utcnow() - WINDOW,
                now=utcnow(),
            )
            claimed.set()
            release.wait(10)  # still uncommitted while the second claims
            return copies

    with ThreadPoolExecutor(2) as pool:
        winner = pool.submit(first)
        assert claimed.wait(10)
        loser = pool.submit(carry, database, "ws-b")
        time.sleep(0.3)  # the second is waiting for the first's lock by now
        release.set()
        won, lost = winner.result(), loser.result()
    assert [(c.text, c.attributes["carried_from_interaction_id"]) for c in won] == [
        ("Spring sale", message.id)
    ]
    assert lost == []
    with database.transaction() as session:
        # Its own session fetching it now learns who showed it.
        assert shown_in_session(session, [message.id], "ws-first", now=utcnow()) == {
            message.id: "ws-a"
        }


def test_many_new_sessions_at_once_carry_it_into_one(database: Database) -> None:
    written(database)
    together = threading.Barrier(8)

    def open_session(n: int) -> int:
        together.wait()
        return len(carry(database, f"ws-{n}"))

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(open_session, range(8))) == [0] * 7 + [1]


def test_its_own_session_showing_it_first_keeps_it_from_new_sessions(database: Database) -> None:
    message = written(database)
    with database.transaction() as session:
        assert shown_in_session(session, [message.id], "ws-first", now=utcnow()) == {
            message.id: "ws-first"
        }
    assert carry(database, "ws-new") == []
    with database.transaction() as session:
        # Fetched again by its own session: still this session's.
        assert shown_in_session(session, [message.id], "ws-first", now=utcnow()) == {
            message.id: "ws-first"
        }
