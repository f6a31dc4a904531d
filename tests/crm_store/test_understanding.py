"""What NLU made of a message is stored in one UPDATE, beside the attributes already
there (set on the server, so nothing read before is written back)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from crm_store import Database, customers, history
from crm_store.models import Interaction
from crm_store.records import NewInteraction


def test_the_understanding_joins_the_attributes_the_message_has(database: Database) -> None:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "web", "ws_ada")
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="web"
        )
        message = history.append(
            session,
            conversation,
            NewInteraction(
                direction="in",
                author="customer",
                text="where is order 1042? ça fait une semaine",
                attributes={"client_message_id": "c-1"},
            ),
        )
    entities = [{"entity": "order_number", "value": "1042", "note": "ça"}]
    with database.transaction() as session:
        history.record_understanding(
            session, message.id, intent="order_status", confidence=0.93, entities=entities
        )
    with database.transaction() as session:
        stored = history.get_interaction(session, message.id)
    assert (stored.intent, stored.confidence) == ("order_status", pytest.approx(0.93))
    assert stored.attributes == {"client_message_id": "c-1", "entities": entities}


def test_an_unknown_message_is_an_error(database: Database) -> None:
    with pytest.raises(LookupError), database.transaction() as session:
        history.record_understanding(session, 999, intent="greet", confidence=1.0, entities=[])


def test_a_message_without_attributes_gets_its_entities(database: Database) -> None:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "sms", "+15550100")
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="sms"
        )
        message = history.append(
            session, conversation, NewInteraction(direction="in", author="customer", text="hi")
        )
        session.execute(
            update(Interaction).where(Interaction.id == message.id).values(attributes=None)
        )
    with database.transaction() as session:
        history.record_understanding(
            session, message.id, intent="greet", confidence=1.0, entities=[]
        )
    with database.transaction() as session:
        assert history.get_interaction(session, message.id).attributes == {"entities": []}
