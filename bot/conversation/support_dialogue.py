"""The support dialogue: NLU picks the route; actions, forms and the knowledge base answer.

In order:
- An active form (ticket, lead) takes the message as its next slot; "cancel" stops it.
- "Yes" after the bot offered a person hands over; "no" carries on.
- Asking for a person hands over at once (`action_handoff`).
- Order and ticket questions run their actions (`action_order_status`,
  `action_ticket_status`); "open a ticket" and sales interest start their forms.
- An angry complaint, or a second message in a row the bot could not understand,
  gets an explicit offer of a person.
- Small talk gets its reply; everything else is looked up in the knowledge base
  (without the entity values, which only blur the match). The passages tried are
  stored on the bot's interaction either way, for the agent who picks it up.
Opt-out and opt-in run their actions; their confirmations are marked
`consent_notice`, so they reach an address that has just opted out.
"""

from __future__ import annotations

import re

from actions.context import OFFER_REASON
from actions.domain import CONTACT_FORM, FORMS, LEAD_FORM, OPEN_TICKET_FORM
from actions.handoff import HANDOFF_REASON
from bot.conversation.action_runner import ActionRunner, proves_sender
from bot.conversation.dialogue import (
    FALLBACK,
    SMALL_TALK_INTENTS,
    Reply,
    Turn,
    Understanding,
    small_talk_intent,
    small_talk_reply,
)
from bot.conversation.forms import FormLoop, active_form
from bot.conversation.sentiment import is_negative
from channels.rendering import answer_text
from crm_store.vocabulary import HandoffReason
from knowledge import KnowledgeAnswer, KnowledgeBase, answer_async
from nlu import FALLBACK_INTENT

_UNSURE = FALLBACK_INTENT
_PERSON_OFFER = "If you'd like a person to help, just say so."
# Intents answered by an action, and forms started by an intent.
_ACTIONS = {
    "greet": "action_greet",
    "order_status": "action_order_status",
    "ticket_status": "action_ticket_status",
    # Refuses anyone but sales staff (a customer channel never has a staff role).
    "account_summary": "action_account_summary",
    "opt_out": "action_opt_out",
    "opt_in": "action_opt_in",
}
# Replies that must reach an address even after it opted out (the confirmation).
_CONSENT_NOTICES = frozenset({"opt_out", "opt_in"})
_FORMS = {
    "open_ticket": OPEN_TICKET_FORM,
    "pricing": LEAD_FORM,
    "demo_request": LEAD_FORM,
    "update_contact": CONTACT_FORM,
}
# Forms that change the customer's record: only for a sender the channel proves, on
# every message of the form (`proves_sender`).
_VERIFIED_FORMS = frozenset({CONTACT_FORM})
_CONTACT_INTENT = "update_contact"
CONTACT_NEEDS_VERIFIED = (
    "To change your contact details I need to know it's you, and I can't be sure this "
    "message comes from you, so I haven't changed anything. Sign in on our website and "
    "open the chat there, or text us from the phone number on your account. If you'd "
    "like a person to help, just say so."
)
# Only a message that is nothing but "cancel" (or the like) stops a form: an answer that
# starts with the word ("Stop charging my card twice") is an answer.
_CANCEL = re.compile(
    r"^\s*(cancel|stop|never ?mind|forget (it|about it)|quit)"
    r"(\s+(it|that|this|please|the ticket|the form))*[\s.!]*$",
    re.I,
)
OFFERED_FORM = "offered_form"
OFFER_AFTER_TWO_MISSES = (
    "Sorry, I'm still not getting it. Shall I pass you to a person? Just say yes."
)
OFFER_FOR_COMPLAINT = (
    "I'm really sorry about this. I'd like a person from our team to look at it: "
    "shall I pass you over? Just say yes."
)


