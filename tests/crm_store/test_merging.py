"""Merging customers, on SQLite and PostgreSQL: every table with a foreign key to
`customers.id` is carried over, including tables added after this test was written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, func, select
from sqlalchemy.orm import Session

from crm_store import Database, NotFound, customers, history, merging, outbox
from crm_store.base import utcnow
from crm_store.models import (
    Campaign,
    CampaignRecipient,
    CampaignSend,
    ConsentEntry,
    Conversation,
    Customer,
    CustomerMetrics,
    Handoff,
    Identity,
    Interaction,
    JourneyEnrolment,
    Lead,
    Order,
    Segment,
    Ticket,
)
from crm_store.records import NewInteraction
from tests.support.customer_rows import RowMaker, unique_keys


def count(session: Session, column: Column[Any], customer_id: int) -> int:
    query = select(func.count()).select_from(column.table).where(column == customer_id)
    return session.scalar(query) or 0


def test_the_walk_finds_the_customer_tables_known_today() -> None:
    names = {column.table.name for column in merging.customer_references()}
    assert names >= {
        "identities",
        "conversations",
        "interactions",
        "tickets",
        "handoffs",
        "consent_ledger",
        "leads",
        "orders",
    }


def test_a_table_whose_unique_key_includes_the_customer_has_a_rule() -> None:
    for column in merging.customer_references():
        if any(column in key for key in unique_keys(column.table)):
            assert column.table.name in merging.RULES, f"{column.table.name} needs a merge rule"


def test_every_row_of_the_absorbed_customer_moves_to_the_kept_one(database: Database) -> None:
    references = merging.customer_references()
    with database.transaction() as session:
        kept, absorbed = Customer(attributes={}), Customer(attributes={})
        session.add_all([kept, absorbed])
        session.flush()
        maker = RowMaker(session)
        for column in references:
            maker.row(column.table, kept.id)
            maker.row(column.table, absorbed.id)
        before = {column: count(session, column, kept.id) for column in references}
        absorbed_rows = {column: count(session, column, absorbed.id) for column in references}
        keep_id, absorb_id = kept.id, absorbed.id
    with database.transaction() as session:
        moved = customers.merge(session, keep_id=keep_id, absorb_id=absorb_id)
    ruled = [column for column in references if column.table.name in merging.RULES]
    with database.transaction() as session:
        for column in references:
            assert count(session, column, absorb_id) == 0, column
            if column not in ruled:
                assert count(session, column, keep_id) == before[column] + absorbed_rows[column]
        assert session.get(Customer, absorb_id) is None
        assert session.get(Customer, keep_id) is not None
    for column in references:
        if column not in ruled:
            assert moved[column.table.name] >= absorbed_rows[column] > 0


def test_derived_metrics_of_both_customers_are_dropped_by_a_merge(database: Database) -> None:
    with database.transaction() as session:
        kept, absorbed = Customer(attributes={}), Customer(attributes={})
        session.add_all([kept, absorbed])
        session.flush()
        for customer in (kept, absorbed):
            session.add(CustomerMetrics(customer_id=customer.id, computed_at=utcnow()))
        keep_id, absorb_id = kept.id, absorbed.id
    with database.transaction() as session:
        moved = customers.merge(session, keep_id=keep_id, absorb_id=absorb_id)
    assert "customer_metrics" not in moved
    with database.transaction() as session:
        assert session.scalars(select(CustomerMetrics)).all() == []


def test_a_campaign_both_records_were_in_keeps_the_kept_customers_row(
    database: Database,
) -> None:
    with database.transaction() as session:
        kept, absorbed = Customer(attributes={}), Customer(attributes={})
        segment = Segment(name="everyone", filter={})
        session.add_all([kept, absorbed, segment])
        session.flush()
        both, only_absorbed = (
            Campaign(name=name, segment_id=segment.id) for name in ("both", "absorbed only")
        )
        session.add_all([both, only_absorbed])
        session.flush()
        for campaign, customer in ((both, kept), (both, absorbed), (only_absorbed, absorbed)):
            session.add(CampaignRecipient(campaign_id=campaign.id, customer_id=customer.id))
        keep_id, absorb_id = kept.id, absorbed.id
        both_id, other_id = both.id, only_absorbed.id
    with database.transaction() as session:
        moved = customers.merge(session, keep_id=keep_id, absorb_id=absorb_id)
    assert moved["campaign_recipients"] == 1
    with database.transaction() as session:
        rows = session.execute(
            select(CampaignRecipient.campaign_id, CampaignRecipient.customer_id)
        ).all()
    assert sorted(rows) == sorted([(both_id, keep_id), (other_id, keep_id)])


def test_journey_enrolments_and_their_sends_of_both_records_are_all_kept(
    database: Database,
) -> None:
    """Each enrolment was a real trip through the journey with ledger rows of its own:
    the absorbed customer's is kept under an occurrence marked as merged."""
    with database.transaction() as session:
        kept, absorbed = Customer(attributes={}), Customer(attributes={})
        segment = Segment(name="everyone", filter={})
        session.add_all([kept, absorbed, segment])
        session.flush()
        journey = Campaign(name="welcome", segment_id=segment.id, kind="journey")
        session.add(journey)
        session.flush()
        for customer in (kept, absorbed):
            enrolment = JourneyEnrolment(
                campaign_id=journey.id, customer_id=customer.id, occurrence="segment"
            )
            session.add(enrolment)
            session.flush()
            session.add(
                CampaignSend(
                    campaign_id=journey.id,
                    enrolment_id=enrolment.id,
                    step="hello",
                    customer_id=customer.id,
                    channel="sms",
                    state="sent",
                )
            )
        keep_id, absorb_id = kept.id, absorbed.id
    with database.transaction() as session:
        customers.merge(session, keep_id=keep_id, absorb_id=absorb_id)
        occurrences = sorted(
            session.execute(select(JourneyEnrolment.customer_id, JourneyEnrolment.occurrence))
        )
        sends = session.scalars(select(CampaignSend.customer_id)).all()
    assert occurrences == [(keep_id, "segment"), (keep_id, f"segment:merged:{absorb_id}")]
    assert sends == [keep_id, keep_id]


