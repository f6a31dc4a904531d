"""Webhook events are written where their changes are made, in the same transaction,
for the subscriptions that asked for them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from crm_store import (
    Database,
    customers,
    handoffs,
    history,
    leads,
    staff,
    tickets,
    webhook_subscriptions,
)
from crm_store.models import WebhookDelivery
from crm_store.records import NewInteraction


def _subscribe(database: Database, events: list[str]) -> int:
    with database.transaction() as session:
        return webhook_subscriptions.create_subscription(
            session, url="https://example.com/h", events=events, secret="whsec_a", description=None
        ).id


def _events(database: Database) -> list[tuple[str, str, dict]]:
    with database.transaction() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        return [(row.event_type, row.subject, json.loads(row.body)) for row in rows]


def test_each_source_writes_its_event(database: Database) -> None:
    _subscribe(database, list(webhook_subscriptions.EVENT_TYPES))
    with database.transaction() as session:
        ada, identity = customers.resolve_identity(session, "sms", "+14155550101", name="Ada")
        conversation = history.current_conversation(
            session, customer_id=ada.id, identity_id=identity.id, channel="sms"
        )
        history.append(
            session, conversation, NewInteraction(direction="in", author="customer", text="hi")
        )
        handoff, _ = handoffs.open_handoff(
            session,
            conversation_id=conversation.id,
            customer_id=ada.id,
            reason="asked",
            intent=None,
            confidence=None,
            summary="",
        )
        sam, _ = staff.create_staff(session, name="Sam", email="sam@acme.test", role="agent")
        assert handoffs.claim(session, handoff.id, staff_id=sam.id)
        ticket = tickets.open_ticket(session, customer_id=ada.id, subject="Refund")
        tickets.change_ticket(session, ticket.number, staff_id=None, status="pending")
        tickets.change_ticket(session, ticket.number, staff_id=None, status="pending")  # no-op
        lead, _ = leads.capture_lead(
            session, customer_id=ada.id, name="Ada", email="a@x.test", company="X", interest="demo"
        )
    chat = f"conversation:{conversation.id}"
    seen = _events(database)
    assert [(kind, subject) for kind, subject, _ in seen] == [
        ("conversation.created", chat),
        ("message.created", chat),
        ("handoff.opened", chat),
        ("handoff.claimed", chat),
        ("ticket.updated", f"ticket:{ticket.number}"),
        ("lead.created", f"lead:{lead.id}"),
    ]
    message = seen[1][2]
    assert message["type"] == "message.created" and message["data"]["text"] == "hi"
    assert seen[3][2]["data"]["staff_id"] == sam.id
    assert seen[4][2]["data"]["changes"] == [{"field": "status", "from": "open", "to": "pending"}]


def test_only_subscribers_of_an_event_get_it_and_a_rollback_takes_it_back(
    database: Database,
) -> None:
    tickets_only = _subscribe(database, ["ticket.updated"])
    with pytest.raises(RuntimeError), database.transaction() as session:
        ada, identity = customers.resolve_identity(session, "sms", "+14155550101")
        history.current_conversation(
            session, customer_id=ada.id, identity_id=identity.id, channel="sms"
        )
        raise RuntimeError("the change fails")
    assert _events(database) == []  # nothing of a change that did not happen
    with database.transaction() as session:
        ada, identity = customers.resolve_identity(session, "sms", "+14155550101")
        history.current_conversation(
            session, customer_id=ada.id, identity_id=identity.id, channel="sms"
        )
        ticket = tickets.open_ticket(session, customer_id=ada.id, subject="Refund")
        tickets.change_ticket(session, ticket.number, staff_id=None, priority="high")
    with database.transaction() as session:
        (row,) = session.scalars(select(WebhookDelivery)).all()
        assert (row.subscription_id, row.event_type) == (tickets_only, "ticket.updated")
        webhook_subscriptions.change_subscription(session, tickets_only, active=False)
        tickets.change_ticket(session, ticket.number, staff_id=None, priority="low")
    assert len(_events(database)) == 1  # a subscription turned off hears nothing new


def test_an_unknown_event_is_refused(database: Database) -> None:
    with database.transaction() as session, pytest.raises(ValueError, match="unknown events"):
        webhook_subscriptions.create_subscription(
            session, url="https://e.test", events=["order.shipped"], secret="s", description=None
        )
