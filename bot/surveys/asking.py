"""Asking for a rating after a resolution: the question goes through the outbox like
any message, worded for the channel (buttons on the web widget, a digit by SMS, a
number in a reply by email), unless the customer withdrew consent to surveys there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from crm_store import consents, customers, history, outbox, surveys
from crm_store.records import InteractionRecord, NewInteraction

__all__ = ["SurveyPolicy", "ask_after_resolution"]

QUESTION = {
    "web": "How did we do? Rate this conversation from 1 (poor) to 5 (great).",
    "sms": "How did we do? Reply with a number from 1 (poor) to 5 (great).",
    "email": (
        "How did we do? Reply to this mail with a number from 1 (poor) to 5 (great), "
        "and any comment after it."
    ),
}
CHOICES = [{"label": str(score), "reply": str(score)} for score in range(1, 6)]


@dataclass(frozen=True, slots=True)
class SurveyPolicy:
    """`cooldown`: at most one survey per customer within it; `answer_within`: how long
    after asking a digit still counts as the rating."""

    enabled: bool = True
    cooldown: timedelta = timedelta(days=14)
    answer_within: timedelta = timedelta(days=3)


def ask_after_resolution(
    session: Session, conversation_id: int, policy: SurveyPolicy
) -> InteractionRecord | None:
    """Ask, in the caller's transaction (the resolution's), when the policy allows;
    returns the question logged, or None when nothing was asked."""
    if not policy.enabled:
        return None
    conversation = history.get_conversation(session, conversation_id)
    if conversation is None or conversation.channel not in QUESTION:
        return None
    identity = customers.get_identity(session, conversation.identity_id)
    if identity is None or consents.opt_out_of(
        session, conversation.channel, identity.address, purpose=consents.SURVEYS
    ):
        return None
    survey = surveys.ask(session, conversation_id, cooldown=policy.cooldown)
    if survey is None:
        return None
    attributes: dict[str, object] = {"survey_id": survey.id}
    if conversation.channel == "web":
        attributes["choices"] = CHOICES
    return outbox.log_outbound(
        session,
        history.get_conversation(session, conversation_id) or conversation,
        identity.address,
        NewInteraction(
            direction="out",
            author="system",
            text=QUESTION[conversation.channel],
            delivery_status="pending",
            attributes=attributes,
        ),
    )
