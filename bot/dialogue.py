"""The dialogue layer: given a turn, decide the bot's replies.

Until the NLU and knowledge layers land, `RuleDialogue` knows greetings, thanks,
goodbyes and requests for a person, and otherwise says it did not understand and
offers a person. The engine only sees the `Dialogue` protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from crm_store.records import ConversationRecord, CustomerRecord, InteractionRecord


@dataclass(frozen=True, slots=True)
class Turn:
    customer: CustomerRecord
    conversation: ConversationRecord
    message: InteractionRecord
    history: list[InteractionRecord]


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    intent: str | None = None
    confidence: float | None = None
    sources: list[Any] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


class Dialogue(Protocol):
    async def respond(self, turn: Turn) -> list[Reply]: ...


_GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))\b", re.I)
_THANKS = re.compile(r"\b(thanks|thank you|thx|cheers|much appreciated)\b", re.I)
_GOODBYE = re.compile(r"^\s*(bye|goodbye|see you|that'?s all)\b", re.I)
_PERSON = re.compile(r"\b(human|person|agent|someone real|real person|representative)\b", re.I)


class RuleDialogue:
    """A small rule set; replaced by NLU-driven rules when that layer lands."""

    async def respond(self, turn: Turn) -> list[Reply]:
        text = turn.message.text
        first_name = (turn.customer.name or "").split(" ")[0]
        if _PERSON.search(text):
            return [
                Reply(
                    "I can hand you to a person on our support team. "
                    "Someone will pick this conversation up here as soon as they are free.",
                    intent="talk_to_human",
                    confidence=1.0,
                )
            ]
        if _GREETING.search(text):
            hello = f"Hi {first_name}!" if first_name else "Hi!"
            return [Reply(f"{hello} How can I help you today?", intent="greet", confidence=1.0)]
        if _THANKS.search(text):
            return [
                Reply("You're welcome! Anything else I can do?", intent="thanks", confidence=1.0)
            ]
        if _GOODBYE.search(text):
            return [
                Reply("Goodbye, and thanks for getting in touch.", intent="goodbye", confidence=1.0)
            ]
        return [
            Reply(
                "Sorry, I didn't understand that. Could you put it another way? "
                "If you'd rather talk to a person, just say so.",
                intent="nlu_fallback",
                confidence=0.0,
            )
        ]
