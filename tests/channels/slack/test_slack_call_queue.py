"""The Slack call queue in the store, on SQLite and PostgreSQL: lanes keep a handoff's
calls in order, a call whose worker vanished is taken again and marked uncertain, and
handled events are forgotten after their retry window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crm_store import Database
from crm_store import slack as store
from crm_store.models import SlackEvent
from tests.support.handoffs import handed_off

LEASE = timedelta(seconds=60)


def test_lanes_keep_order_and_a_vanished_worker_makes_a_post_uncertain(
    database: Database,
) -> None:
    handoff_id = handed_off(database, "web", "w-1")
    now = datetime.now(UTC)
    with database.transaction() as session:
        card = store.enqueue_call(
            session,
            "chat.postMessage",
            {"channel": "C1"},
            purpose="handoff_card",
            handoff_id=handoff_id,
        )
        reply = store.enqueue_call(
            session,
            "chat.postMessage",
            {"text": "hi"},
            purpose="thread_message",
            handoff_id=handoff_id,
        )
        other = store.enqueue_call(session, "chat.postEphemeral", {}, purpose="answer")
    with database.transaction() as session:
        taken = store.claim_due_calls(session, now=now + timedelta(seconds=1), lease=LEASE)
    assert [c.id for c in taken] == [card.id, other.id]  # the reply waits for its card
    with database.transaction() as session:
        assert store.claim_due_calls(session, now=now + timedelta(seconds=2), lease=LEASE) == []
        # The worker that took the card died: after the lease it is taken again, uncertain.
        again = store.claim_due_calls(session, now=now + timedelta(seconds=90), lease=LEASE)
    # (Only a post is looked for before it is repeated: an ephemeral leaves no trace.)
    assert [(c.id, c.uncertain, c.attempts) for c in again] == [
        (card.id, True, 2),
        (other.id, False, 2),
    ]
    with database.transaction() as session:
        store.call_done(session, card.id, {"ts": "1.0"})
        store.call_done(session, other.id, {})
        after = store.claim_due_calls(session, now=now + timedelta(seconds=91), lease=LEASE)
    assert [c.id for c in after] == [reply.id]
    with database.transaction() as session:
        found = store.card_call(session, handoff_id)
    assert found is not None and found.id == card.id


def test_an_event_is_taken_once_and_forgotten_after_its_window(database: Database) -> None:
    with database.transaction() as session:
        assert store.take_event(session, "Ev1", "message", {"n": 1})
        assert not store.take_event(session, "Ev1", "message", {"n": 1})
        assert store.take_event(session, "Ev2", "message", {"n": 2})
        store.finish_event(session, "Ev1")
        store.finish_event(session, "Ev2", "ValueError: boom")
    with database.transaction() as session:
        forgotten = store.forget_events(session, datetime.now(UTC) + timedelta(seconds=1))
        left = {e.event_id: (e.status, e.error) for e in session.scalars(select(SlackEvent))}
    assert forgotten == 1
    assert left == {"Ev2": ("failed", "ValueError: boom")}  # failures stay to be seen
