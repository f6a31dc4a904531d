"""Rasa NLU training data (YAML, version "3.1"): intents with annotated examples,
synonyms, regexes and lookup tables. Several files merge into one `TrainingData`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.annotations import AnnotatedEntity, AnnotationError, parse_annotated
from nlu.errors import TrainingDataError

__all__ = [
    "Example",
    "TrainingData",
    "load_training_data",
    "parse_training_yaml",
]

MIN_EXAMPLES_PER_INTENT = 2
_BLOCK_KINDS = ("intent", "synonym", "regex", "lookup")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[AnnotatedEntity, ...] = ()


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased variant -> canonical
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)  # intent -> file, line

    @property
    def intents(self) -> list[str]:
        return sorted({example.intent for example in self.examples})

    def merge(self, other: TrainingData) -> TrainingData:
        merged = TrainingData(
            [*self.examples, *other.examples],
            {**self.synonyms, **other.synonyms},
            {k: list(v) for k, v in self.regexes.items()},
            {k: list(v) for k, v in self.lookups.items()},
            {**other.origins, **self.origins},
        )
        for name, patterns in other.regexes.items():
            merged.regexes.setdefault(name, []).extend(patterns)
        for name, values in other.lookups.items():
            merged.lookups.setdefault(name, []).extend(values)
        return merged


def load_training_data(paths: Iterable[str | Path], *, for_training: bool = True) -> TrainingData:
    """Read and merge YAML files (a directory means its *.yml and *.yaml files).

    Training data needs at least two examples per intent; test data (`for_training=False`)
    may have one.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yml"), *path.glob("*.yaml")]))
        else:
            files.append(path)
    if not files:
        raise TrainingDataError("<none>", None, "no training files given")
    data = TrainingData()
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TrainingDataError(file, None, f"cannot read: {exc}") from exc
        data = data.merge(parse_training_yaml(text, source=str(file), check_counts=False))
    if for_training:
        _check_counts(data)
    return data


def parse_training_yaml(
    text: str, source: str = "<string>", *, check_counts: bool = True
) -> TrainingData:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise TrainingDataError(source, line, f"bad YAML: {getattr(exc, 'problem', exc)}") from exc
    data = TrainingData()
    if root is None:
        return data
    if not isinstance(root, yaml.MappingNode):
        raise TrainingDataError(source, root.start_mark.line + 1, "top level must be a mapping")
    for key, value in root.value:
        if key.value == "nlu":
            if not isinstance(value, yaml.SequenceNode):
                raise TrainingDataError(source, value.start_mark.line + 1, "nlu: must be a list")
            for block in value.value:
                _read_block(block, source, data)
    if check_counts:
        _check_counts(data)
    return data


def _read_block(block: yaml.Node, source: str, data: TrainingData) -> None:
    line = block.start_mark.line + 1
    if not isinstance(block, yaml.MappingNode):
        raise TrainingDataError(source, line, "each nlu: entry must be a mapping")
    fields = {key.value: value for key, value in block.value}
    kinds = [kind for kind in _BLOCK_KINDS if kind in fields]
    if len(kinds) != 1:
        known = ", ".join(_BLOCK_KINDS)
        raise TrainingDataError(
            source, line, f"unknown block with keys {sorted(fields)} (expected one of {known})"
        )
    kind = kinds[0]
    name = str(fields[kind].value).strip() if isinstance(fields[kind], yaml.ScalarNode) else ""
    if not name:
        raise TrainingDataError(source, line, f"{kind} block needs a name")
    if "examples" not in fields:
        raise TrainingDataError(source, line, f"{kind} {name!r} has no examples")
    items = list(_example_lines(fields["examples"], source))
    if kind == "intent":
        data.origins.setdefault(name, (source, line))
        for text, item_line in items:
            try:
                plain, entities = parse_annotated(text)
            except AnnotationError as exc:
                raise TrainingDataError(source, item_line, f"intent {name!r}: {exc}") from exc
            data.examples.append(Example(plain, name, tuple(entities)))
            for entity in entities:
                if isinstance(entity.value, str) and entity.value != entity.text:
                    data.synonyms[entity.text.lower()] = entity.value
    elif kind == "synonym":
        for text, _ in items:
            data.synonyms[text.lower()] = name
    elif kind == "regex":
        data.regexes.setdefault(name, []).extend(text for text, _ in items)
    else:
        data.lookups.setdefault(name, []).extend(text for text, _ in items)


def _example_lines(node: yaml.Node, source: str) -> Iterable[tuple[str, int]]:
    """(text, 1-based line) for each `- item` of a block scalar or a YAML list."""
    if isinstance(node, yaml.ScalarNode):
        # A literal block starts on the line after `examples: |`.
        first = node.start_mark.line + (1 if node.style in ("|", ">") else 0)
        for offset, raw in enumerate(str(node.value).splitlines()):
            stripped = raw.strip()
            if not stripped:
                continue
            if not stripped.startswith("- "):
                raise TrainingDataError(
                    source, first + offset + 1, f"example must start with '- ': {stripped!r}"
                )
            yield stripped[2:].strip(), first + offset + 1
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            value: Any = item.value
            if isinstance(item, yaml.MappingNode):
                value = next((v.value for k, v in item.value if k.value == "text"), None)
            if not isinstance(value, str):
                raise TrainingDataError(source, item.start_mark.line + 1, "example is not text")
            yield value.strip(), item.start_mark.line + 1
    else:
        raise TrainingDataError(source, node.start_mark.line + 1, "examples must be text or list")


def _check_counts(data: TrainingData) -> None:
    counts: dict[str, int] = {}
    for example in data.examples:
        counts[example.intent] = counts.get(example.intent, 0) + 1
    for intent, count in counts.items():
        if count < MIN_EXAMPLES_PER_INTENT:
            source, line = data.origins.get(intent, ("<training data>", 0))
            raise TrainingDataError(
                source,
                line or None,
                f"intent {intent!r} has {count} example(s); at least "
                f"{MIN_EXAMPLES_PER_INTENT} are needed",
            )
