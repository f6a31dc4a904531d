"""A customer's conversation handed to a person, written straight to the store (for
tests of what agents and the desk do next, not of how the bot hands over)."""

from __future__ import annotations

from crm_store import Database, customers, handoffs, history


def handed_off(database: Database, channel: str, address: str, *, summary: str = "") -> int:
    """The id of a new handoff of the conversation of `address` on `channel`."""
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, channel, address)
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel=channel
        )
        handoff, _ = handoffs.open_handoff(
            session,
            conversation_id=conversation.id,
            customer_id=customer.id,
            reason="customer_asked",
            intent=None,
            confidence=None,
            summary=summary,
        )
        return handoff.id
