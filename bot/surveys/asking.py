"""Asking for a rating after a resolution: the question goes through the outbox like
any message, worded for the channel (buttons on the web widget, a digit by SMS, a
number in a reply or a link per score by email), unless the customer withdrew consent
to surveys there."""

from __future__ import annotations

from collections.abc import Callable
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
SCORE_WORDS = {1: "poor", 2: "not good", 3: "all right", 4: "good", 5: "great"}
# (survey id, score) -> the signed link that records that score (bot/surveys/links.py).
RatingUrl = Callable[[int, int], str]


@dataclass(frozen=True, slots=True)
class SurveyPolicy:
    """`cooldown`: at most one survey per customer within it; `answer_within`: how long
    after asking a digit (or a rating link) still counts as the rating; `rating_url`:
    the links an email survey carries, None where the server has no public URL."""

    enabled: bool = True
    cooldown: timedelta = timedelta(days=14)
    answer_within: timedelta = timedelta(days=3)
    rating_url: RatingUrl | None = None


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
    text = QUESTION[conversation.channel]
    if conversation.channel == "web":
        attributes["choices"] = CHOICES
    if conversation.channel == "email" and policy.rating_url is not None:
        links = "\n".join(
            f"{score} ({SCORE_WORDS[score]}): {policy.rating_url(survey.id, score)}"
            for score in range(1, 6)
        )
        text = f"{text}\n\nOr choose your rating:\n{links}"
    return outbox.log_outbound(
        session,
        history.get_conversation(session, conversation_id) or conversation,
        identity.address,
        NewInteraction(
            direction="out",
            author="system",
            text=text,
            delivery_status="pending",
            attributes=attributes,
        ),
    )
