"""What NLU made of a message is stored in one UPDATE, beside the attributes already
there (set on the server, so nothing read before is written back)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from crm_store import Database, customers, history
from crm_store.models import Interaction
from crm_store.records import NewInteraction


def _customer_wrote(database: Database, text: str, attributes: dict[str, Any] | None) -> int:
    """A web chat message's id; `attributes` None stores JSON null."""
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "web", "ws_ada")
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="web"
        )
        new = NewInteraction(
            direction="in", author="customer", text=text, attributes=attributes or {}
        )
        message = history.append(session, conversation, new)
        if attributes is None:
            session.execute(
                update(Interaction).where(Interaction.id == message.id).values(attributes=None)
            )
        return message.id


def _understood(database: Database, message_id: int, entities: list[dict[str, Any]]) -> None:
    with database.transaction() as session:
        history.record_understanding(
            session, message_id, intent="order_status", confidence=0.93, entities=entities
        )


def test_the_understanding_joins_the_attributes_the_message_has(database: Database) -> None:
    message_id = _customer_wrote(
        database, "where is order 1042? ça fait une semaine", {"client_message_id": "c-1"}
    )
    entities = [{"entity": "order_number", "value": "1042", "note": "ça"}]
    _understood(database, message_id, entities)
    with database.transaction() as session:
        stored = history.get_interaction(session, message_id)
    assert (stored.intent, stored.confidence) == ("order_status", pytest.approx(0.93))
    assert stored.attributes == {"client_message_id": "c-1", "entities": entities}


def test_a_message_without_attributes_gets_its_entities(database: Database) -> None:
    message_id = _customer_wrote(database, "where is my order?", None)
    _understood(database, message_id, [])
    with database.transaction() as session:
        assert history.get_interaction(session, message_id).attributes == {"entities": []}


def test_an_unknown_message_is_an_error(database: Database) -> None:
    with pytest.raises(LookupError):
        _understood(database, 999, [])
