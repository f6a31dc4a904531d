"""The store's side of SMS: consents and forward-only delivery status, on both databases."""

from __future__ import annotations

import pytest

from crm_store import Database, consents, customers, delivery_status, history, outbox
from crm_store.records import NewInteraction


def test_an_opt_out_is_recorded_once_and_an_opt_in_replaces_it(database: Database) -> None:
    with database.transaction() as session:
        assert consents.opt_out_of(session, "sms", "+14155550101") is None
        first = consents.record_consent(
            session, channel="sms", address="+14155550101", status="opted_out", source="SMS STOP"
        )
    with database.transaction() as session:
        again = consents.record_consent(
            session, channel="sms", address="+14155550101", status="opted_out", source="SMS END"
        )
        assert (again.id, again.recorded_at, again.source) == (
            first.id,
            first.recorded_at,
            "SMS STOP",
        )
        found = consents.opt_out_of(session, "sms", "+14155550101")
        assert found is not None and found.opted_out
        assert consents.opt_out_of(session, "email", "+14155550101") is None  # per channel
    with database.transaction() as session:
        back = consents.record_consent(
            session, channel="sms", address="+14155550101", status="opted_in", source="SMS START"
        )
        assert back.id == first.id and back.status == "opted_in" and back.source == "SMS START"
        assert consents.opt_out_of(session, "sms", "+14155550101") is None


def test_a_consent_status_must_be_in_or_out(database: Database) -> None:
    with database.transaction() as session, pytest.raises(ValueError, match="opted_in"):
        consents.record_consent(
            session, channel="sms", address="+1", status="maybe", source="SMS ?"
        )


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [
        (None, "queued", True),
        ("pending", "sent", True),
        ("queued", "sent", True),
        ("sent", "delivered", True),
        ("delivered", "sent", False),
        ("delivered", "undelivered", False),
        ("delivered", "read", True),
        ("failed", "delivered", False),
        ("undelivered", "delivered", False),
        ("opted_out", "sent", False),
        ("sent", "sent", False),
        ("sent", "something-new", False),
    ],
)
def test_delivery_status_moves_forward_only(current: str | None, new: str, moves: bool) -> None:
    assert delivery_status.moves_forward(current, new) is moves


def test_a_status_report_finds_the_message_by_provider_id_or_outbox(database: Database) -> None:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "sms", "+14155550101")
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="sms"
        )
        reply = history.append(
            session,
            conversation,
            NewInteraction(direction="out", author="bot", text="hi", delivery_status="pending"),
        )
        row = outbox.enqueue(
            session,
            interaction_id=reply.id,
            conversation_id=conversation.id,
            channel="sms",
            address="+14155550101",
            payload=outbox.payload_for(reply),
        )
    with database.transaction() as session:
        # Before the send is recorded: found by the outbox id only.
        assert delivery_status.find_sent(session, "sms", "SM1") is None
        found = delivery_status.find_sent(session, "sms", "SM1", outbox_id=row.id)
        assert found is not None and found.id == reply.id
        assert delivery_status.advance(session, reply.id, "delivered")
        outbox.mark_sent(session, row.id, "SM1")  # the late record of the send
    with database.transaction() as session:
        assert history.get_interaction(session, reply.id).delivery_status == "delivered"
        found = delivery_status.find_sent(session, "sms", "SM1")
        assert found is not None and found.id == reply.id
        assert delivery_status.find_sent(session, "sms", "SM2", outbox_id=row.id) is None
        assert delivery_status.find_sent(session, "email", "SM1") is None
