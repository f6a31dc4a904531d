"""The NLU layer as the engine's `Understander`: the local model or a Rasa server."""

from __future__ import annotations

from typing import Any, Protocol

from bot.conversation.dialogue import Understanding
from nlu import FALLBACK_INTENT


class ParsedMessage(Protocol):
    def to_rasa(self) -> dict[str, Any]: ...


class NluParser(Protocol):
    """`nlu.NluModel` and `nlu.RasaHttpParser` both: Rasa's parse shape, asynchronously."""

    async def parse_async(self, text: str) -> ParsedMessage: ...


class NluUnderstander:
    """Reads Rasa's parse shape, so `nlu.NluModel` and `nlu.RasaHttpParser` both fit."""

    def __init__(self, parser: NluParser) -> None:
        self.parser = parser

    async def understand(self, text: str) -> Understanding:
        parsed = (await self.parser.parse_async(text)).to_rasa()
        intent = parsed.get("intent") or {}
        return Understanding(
            intent=str(intent.get("name") or FALLBACK_INTENT),
            confidence=float(intent.get("confidence") or 0.0),
            entities=[
                {key: entity.get(key) for key in ("entity", "value", "start", "end", "extractor")}
                for entity in parsed.get("entities") or []
            ],
        )
