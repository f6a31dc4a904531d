"""One live handoff per conversation and one card per handoff, held by the database
(partial unique indexes), on SQLite and PostgreSQL; and migration 0008 settling the
duplicates an older version left behind."""

from __future__ import annotations

import concurrent.futures
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from crm_store import Database, customers, handoffs, history, upgrade
from crm_store import slack as store
from crm_store.models import Handoff, SlackCall
from tests.support.lock_waits import until_waiting_or_done


def _conversation(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "web", "session-ada")
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="web"
        )
        return customer.id, conversation.id


def _open(database: Database, customer_id: int, conversation_id: int) -> tuple[int, bool]:
    with database.transaction() as session:
        handoff, new = handoffs.open_handoff(
            session,
            conversation_id=conversation_id,
            customer_id=customer_id,
            reason="customer_asked",
            intent="talk_to_human",
            confidence=0.9,
            summary="asked for a person",
        )
        return handoff.id, new


def test_the_database_refuses_a_second_live_handoff(database: Database) -> None:
    customer_id, conversation_id = _conversation(database)
    _open(database, customer_id, conversation_id)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(
            Handoff(
                conversation_id=conversation_id,
                customer_id=customer_id,
                reason="customer_asked",
                summary="",
            )
        )
        session.flush()
    # A closed handoff does not count: the conversation can be handed over again later.
    first, _ = _open(database, customer_id, conversation_id)
    with database.transaction() as session:
        handoffs.close(session, first, "returned_to_bot")
    second, new = _open(database, customer_id, conversation_id)
    assert new and second != first


def test_two_requests_opening_at_once_share_one_handoff(database: Database) -> None:
    customer_id, conversation_id = _conversation(database)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        with database.transaction() as session:
            first, new = handoffs.open_handoff(
                session,
                conversation_id=conversation_id,
                customer_id=customer_id,
                reason="customer_asked",
                intent=None,
                confidence=None,
                summary="asked for a person",
            )
            assert new
            # A second request, in its own transaction, while the first is uncommitted:
            # a check before the insert would see nothing and open a second handoff.
            second = pool.submit(_open, database, customer_id, conversation_id)
            until_waiting_or_done(database, second)
        assert second.result() == (first.id, False)
    with database.transaction() as session:
        rows = session.scalars(select(Handoff)).all()
        assert [(row.id, row.status) for row in rows] == [(first.id, "queued")]


def test_a_handoff_gets_one_card_however_often_it_is_queued(database: Database) -> None:
    customer_id, conversation_id = _conversation(database)
    handoff_id, _ = _open(database, customer_id, conversation_id)
    with database.transaction() as session:
        card = store.enqueue_card(session, handoff_id, {"channel": "C1", "text": "card"})
        again = store.enqueue_card(session, handoff_id, {"channel": "C1", "text": "card"})
        # The refused insert left the transaction usable.
        other = store.enqueue_call(session, "chat.postMessage", {}, purpose="thread_message")
    assert card is not None and again is None and other.id > card.id
    with database.transaction() as session:
        purposes = session.scalars(select(SlackCall.purpose).order_by(SlackCall.id)).all()
    assert purposes == ["handoff_card", "thread_message"]


def test_migration_0008_settles_duplicates_left_by_older_versions(database_url: str) -> None:
    """Two live handoffs of one conversation (one claimed), and three cards of one
    handoff (two posted, one still queued), as the race left them."""
    upgrade(database_url, "0006")
    database = Database(database_url)
    try:
        now = datetime.now(UTC)
        with database.engine.begin() as connection:
            tables = MetaData()
            tables.reflect(connection)

            def add(table: str, **values: Any) -> int:
                return int(
                    connection.execute(
                        insert(tables.tables[table]).values(**values).returning(text("id"))
                    ).scalar_one()
                )

            customer = add(
                "customers", lifecycle_stage="customer", attributes={}, created_at=now,
                updated_at=now,
            )  # fmt: skip
            identity = add(
                "identities", customer_id=customer, channel="web", address="s1", verified=False,
                created_at=now,
            )  # fmt: skip
            conversation = add(
                "conversations", customer_id=customer, identity_id=identity, channel="web",
                owner="agent", status="open", last_seq=3, created_at=now, updated_at=now,
            )  # fmt: skip
            live = {"conversation_id": conversation, "customer_id": customer, "summary": ""}
            claimed = add(
                "handoffs", reason="customer_asked", status="claimed", created_at=now, **live
            )
            queued = add(
                "handoffs", reason="customer_asked", status="queued", created_at=now, **live
            )
            card = {"method": "chat.postMessage", "purpose": "handoff_card", "attempts": 1}
            card.update(uncertain=False, next_attempt_at=now, created_at=now, arguments={})
            posted = [
                add("slack_calls", handoff_id=claimed, status="done", result={"ts": ts}, **card)
                for ts in ("1.1", "1.2")
            ]
            unsent = add("slack_calls", handoff_id=claimed, status="pending", result={}, **card)
        upgrade(database_url)

        with database.transaction() as session:
            statuses = dict(session.execute(select(Handoff.id, Handoff.status)).all())
            assert statuses == {claimed: "claimed", queued: "superseded"}
            assert session.get(Handoff, queued).closed_at is not None  # type: ignore[union-attr]
            calls = {row.id: row for row in session.scalars(select(SlackCall))}
            assert calls[posted[0]].purpose == "handoff_card"
            assert calls[posted[1]].purpose == "handoff_card_copy"
            assert (calls[unsent].purpose, calls[unsent].status) == ("handoff_card_copy", "failed")
            assert "not posted" in (calls[unsent].last_error or "")
            # And from now on the database holds the line.
            assert store.enqueue_card(session, claimed, {}) is None
            assert session.scalar(select(func.count()).select_from(SlackCall)) == 3
    finally:
        database.dispose()
