"""The support dialogue: NLU picks the route, the knowledge base answers questions.

- Small talk (greet, thanks, goodbye, asking for a person) gets its reply; "yes" after
  the bot offered a person counts as asking for one.
- Everything else is looked up in the knowledge base (without the entity values, which
  only blur the match: "where is my order 4417?" looks for "where is my order ?"). An
  answer above the calibrated threshold (knowledge/answers.py) is given with its source.
- A request the bot understood but cannot carry out from a chat (ticket look-ups,
  contact changes, opt-outs, leads) is told so plainly, with a person offered; an order
  question names the order and points to how to follow it. Below the threshold anything
  else gets "no good answer, rephrase or ask for a person". The passages tried are
  stored on the bot's interaction either way, for the agent who picks it up.
The actions that carry these requests out come with the actions layer.
"""

from __future__ import annotations

from bot.dialogue import (
    FALLBACK,
    SMALL_TALK_INTENTS,
    Reply,
    Turn,
    Understanding,
    small_talk_intent,
    small_talk_reply,
)
from knowledge import KnowledgeAnswer, KnowledgeBase, answer_async

# How each channel shows an answer: plain text where Markdown would show as symbols.
_RENDERING = {"web": "web", "email": "email", "sms": "sms", "slack": "web", "terminal": "sms"}
_UNSURE = "nlu_fallback"
_PERSON_OFFER = "If you'd like a person to help, just say so."
# Requests the bot understands but cannot carry out from a chat yet.
_CANNOT_DO = {
    "ticket_status": "check on a support ticket",
    "open_ticket": "open a support ticket",
    "update_contact": "change your contact details",
    "opt_out": "stop messages from us",
    "opt_in": "start messages from us again",
    "pricing": "discuss pricing",
    "demo_request": "book a demo",
    "account_summary": "put together an account summary",
}


class SupportDialogue:
    def __init__(self, knowledge: KnowledgeBase, *, threshold: float) -> None:
        self._knowledge = knowledge
        self._threshold = threshold

    async def respond(self, turn: Turn) -> list[Reply]:
        understood = turn.understanding
        intent = understood.intent if understood else None
        if intent is None or intent == _UNSURE:
            intent = small_talk_intent(turn.message.text) or intent
        if intent in ("affirm", "deny") and _offered_a_person(turn):
            if intent == "affirm":
                intent = "talk_to_human"
            else:
                return [Reply("No problem. What else can I help with?", intent="deny")]
        if intent in SMALL_TALK_INTENTS:
            reply = small_talk_reply(intent, turn)
            assert reply is not None
            return [reply]
        return [await self._from_knowledge(turn, understood)]

    async def _from_knowledge(self, turn: Turn, understood: Understanding | None) -> Reply:
        channel = _RENDERING.get(turn.conversation.channel, "sms")
        routed = understood.intent if understood and understood.intent != _UNSURE else None
        found = await answer_async(
            self._knowledge,
            _without_entities(turn.message.text, understood),
            channel,
            threshold=self._threshold,
        )
        if found is None:  # an empty knowledge base
            return Reply(FALLBACK, intent=routed or _UNSURE, confidence=0.0)
        return Reply(
            _reply_text(found, routed, understood),
            intent=routed or ("knowledge_question" if found.confident else _UNSURE),
            confidence=round(found.confidence, 4),
            sources=found.sources(),
        )


def _reply_text(
    found: KnowledgeAnswer, routed: str | None, understood: Understanding | None
) -> str:
    numbers = understood.entity_values("order_number") if understood else []
    if routed == "order_status":
        lead = f"I can't look up order {numbers[0]}" if numbers else "I can't look up orders"
        if found.confident:
            return f"{lead} from this chat, but here is how to follow it:\n\n{found.text}"
        return f"{lead} from this chat. {_PERSON_OFFER}"
    # A request the bot cannot carry out is said so plainly, even when some article
    # matches its words ("change my phone number" is not a question about our phone).
    if routed in _CANNOT_DO:
        return (
            f"I understood you'd like to {_CANNOT_DO[routed]}, but I can't do that from "
            f"this chat. {_PERSON_OFFER}"
        )
    if found.confident:
        return found.text
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


def _offered_a_person(turn: Turn) -> bool:
    """Did the bot's last message offer a person (its honest fallback does)?"""
    for message in reversed(turn.history):
        if message.author == "bot":
            return message.intent in (_UNSURE, "complaint", *_CANNOT_DO, "order_status")
    return False
