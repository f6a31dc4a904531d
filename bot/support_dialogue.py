"""Small talk first, then an answer from the knowledge base, or an honest fallback.

The knowledge layer decides whether its best passage is good enough (a threshold
calibrated on a validation split, see knowledge/answers.py). Either way the passages
relied on or tried are stored on the bot's interaction, so an agent later sees them.
"""

from __future__ import annotations

from bot.dialogue import FALLBACK, Reply, Turn, small_talk
from knowledge import KnowledgeBase, answer_async

# How each channel shows an answer: plain text where Markdown would show as symbols.
_RENDERING = {"web": "web", "email": "email", "sms": "sms", "slack": "web", "terminal": "sms"}


class SupportDialogue:
    def __init__(self, knowledge: KnowledgeBase, *, threshold: float) -> None:
        self._knowledge = knowledge
        self._threshold = threshold

    async def respond(self, turn: Turn) -> list[Reply]:
        reply = small_talk(turn)
        if reply is not None:
            return [reply]
        channel = _RENDERING.get(turn.conversation.channel, "sms")
        found = await answer_async(
            self._knowledge, turn.message.text, channel, threshold=self._threshold
        )
        if found is None:  # an empty knowledge base
            return [Reply(FALLBACK, intent="nlu_fallback", confidence=0.0)]
        return [
            Reply(
                found.text,
                intent="knowledge_question" if found.confident else "nlu_fallback",
                confidence=round(found.confidence, 4),
                sources=found.sources(),
            )
        ]
