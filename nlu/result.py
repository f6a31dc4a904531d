"""What parsing one message returns, and its Rasa `/model/parse` shape.

`to_rasa()` gives Rasa's keys and one of ours:

- `intent`: the top intent, or `nlu_fallback` when the message is out of scope; the
  fallback's confidence is then P(out of scope) = 1 - `in_scope.probability`.
- `intent_ranking`: the top 10 intents with temperature-calibrated confidences (a
  probability distribution over the trained intents, so they sum to at most 1). When
  the message falls back, `nlu_fallback` leads and the 10 intents follow, as Rasa's
  FallbackClassifier inserts it without dropping an intent: a router can still see
  what the message was closest to.
- `entities`: as Rasa gives them.
- `in_scope` (Switchboard's; absent when the parser has none, as from a Rasa server):
  `{"probability": P(in scope), "threshold": t}`. The message falls back exactly when
  probability < threshold. It is a top-level key rather than a field of `intent`
  because it is about the message, not about one intent, and Rasa's clients ignore
  top-level keys they do not know (Rasa itself adds `response_selector` there).
  The threshold is the model's operating point (`nlu.max_in_scope_fallback`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlu.entity import Entity

__all__ = ["FALLBACK_INTENT", "RANKING_LENGTH", "IntentScore", "ParseResult", "ScopeScore"]

FALLBACK_INTENT = "nlu_fallback"
RANKING_LENGTH = 10


@dataclass(frozen=True)
class IntentScore:
    name: str
    confidence: float

    def to_rasa(self) -> dict[str, Any]:
        return {"name": self.name, "confidence": self.confidence}


@dataclass(frozen=True)
class ScopeScore:
    """How likely the message is about a trained intent at all, and the bar it must meet."""

    probability: float
    threshold: float

    @property
    def in_scope(self) -> bool:
        return self.probability >= self.threshold

    def to_rasa(self) -> dict[str, float]:
        return {"probability": self.probability, "threshold": self.threshold}


@dataclass(frozen=True)
class ParseResult:
    text: str
    intent: IntentScore
    ranking: list[IntentScore] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    scope: ScopeScore | None = None

    @property
    def is_fallback(self) -> bool:
        return self.intent.name == FALLBACK_INTENT

    def entity_values(self, name: str) -> list[Any]:
        return [entity.value for entity in self.entities if entity.entity == name]

    def to_rasa(self) -> dict[str, Any]:
        parsed: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent.to_rasa(),
            "intent_ranking": [score.to_rasa() for score in self.ranking],
            "entities": [entity.to_rasa() for entity in self.entities],
        }
        if self.scope is not None:
            parsed["in_scope"] = self.scope.to_rasa()
        return parsed
