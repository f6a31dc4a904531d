"""The support dialogue: NLU picks the route, the knowledge base answers questions.

- Small talk (greet, thanks, goodbye, asking for a person) gets its reply.
- Everything else is looked up in the knowledge base; an answer above the calibrated
  threshold (knowledge/answers.py) is given with its source, and below it the bot says
  it has no good answer and offers a person. The passages relied on or tried are
  stored on the bot's interaction, so an agent later sees them.
- An order question names the order it understood; looking orders up, tickets, leads
  and the other actions come with the actions layer.
Without NLU (or when NLU is unsure) small talk is recognised by rules instead.
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
from knowledge import KnowledgeBase, answer_async

# How each channel shows an answer: plain text where Markdown would show as symbols.
_RENDERING = {"web": "web", "email": "email", "sms": "sms", "slack": "web", "terminal": "sms"}
_UNSURE = "nlu_fallback"


class SupportDialogue:
    def __init__(self, knowledge: KnowledgeBase, *, threshold: float) -> None:
        self._knowledge = knowledge
        self._threshold = threshold

    async def respond(self, turn: Turn) -> list[Reply]:
        understood = turn.understanding
        intent = understood.intent if understood else None
        if intent is None or intent == _UNSURE:
            intent = small_talk_intent(turn.message.text) or intent
        if intent in SMALL_TALK_INTENTS:
            reply = small_talk_reply(intent, turn)
            assert reply is not None
            return [reply]
        return [await self._from_knowledge(turn, understood)]

    async def _from_knowledge(self, turn: Turn, understood: Understanding | None) -> Reply:
        channel = _RENDERING.get(turn.conversation.channel, "sms")
        found = await answer_async(
            self._knowledge, turn.message.text, channel, threshold=self._threshold
        )
        routed = understood.intent if understood and understood.intent != _UNSURE else None
        if found is None:  # an empty knowledge base
            return Reply(FALLBACK, intent=routed or _UNSURE, confidence=0.0)
        text = found.text
        if routed == "order_status" and understood is not None:
            numbers = understood.entity_values("order_number")
            if numbers:
                lead = f"I can't look up order {numbers[0]} from this chat"
                text = (
                    f"{lead}, but here is how to follow it:\n\n{text}"
                    if found.confident
                    else f"{lead}. {text}"
                )
        return Reply(
            text,
            intent=routed or ("knowledge_question" if found.confident else _UNSURE),
            confidence=round(found.confidence, 4),
            sources=found.sources(),
        )
