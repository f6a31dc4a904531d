"""The store's side of SMS: consents and forward-only delivery status, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_store import Database, consents, customers, delivery_status, history, outbox
from crm_store.models import ConsentEntry
from crm_store.records import NewInteraction


def test_an_opt_out_is_recorded_once_and_an_opt_in_follows_it_in_the_ledger(
    database: Database,
) -> None:
    stop = {"channel": "sms", "address": "+14155550101", "means": "sms_keyword"}
    with database.transaction() as session:
        assert consents.opt_out_of(session, "sms", "+14155550101") is None
        first = consents.record_consent(session, decision="withdrawn", source="SMS STOP", **stop)
        assert {c.purpose for c in first} == {"marketing", "service", "surveys"}
    with database.transaction() as session:
        again = consents.record_consent(session, decision="withdrawn", source="SMS END", **stop)
        # Saying the same again adds nothing: the first time said stays.
        assert [(c.id, c.recorded_at, c.source) for c in again] == [
            (c.id, c.recorded_at, "SMS STOP") for c in first
        ]
        found = consents.opt_out_of(session, "sms", "+14155550101")
        assert found is not None and found.opted_out
        assert consents.opt_out_of(session, "email", "+14155550101") is None  # per channel
    with database.transaction() as session:
        back = consents.record_consent(session, decision="granted", source="SMS START", **stop)
        assert all(c.status == "opted_in" and c.source == "SMS START" for c in back)
        assert consents.opt_out_of(session, "sms", "+14155550101") is None
        # Nothing was edited in place: the withdrawals are still there, before the grants.
        rows = session.scalars(select(ConsentEntry).order_by(ConsentEntry.id)).all()
        assert [row.decision for row in rows] == ["withdrawn"] * 3 + ["granted"] * 3
        assert [row.id for row in rows[:3]] == [c.id for c in first]


def test_one_purpose_is_withdrawn_alone(database: Database) -> None:
    with database.transaction() as session:
        consents.record_consent(
            session,
            channel="email",
            address="ada@example.com",
            decision="withdrawn",
            means="staff",
            source="staff user 1",
            purposes=("marketing",),
        )
        assert consents.opt_out_of(session, "email", "ada@example.com") is None  # service
        marketing = consents.opt_out_of(session, "email", "ada@example.com", purpose="marketing")
        assert marketing is not None and marketing.means == "staff"


def test_a_consent_decision_means_and_purpose_must_be_known(database: Database) -> None:
    base = {"channel": "sms", "address": "+1", "source": "SMS ?"}
    with database.transaction() as session:
        with pytest.raises(ValueError, match="granted"):
            consents.record_consent(session, decision="maybe", means="sms_keyword", **base)
        with pytest.raises(ValueError, match="means"):
            consents.record_consent(session, decision="granted", means="telepathy", **base)
        with pytest.raises(ValueError, match="purpose"):
            consents.record_consent(
                session, decision="granted", means="staff", purposes=("messages",), **base
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