@pytest.fixture
def holder_world(database: Database) -> dict[str, int]:
    """Ada, and a holding record for the address she is changing to, which meanwhile
    gathered a conversation, a message, a ticket, a handoff, a consent, a lead, an order
    and claims of its own (as `_adopt` in actions/contact.py met it before the merge
    moved into the store)."""
    with database.transaction() as session:
        ada, _ = customers.resolve_identity(
            session, "sms", "+14155550101", name="Ada", phone="+14155550101", verified=True
        )
        holder = Customer(
            name="Someone",
            attributes={"pending_contact_for": ada.id, "claimed_phone": "+14155550999"},
        )
        session.add(holder)
        session.flush()
        identity = Identity(customer_id=holder.id, channel="email", address="ada.new@example.com")
        session.add(identity)
        session.flush()
        conversation = history.current_conversation(
            session, customer_id=holder.id, identity_id=identity.id, channel="email"
        )
        outbox.log_outbound(
            session,
            conversation,
            "ada.new@example.com",
            NewInteraction(direction="out", author="system", text="Your code is 123456."),
        )
        session.add_all(
            [
                Ticket(number="T-1", customer_id=holder.id, subject="Confirm an address"),
                Handoff(conversation_id=conversation.id, customer_id=holder.id, reason="asked"),
                ConsentEntry(
                    customer_id=holder.id,
                    channel="email",
                    address="ada.new@example.com",
                    purpose="marketing",
                    decision="withdrawn",
                    means="conversation",
                ),
                Lead(customer_id=holder.id, interest="demo"),
                Order(number="O-1", customer_id=holder.id),
            ]
        )
        return {"ada": ada.id, "holder": holder.id, "identity": identity.id}


def test_merging_a_holding_record_moves_what_adopt_moved(
    database: Database, holder_world: dict[str, int]
) -> None:
    ada_id, holder_id = holder_world["ada"], holder_world["holder"]
    with database.transaction() as session:
        ada_before = customers.get_customer(session, ada_id)
        identity = session.get_one(Identity, holder_world["identity"])
        moved = customers.merge(session, keep_id=ada_id, absorb_id=holder_id)
        assert identity.customer_id == ada_id  # loaded objects see the move too
    assert moved == {
        "identities": 1,
        "conversations": 1,
        "interactions": 1,
        "tickets": 1,
        "handoffs": 1,
        "consent_ledger": 1,
        "leads": 1,
        "orders": 1,
        "event_log": 2,  # the conversation opened, the code sent
    }
    with database.transaction() as session:
        assert session.get(Customer, holder_id) is None
        for model in (
            Identity,
            Conversation,
            Interaction,
            Ticket,
            Handoff,
            ConsentEntry,
            Lead,
            Order,
        ):
            owners = set(session.scalars(select(model.customer_id)))
            assert owners == {ada_id}, model.__tablename__
        # Nothing of the holder's own row is taken over: not its name, claims or marker.
        assert customers.get_customer(session, ada_id) == ada_before


def test_a_rule_decides_for_its_table(
    database: Database, holder_world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []

    def drop_the_absorbed_rows(
        session: Session, column: Column[int], keep_id: int, absorb_id: int
    ) -> int:
        asked.append((column.table.name, keep_id, absorb_id))
        session.execute(column.table.delete().where(column == absorb_id))
        return 0

    monkeypatch.setitem(merging.RULES, "consent_ledger", drop_the_absorbed_rows)
    ada_id, holder_id = holder_world["ada"], holder_world["holder"]
    with database.transaction() as session:
        moved = customers.merge(session, keep_id=ada_id, absorb_id=holder_id)
    assert asked == [("consent_ledger", ada_id, holder_id)]
    assert "consent_ledger" not in moved and moved["leads"] == 1
    with database.transaction() as session:
        assert session.scalars(select(ConsentEntry)).all() == []


def test_a_merge_needs_two_existing_customers(database: Database) -> None:
    with database.transaction() as session:
        ada, _ = customers.resolve_identity(session, "sms", "+14155550101")
    with pytest.raises(ValueError), database.transaction() as session:
        customers.merge(session, keep_id=ada.id, absorb_id=ada.id)
    with pytest.raises(NotFound), database.transaction() as session:
        customers.merge(session, keep_id=ada.id, absorb_id=ada.id + 1000)
    with database.transaction() as session:
        assert customers.get_customer(session, ada.id) is not None