class SupportDialogue:
    def __init__(
        self, knowledge: KnowledgeBase, *, threshold: float, actions: ActionRunner
    ) -> None:
        self._knowledge = knowledge
        self._threshold = threshold
        self._actions = actions
        self._forms = FormLoop(actions)

    async def respond(self, turn: Turn) -> list[Reply]:
        understood = turn.understanding
        intent = understood.intent if understood else None
        if intent is None or intent == _UNSURE:
            intent = small_talk_intent(turn.message.text) or intent
        form = active_form(turn)
        if form in _VERIFIED_FORMS and not proves_sender(turn):
            # Each answer to a form that changes the record must come from the customer
            # too: a forged mail cannot carry on a change the customer started.
            self._forms.cancel(turn)
            return self._needs_verified(turn)
        if form:
            # A form's answers are free text ("for our 40-person team"), so only a short
            # explicit request leaves it for a person; "cancel" just stops it.
            wants_person = _asks_for_person_in_form(turn.message.text)
            if not (_CANCEL.search(turn.message.text) or wants_person):
                return await self._forms.advance(turn)
            replies = self._forms.cancel(turn)
            return (
                await self._handoff(turn, HandoffReason.CUSTOMER_ASKED) if wants_person else replies
            )
        # What the bot's last message offered, if anything: a person, or a form.
        offer = turn.slots.pop(OFFER_REASON, None)
        offered_form = turn.slots.pop(OFFERED_FORM, None)
        if intent in ("affirm", "deny") and (offer or offered_form):
            if intent == "deny":
                return [Reply("No problem. What else can I help with?", intent="deny")]
            if offered_form in _VERIFIED_FORMS and not proves_sender(turn):
                return self._needs_verified(turn)
            if offered_form in FORMS:
                return await self._forms.start(turn, offered_form)
            return await self._handoff(turn, offer or HandoffReason.CUSTOMER_ASKED)
        if intent == "talk_to_human":
            return await self._handoff(turn, HandoffReason.CUSTOMER_ASKED)
        if intent in _ACTIONS:
            outcome = await self._actions.run(_ACTIONS[intent], turn, turn.slots)
            turn.slots.update(outcome.slots)  # an offer of a person or a form, if made
            notice = {"consent_notice": True} if intent in _CONSENT_NOTICES else {}
            return [
                Reply(t, intent=intent, confidence=_confidence(turn), attributes=notice)
                for t in outcome.texts
            ]
        if intent in SMALL_TALK_INTENTS:
            reply = small_talk_reply(intent, turn)
            assert reply is not None
            return [reply]
        if intent in _FORMS:
            if _FORMS[intent] in _VERIFIED_FORMS and not proves_sender(turn):
                return self._needs_verified(turn)
            return await self._forms.start(turn, _FORMS[intent])
        if intent == "complaint" and is_negative(turn.message.text):
            turn.slots[OFFER_REASON] = HandoffReason.COMPLAINT
            return [Reply(OFFER_FOR_COMPLAINT, intent=intent, confidence=_confidence(turn))]
        reply = await self._from_knowledge(turn, understood)
        if reply.intent == _UNSURE:
            turn.slots[OFFER_REASON] = HandoffReason.NOT_UNDERSTOOD
            if _missed_before(turn):
                return [
                    Reply(
                        OFFER_AFTER_TWO_MISSES,
                        intent=_UNSURE,
                        confidence=reply.confidence,
                        sources=reply.sources,
                    )
                ]
        elif reply.intent == "complaint":
            turn.slots[OFFER_REASON] = HandoffReason.COMPLAINT
        return [reply]

    @staticmethod
    def _needs_verified(turn: Turn) -> list[Reply]:
        """Refuse a change of the record to a sender the channel has not proven; a
        person is offered. (Mail goes only to the address on file, so a forger learns
        nothing and the real customer hears of the attempt.)"""
        turn.slots[OFFER_REASON] = _CONTACT_INTENT
        return [Reply(CONTACT_NEEDS_VERIFIED, intent=_CONTACT_INTENT, confidence=_confidence(turn))]

    async def _handoff(self, turn: Turn, reason: str) -> list[Reply]:
        turn.slots[HANDOFF_REASON] = reason
        outcome = await self._actions.run("action_handoff", turn, turn.slots)
        turn.slots.pop(HANDOFF_REASON, None)
        handoff_id = outcome.slots.get("handoff_id")
        attributes = {"handoff_id": handoff_id} if isinstance(handoff_id, int) else {}
        return [
            Reply(t, intent="talk_to_human", confidence=1.0, attributes=attributes)
            for t in outcome.texts
        ]

    async def _from_knowledge(self, turn: Turn, understood: Understanding | None) -> Reply:
        routed = understood.intent if understood and understood.intent != _UNSURE else None
        found = await answer_async(
            self._knowledge,
            _without_entities(turn.message.text, understood),
            threshold=self._threshold,
        )
        if found is None:  # an empty knowledge base
            return Reply(FALLBACK, intent=routed or _UNSURE, confidence=0.0)
        return Reply(
            _reply_text(found, routed, turn.conversation.channel),
            intent=routed or ("knowledge_question" if found.confident else _UNSURE),
            confidence=round(found.confidence, 4),
            sources=found.sources(),
        )


def _reply_text(found: KnowledgeAnswer, routed: str | None, channel: str) -> str:
    if found.confident:
        return answer_text(found, channel)  # plain text where Markdown would show as symbols
    if routed == "complaint":
        return f"I'm sorry to hear that. I can't put it right from this chat. {_PERSON_OFFER}"
    return found.text  # the knowledge layer's honest "no good answer" with a person offered


def _without_entities(text: str, understood: Understanding | None) -> str:
    """The message with entity values cut out, for a cleaner knowledge-base match."""
    if not understood or not understood.entities:
        return text
    spans = sorted(
        (e["start"], e["end"])
        for e in understood.entities
        if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    )
    kept, position = [], 0
    for start, end in spans:
        if start >= position:
            kept.append(text[position:start])
            position = end
    kept.append(text[position:])
    stripped = " ".join("".join(kept).split())
    return stripped if stripped.strip(" ?!.,") else text


def _asks_for_person_in_form(text: str) -> bool:
    return len(text.split()) <= 6 and small_talk_intent(text) == "talk_to_human"


def _missed_before(turn: Turn) -> bool:
    """Was the bot's previous answer also a miss (two failed understandings in a row)?"""
    for message in reversed(turn.history):
        if message.author == "bot":
            return message.intent == _UNSURE
    return False


def _confidence(turn: Turn) -> float | None:
    return round(turn.understanding.confidence, 4) if turn.understanding else None
