"""Entity extraction: regexes and lookup tables from the training data, the built-in
extractors, and synonyms mapped to canonical values. Overlaps keep the longest span."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nlu.builtin_entities import find_builtin_entities
from nlu.entity import Entity

__all__ = ["EntityExtractor"]

REGEX_EXTRACTOR = "RegexEntityExtractor"
SYNONYM_PROCESSOR = "EntitySynonymMapper"


@dataclass
class EntityExtractor:
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased variant -> canonical
    _compiled: list[tuple[str, re.Pattern[str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._compiled = [
            (name, re.compile(pattern, re.I))
            for name, patterns in self.regexes.items()
            for pattern in patterns
        ]
        for name, values in self.lookups.items():
            if values:
                alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
                self._compiled.append((name, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)))

    def to_dict(self) -> dict[str, Any]:
        return {"regexes": self.regexes, "lookups": self.lookups, "synonyms": self.synonyms}

    def extract(self, text: str, now: datetime | None = None) -> list[Entity]:
        found = [*self._from_patterns(text), *find_builtin_entities(text, now)]
        return [self._canonical(entity) for entity in _without_overlaps(found)]

    def _from_patterns(self, text: str) -> list[Entity]:
        entities = []
        for name, pattern in self._compiled:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    span = match.group(0)
                    entities.append(Entity(name, span, match.start(), match.end(), REGEX_EXTRACTOR))
        return entities

    def _canonical(self, entity: Entity) -> Entity:
        if not isinstance(entity.value, str):
            return entity
        canonical = self.synonyms.get(entity.value.lower())
        if canonical is None or canonical == entity.value:
            return entity
        return Entity(
            entity.entity,
            canonical,
            entity.start,
            entity.end,
            entity.extractor,
            entity.confidence_entity,
            {**entity.extras, "processors": [SYNONYM_PROCESSOR]},
        )


def _without_overlaps(entities: list[Entity]) -> list[Entity]:
    """Longest span first; among equal spans, the built-in (normalised) value wins."""
    ranked = sorted(
        entities,
        key=lambda e: (-(e.end - e.start), e.extractor == REGEX_EXTRACTOR, e.start),
    )
    kept: list[Entity] = []
    for entity in ranked:
        if all(entity.end <= other.start or other.end <= entity.start for other in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)
