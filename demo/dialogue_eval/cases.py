"""The evaluation's cases, loaded from YAML and checked so a malformed case fails loudly.

A *single* is one customer message in a fresh chat; a *conversation* is a few messages
in one chat. Every message the bot is judged on carries an `expect` (see `Expectation`);
a conversation turn may leave it out when the reply is not the point (a name typed into
a form, "cancel"). Each case is tagged `split: dev` (for tuning the router) or
`split: test` (for reporting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent
SPLITS = ("dev", "test", "holdout", "blind")
# Who is chatting: an anonymous visitor, or a demo customer whose identity the host
# page signs (demo/seed.py's fixed customers).
VISITORS = {
    "anonymous": None,
    "ada": "ada@example.com",
    "grace": "grace@example.com",
    "alan": "alan@example.com",
}
ARTICLE_KINDS = ("article", "any_of", "articles", "clarify")
ACTION_KINDS = ("action", "form", "handover", "offer", "small_talk", "language")
KINDS = (*ARTICLE_KINDS, *ACTION_KINDS, "fallback")
CLASSES = ("articles", "actions", "fallback", "multi_turn")


class CaseError(ValueError):
    """A case in the data set is malformed: the evaluation refuses to run on it."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the bot's replies to one message must show.

    kind: `article` (one key), `any_of` (one of several keys, each acceptable),
    `articles` (several questions: every group answered; a group is a key or a list of
    acceptable keys), `action`/`form` (a name), `handover`, `offer` (a person or a
    yes-no question offered), `fallback`, `language` (a code), `clarify`, `small_talk`.
    """

    kind: str
    articles: tuple[tuple[str, ...], ...] = ()  # groups of acceptable article keys
    name: str | None = None  # the action or form, or the language code

    @property
    def case_class(self) -> str:
        if self.kind in ARTICLE_KINDS:
            return "articles"
        if self.kind in ACTION_KINDS:
            return "actions"
        return "fallback"

    @property
    def acceptable(self) -> frozenset[str]:
        return frozenset(key for group in self.articles for key in group)

    @property
    def article_label(self) -> str:
        """The expected articles in short: `key`, `a/b` (any of), `a + b/c` (several)."""
        return " + ".join("/".join(group) for group in self.articles)

    def describe(self) -> str:
        if self.kind == "article":
            return f"article {self.article_label}"
        if self.kind == "any_of":
            return f"any of {self.article_label}"
        if self.kind == "articles":
            return f"articles {self.article_label}"
        if self.name:
            return f"{self.kind} {self.name}"
        return self.kind


@dataclass(frozen=True, slots=True)
class Single:
    id: str
    text: str
    expect: Expectation
    split: str
    visitor: str = "anonymous"

    @property
    def case_class(self) -> str:
        return self.expect.case_class


@dataclass(frozen=True, slots=True)
class ConversationTurn:
    say: str
    expect: Expectation | None


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    title: str
    turns: tuple[ConversationTurn, ...]
    split: str
    visitor: str = "anonymous"
    case_class: str = field(default="multi_turn")


def parse_expectation(raw: Any, where: str, known_articles: frozenset[str]) -> Expectation:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise CaseError(f"{where}: expect must be a mapping with one key, got {raw!r}")
    ((kind, value),) = raw.items()
    if kind not in KINDS:
        raise CaseError(f"{where}: unknown expectation {kind!r} (known: {', '.join(KINDS)})")
    if kind == "article":
        groups: tuple[tuple[str, ...], ...] = ((_key(value, where),),)
    elif kind == "any_of":
        if not isinstance(value, list) or len(value) < 2:
            raise CaseError(f"{where}: any_of needs a list of two or more article keys")
        groups = (tuple(_key(v, where) for v in value),)
    elif kind == "articles":
        if not isinstance(value, list) or not 2 <= len(value) <= 3:
            raise CaseError(f"{where}: articles needs a list of 2 or 3 keys (or lists of keys)")
        groups = tuple(
            tuple(_key(v, where) for v in (item if isinstance(item, list) else [item]))
            for item in value
        )
    else:
        groups = ()
    for key in (k for group in groups for k in group):
        if key not in known_articles:
            raise CaseError(f"{where}: no article {key!r} in the demo help centre")
    if kind in ("action", "form", "language"):
        if not isinstance(value, str) or not value:
            raise CaseError(f"{where}: {kind} needs a name, got {value!r}")
        return Expectation(kind, name=value)
    if kind in ("handover", "offer", "fallback", "clarify", "small_talk") and value is not True:
        raise CaseError(f"{where}: {kind} takes `true`, got {value!r}")
    return Expectation(kind, articles=groups)


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or "/" in value:
        raise CaseError(f"{where}: an article key is the last segment of its URL, got {value!r}")
    return value


def _common(raw: Any, where: str, fields: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise CaseError(f"{where}: a case is a mapping, got {raw!r}")
    unknown = set(raw) - fields
    missing = required - set(raw)
    if unknown or missing:
        raise CaseError(f"{where}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
    if raw["split"] not in SPLITS:
        raise CaseError(f"{where}: split must be dev, test, holdout or blind, got {raw['split']!r}")
    if raw.get("visitor", "anonymous") not in VISITORS:
        raise CaseError(f"{where}: unknown visitor {raw.get('visitor')!r}")
    return raw


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CaseError(f"{where}: a message needs text")
    return value


def load_singles(path: Path, known_articles: frozenset[str]) -> list[Single]:
    return load_singles_from(_read_list(path), path, known_articles)


def load_singles_from(items: Any, path: Path, known_articles: frozenset[str]) -> list[Single]:
    singles: list[Single] = []
    for n, raw in enumerate(_checked_list(items, path)):
        where = f"{path.name}[{n}]"
        raw = _common(
            raw,
            where,
            {"id", "text", "expect", "split", "visitor"},
            {"id", "text", "expect", "split"},
        )
        where = f"{path.name}:{raw['id']}"
        singles.append(
            Single(
                id=str(raw["id"]),
                text=_text(raw["text"], where),
                expect=parse_expectation(raw["expect"], where, known_articles),
                split=raw["split"],
                visitor=raw.get("visitor", "anonymous"),
            )
        )
    _unique([s.id for s in singles], path)
    return singles


def load_conversations(path: Path, known_articles: frozenset[str]) -> list[Conversation]:
    return load_conversations_from(_read_list(path), path, known_articles)


def load_conversations_from(
    items: Any, path: Path, known_articles: frozenset[str]
) -> list[Conversation]:
    conversations: list[Conversation] = []
    for n, raw in enumerate(_checked_list(items, path)):
        where = f"{path.name}[{n}]"
        fields = {"id", "title", "turns", "split", "visitor"}
        raw = _common(raw, where, fields, {"id", "title", "turns", "split"})
        where = f"{path.name}:{raw['id']}"
        if not isinstance(raw["turns"], list) or len(raw["turns"]) < 2:
            raise CaseError(f"{where}: a conversation has two turns or more")
        turns = []
        for t, turn in enumerate(raw["turns"]):
            if not isinstance(turn, dict) or set(turn) - {"say", "expect"} or "say" not in turn:
                raise CaseError(f"{where} turn {t}: a turn is {{say, expect}}, got {turn!r}")
            expect = turn.get("expect")
            turns.append(
                ConversationTurn(
                    _text(turn["say"], f"{where} turn {t}"),
                    None
                    if expect is None
                    else parse_expectation(expect, f"{where} turn {t}", known_articles),
                )
            )
        if not any(turn.expect for turn in turns):
            raise CaseError(f"{where}: a conversation needs at least one expectation")
        conversations.append(
            Conversation(
                id=str(raw["id"]),
                title=str(raw["title"]),
                turns=tuple(turns),
                split=raw["split"],
                visitor=raw.get("visitor", "anonymous"),
            )
        )
    _unique([c.id for c in conversations], path)
    return conversations


def _read_list(path: Path) -> list[Any]:
    return _checked_list(yaml.safe_load(path.read_text(encoding="utf-8")), path)


def _checked_list(loaded: Any, path: Path) -> list[Any]:
    if not isinstance(loaded, list) or not loaded:
        raise CaseError(f"{path.name}: cases come as a non-empty YAML list")
    return loaded


def _unique(ids: list[str], path: Path) -> None:
    seen: set[str] = set()
    for case_id in ids:
        if case_id in seen:
            raise CaseError(f"{path.name}: case id {case_id!r} is used twice")
        seen.add(case_id)
