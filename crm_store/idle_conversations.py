"""Conversations the bot answered and the customer then left: open, owned by the bot,
nothing written for a while, and the last message the bot's answer. The bot resolves
them (bot/conversation/bot_resolution.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from crm_store.event_log import route_decisions
from crm_store.models import Conversation, Interaction

__all__ = ["LOOK_BACK", "RESOLVING_DECISIONS", "left_after_an_answer"]

# A bot reply that settles what was asked: an answer from the help centre, or a record
# looked up or changed. A question back, an offer of a person or a fallback does not.
RESOLVING_DECISIONS = frozenset({"answer", "action"})
# Conversations idle longer than this are left open: the customer comes back to them.
LOOK_BACK = timedelta(days=7)


def left_after_an_answer(session: Session, *, idle_since: datetime, limit: int = 500) -> list[int]:
    """Ids of open bot conversations last written to between `idle_since - LOOK_BACK` and
    `idle_since` whose last message is a bot reply whose every decision resolves."""
    rows = session.execute(
        select(Conversation.id, Interaction.attributes)
        .join(
            Interaction,
            and_(
                Interaction.conversation_id == Conversation.id,
                Interaction.seq == Conversation.last_seq,
            ),
        )
        .where(
            Conversation.status == "open",
            Conversation.owner == "bot",
            Conversation.updated_at < idle_since,
            Conversation.updated_at >= idle_since - LOOK_BACK,
            Interaction.author == "bot",
        )
        .order_by(Conversation.updated_at)
        .limit(limit)
    )
    found = []
    for conversation_id, attributes in rows:
        decisions = set(route_decisions(attributes or {}))
        if decisions and decisions <= RESOLVING_DECISIONS:
            found.append(conversation_id)
    return found
