"""Rasa entity annotations inside example text: `[text](entity)`, `[text](entity:value)`
and `[text]{"entity": ..., "value": ..., "role": ..., "group": ...}`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AnnotatedEntity", "AnnotationError", "parse_annotated"]

_ANNOTATION = re.compile(
    r"\[(?P<text>[^\[\]]+?)\]"
    r"(?:\((?P<entity>[^():]+?)(?::(?P<value>[^()]+))?\)|(?P<json>\{[^{}]*\}))"
)
# What is left after the good annotations are removed must not still look like one.
_BROKEN = re.compile(r"\[[^\[\]]*\]\s*[({]|\]\(|\]\{|\[[^\[\]]*\][^\s.,!?;:'\")]")


class AnnotationError(ValueError):
    """An annotation that cannot be read (the caller adds file and line)."""


@dataclass(frozen=True)
class AnnotatedEntity:
    entity: str
    value: Any
    start: int
    end: int
    text: str
    extras: dict[str, Any] = field(default_factory=dict)  # role, group


def _entity_from(match: re.Match[str]) -> tuple[str, Any, dict[str, Any]]:
    if match.group("json") is None:
        entity = match.group("entity").strip()
        value = match.group("value")
        if not entity:
            raise AnnotationError(f"empty entity name in {match.group(0)!r}")
        return entity, (value.strip() if value else match.group("text")), {}
    try:
        spec = json.loads(match.group("json"))
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"invalid JSON in annotation {match.group(0)!r}: {exc.msg}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str) or not spec["entity"]:
        raise AnnotationError(f'annotation {match.group(0)!r} needs an "entity" key')
    extras = {key: spec[key] for key in ("role", "group") if key in spec}
    return spec["entity"], spec.get("value", match.group("text")), extras


def parse_annotated(annotated: str) -> tuple[str, list[AnnotatedEntity]]:
    """Plain text and its entities; raises `AnnotationError` on a broken annotation."""
    plain: list[str] = []
    entities: list[AnnotatedEntity] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(annotated):
        before = annotated[cursor : match.start()]
        _check_clean(before)
        plain.append(before)
        length += len(before)
        entity, value, extras = _entity_from(match)
        text = match.group("text")
        entities.append(AnnotatedEntity(entity, value, length, length + len(text), text, extras))
        plain.append(text)
        length += len(text)
        cursor = match.end()
    rest = annotated[cursor:]
    _check_clean(rest)
    plain.append(rest)
    return "".join(plain), entities


def _check_clean(fragment: str) -> None:
    if _BROKEN.search(fragment) or fragment.count("[") != fragment.count("]"):
        raise AnnotationError(f"broken entity annotation near {fragment.strip()!r}")
