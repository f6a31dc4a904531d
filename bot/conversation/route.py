"""Why the bot said what it said: the record stored on every bot reply.

`attributes["route"]` on a bot interaction holds the decision, the rule that made it,
and the candidates it weighed (intents with their calibrated confidence, articles with
their similarity and, with a help centre's article classifier, their probability; a
topic the help centre never mentions, when the question asked about one).
`sources` on the same interaction lists only what the reply cites.
An agent reading a handed-over conversation and the evaluation read the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from knowledge import Passage
from knowledge.gaps import Gap


class Decision(StrEnum):
    ANSWER = "answer"  # from the knowledge base
    ACTION = "action"  # an action read or changed a record
    FORM = "form"  # a form was started or went on
    CLARIFY = "clarify"  # one clarifying question with options
    HANDOVER = "handover"  # a person was asked for: a handoff is open
    OFFER = "offer"  # the bot offered a person (or to go on with a form)
    FALLBACK = "fallback"  # nothing answered: the honest fallback
    SMALL_TALK = "small_talk"
    LANGUAGE = "language"  # a language the knowledge base does not cover


def article_key(source: str | None) -> str | None:
    """The article a passage belongs to, as a short key: the last segment of its URL's
    path (`.../orders-and-shipping/lost-or-late-parcels#my-parcel-is-late` ->
    `lost-or-late-parcels`), or the file name without extension. FAQ rows carry their
    article's URL, so a row and its article share the key."""
    if not source:
        return None
    path = urlsplit(source).path if "://" in source else source.split("#", 1)[0]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[0] if "." in last and "://" not in source else last


def passage_article(passage: Passage) -> str:
    """The article key of a search hit (`knowledge` groups its results by article)."""
    return article_key(passage.article or passage.source) or passage.document_id


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str  # "intent", "article" or "gap" (a topic the help centre never mentions)
    name: str
    score: float
    title: str | None = None
    # an article's probability from the article classifier (knowledge.article_classifier)
    probability: float | None = None
    # an article found through how customers ask (an `asked:` phrasing or a heading read
    # as a question): the similarity on its own words, which routing judges it by in the
    # probable zone (`routing.answers`)
    own_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "score": round(self.score, 4),
        }
        if self.title:
            found["title"] = self.title
        if self.probability is not None:
            found["probability"] = round(self.probability, 4)
        if self.own_score is not None:
            found["own_score"] = round(self.own_score, 4)
        return found


def intent_candidates(ranking: list[tuple[str, float]], limit: int = 3) -> list[Candidate]:
    return [Candidate("intent", name, score) for name, score in ranking[:limit]]


def article_candidates(passages: list[Passage], limit: int = 3) -> list[Candidate]:
    found = []
    for p in passages[:limit]:
        title = f"{p.title} — {p.section}"
        found.append(
            Candidate(
                "article",
                passage_article(p),
                p.similarity,
                title=title,
                probability=p.article_probability,
                own_score=p.own_similarity,
            )
        )
    return found


def gap_candidates(gap: Gap | None) -> list[Candidate]:
    """The topic customers often ask about that the help centre never mentions, when the
    question asked about one (`knowledge.gaps`): its name, the question's similarity to
    it and the word that named it."""
    if gap is None:
        return []
    title = f"named by '{gap.word}'"
    if gap.mentioned_in:
        keys = sorted(filter(None, map(article_key, gap.mentioned_in)))
        title += f"; mentioned only in {', '.join(keys)}"
    return [Candidate("gap", gap.topic, gap.similarity, title=title)]


@dataclass(slots=True)
class Route:
    """One decision; `parts` when a message with several questions got several."""

    decision: Decision
    rule: str
    action: str | None = None
    articles: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    read_as: str | None = None  # the text after spelling correction, when it changed
    language: str | None = None
    parts: list[Route] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"decision": self.decision.value, "rule": self.rule}
        if self.action:
            found["action"] = self.action
        found["articles"] = list(self.articles)
        if self.options:
            found["options"] = list(self.options)
        found["candidates"] = [c.to_json() for c in self.candidates]
        if self.read_as:
            found["read_as"] = self.read_as
        if self.language:
            found["language"] = self.language
        if self.parts:
            found["parts"] = [part.to_json() for part in self.parts]
        return found


def combined(parts: list[Route]) -> Route:
    """The route of a reply that answers several questions: the first part's decision,
    every part's articles."""
    articles = list(dict.fromkeys(a for part in parts for a in part.articles))
    return Route(parts[0].decision, "several_questions", articles=articles, parts=parts)
