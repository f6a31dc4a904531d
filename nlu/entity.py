"""One extracted entity, in Rasa's shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Entity"]


@dataclass(frozen=True)
class Entity:
    entity: str
    value: Any
    start: int
    end: int
    extractor: str
    confidence_entity: float = 1.0
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. processors, role, group

    def to_rasa(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": self.confidence_entity,
            "extractor": self.extractor,
            **self.extras,
        }
