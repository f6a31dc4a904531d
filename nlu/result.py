"""What parsing one message returns, and its Rasa `/model/parse` shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlu.entity import Entity

__all__ = ["FALLBACK_INTENT", "IntentScore", "ParseResult"]

FALLBACK_INTENT = "nlu_fallback"
RANKING_LENGTH = 10


@dataclass(frozen=True)
class IntentScore:
    name: str
    confidence: float

    def to_rasa(self) -> dict[str, Any]:
        return {"name": self.name, "confidence": self.confidence}


@dataclass(frozen=True)
class ParseResult:
    text: str
    intent: IntentScore
    ranking: list[IntentScore] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        return self.intent.name == FALLBACK_INTENT

    def entity_values(self, name: str) -> list[Any]:
        return [entity.value for entity in self.entities if entity.entity == name]

    def to_rasa(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.intent.to_rasa(),
            "intent_ranking": [score.to_rasa() for score in self.ranking[:RANKING_LENGTH]],
            "entities": [entity.to_rasa() for entity in self.entities],
        }
