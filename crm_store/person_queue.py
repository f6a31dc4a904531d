"""A conversation queued for a person: the handoff, and a ticket when the customer has
none open, so the request is tracked even if nobody is at the desk. The bot's handoff
action (actions/handoff.py) and the mail it holds back unanswered
(bot/channel_store/email_intake.py) both queue through here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm_store import handoffs, tickets
from crm_store.records import HandoffRecord

__all__ = ["queue_for_person"]


def queue_for_person(
    session: Session,
    *,
    conversation_id: int,
    customer_id: int,
    reason: str,
    summary: str,
    ticket_subject: str,
    ticket_description: str,
    intent: str | None = None,
    confidence: float | None = None,
) -> tuple[HandoffRecord, bool]:
    """The conversation's live handoff and whether it is new (asked again while one is
    live: the one there is, and no second ticket)."""
    handoff, new = handoffs.open_handoff(
        session,
        conversation_id=conversation_id,
        customer_id=customer_id,
        reason=reason,
        intent=intent,
        confidence=confidence,
        summary=summary,
    )
    if new and not tickets.open_tickets_of(session, customer_id, limit=1):
        tickets.open_ticket(
            session,
            customer_id=customer_id,
            subject=ticket_subject,
            description=ticket_description,
            conversation_id=conversation_id,
        )
    return handoff, new
