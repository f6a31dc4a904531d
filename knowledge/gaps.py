"""Gaps in the help centre: topics customers often ask a shop about that it never
mentions.

Search always finds a nearest article, and a question about something the help centre
does not cover finds the article that shares its other words: "can I get a job at your
Portland store" found the store's address at 0.62, above the answer threshold, "do you
gift wrap?" the gift orders article. The similarity cannot tell those apart from right
answers (session 43: a fallback case's cited article scored as high as right answers
did), but the help centre's words can: it never says "job" or "wrap".

`common_questions.yaml` lists topics customers often ask shops about, each with the
words that would show a help centre speaks of it and a few ways customers ask about it.
It is written for shops in general, not for one help centre. At each knowledge base
version a topic none of whose words appears in any chunk (title, section and text, the
articles' own words) is a gap. A question is about a gap (`HelpCentreGaps.match`) when
it uses one of the topic's words and is at least `GAP_SIMILARITY` close to one of the
ways the topic is asked; the router then falls back, unless an article is closer to the
question than the topic is (`bot/conversation/routing.py`). Both are needed: the word
alone is not the question's topic ("my dog chewed the strap" is about repairs, not
dogs in shops), and closeness alone is not the topic either ("can i pay with paypal"
is as close to paying in another currency as to the payment methods article).

A topic the help centre mentions is a gap for one question too: when the question asks
about it (its word, as close to how it is asked) and the article found for it is not one
that mentions it. "how do I wash merino base layers" found the down jacket care article
(0.44): the help centre says "merino" once, in the materials article (where it comes
from), and nowhere says how to wash it. `Gap.mentioned_in` holds the articles that
mention the topic, and routing answers the question from one of them only.

Decisions: a topic is covered by a single mention, so a help centre that says anything
about it is searched as before for the articles that say it (a false gap would refuse
an answer the help centre has; a missed gap costs what it cost before). Only English
questions and English chunks are read: the topics are written in English. A word
matches whole, its plural too ("trade ins"), spaces and hyphens alike ("trade-in").
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import yaml

__all__ = [
    "GAP_SIMILARITY",
    "CommonTopic",
    "Gap",
    "HelpCentreGaps",
    "articles_mentioning",
    "common_topics",
    "mentioned",
    "not_mentioned",
]

# A question's cosine to a gap's nearest way of asking, at least. On the evaluation's
# cases (demo/dialogue_eval, session 44) any value from 0.35 to 0.5 changed the same
# fallback cases; 0.5 answered one more right article (a question using a gap's word in
# passing), and values above 0.55 let real gap questions through ("are u hiring for the
# summer at the portland store", 0.58).
GAP_SIMILARITY = 0.5


@dataclass(frozen=True, slots=True)
class CommonTopic:
    topic: str
    words: tuple[str, ...]  # any one in the help centre's text: it speaks of the topic
    asked: tuple[str, ...]  # ways customers ask about it


@dataclass(frozen=True, slots=True)
class Gap:
    """A question about a topic the help centre never mentions."""

    topic: str
    similarity: float  # the question's cosine to the topic's nearest way of asking
    word: str  # the topic's word as the question wrote it (lower case)
    # The articles whose words mention the topic: empty for a topic the help centre
    # never mentions. Only an answer from one of these can be about it.
    mentioned_in: frozenset[str] = frozenset()


@cache
def common_topics() -> tuple[CommonTopic, ...]:
    """The topics of `common_questions.yaml`, shipped with the package."""
    text = importlib.resources.files("knowledge").joinpath("common_questions.yaml").read_text()
    return tuple(
        CommonTopic(
            str(entry["topic"]),
            tuple(str(w) for w in entry["words"]),
            tuple(str(a) for a in entry["asked"]),
        )
        for entry in yaml.safe_load(text)
    )


def not_mentioned(
    said: Collection[str], topics: Sequence[CommonTopic] | None = None
) -> list[CommonTopic]:
    """The topics (the shipped ones by default) not among `said` (the topic names
    `mentioned` or `articles_mentioning` found)."""
    return [t for t in (common_topics() if topics is None else topics) if t.topic not in said]


def mentioned(written: str, topics: Sequence[CommonTopic] | None = None) -> dict[str, str]:
    """Topic -> the first of its words found in `written` (a help centre's text), for the
    topics it mentions (`switchboard kb gaps` shows them)."""
    lowered = written.lower()
    return {
        t.topic: found.group()
        for t in (common_topics() if topics is None else topics)
        if (found := _word_pattern(*t.words).search(lowered))
    }


@cache
def _word_pattern(*words: str) -> re.Pattern[str]:
    """Any of `words`, whole, plural too, a space or hyphen matching either."""
    spelled = (
        r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", w.lower().strip()) if part)
        for w in words
    )
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(spelled) + r")(?:s|es)?(?![a-z0-9])")


class HelpCentreGaps:
    """The topics a help centre's text never mentions, and the questions about them."""

    def __init__(
        self,
        topics: Sequence[CommonTopic],
        vectors: np.ndarray,
        owners: Sequence[int],
        mentioned_in: Sequence[frozenset[str]] | None = None,
    ) -> None:
        """`topics`, the ways each is asked (`vectors`, each row's topic in `owners`),
        and for each topic the articles that mention it (`mentioned_in`: none, a gap,
        by default)."""
        self._topics = list(topics)
        self._patterns = [_word_pattern(*t.words) for t in self._topics]
        self._vectors = np.asarray(vectors, dtype=np.float32)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._mentioned_in = list(mentioned_in or [frozenset()] * len(self._topics))

    @classmethod
    def find(
        cls,
        texts: Iterable[str | tuple[str, str]],
        encode: Callable[[Sequence[str]], np.ndarray],
        topics: Sequence[CommonTopic] | None = None,
    ) -> HelpCentreGaps:
        """The gaps of a help centre whose chunks' words are `texts`; `encode` embeds
        the topics' ways of asking (normalised vectors, as search's). A chunk given as
        (article, words) also tells which articles mention each topic the help centre
        does mention: a question about one of those is answered only from them."""
        chunks = [t if isinstance(t, tuple) else ("", t) for t in texts]
        where = articles_mentioning(chunks, topics)  # one reading of the words for both
        # none for an empty help centre, which has nothing to compare
        gaps = not_mentioned(where, topics) if any(w.strip() for _, w in chunks) else []
        # A topic mentioned by a chunk without an article could be in any: not judged.
        said = [
            (t, where[t.topic])
            for t in (common_topics() if topics is None else topics)
            if t.topic in where and "" not in where[t.topic]
        ]
        judged = [*((t, frozenset[str]()) for t in gaps), *said]
        asked = [(n, a) for n, (t, _) in enumerate(judged) for a in t.asked]
        vectors = (
            np.asarray(encode([a for _, a in asked]), dtype=np.float32)
            if asked
            else np.zeros((0, 1), dtype=np.float32)
        )
        return cls([t for t, _ in judged], vectors, [n for n, _ in asked], [m for _, m in judged])

    @property
    def topics(self) -> list[str]:
        """The gaps: topics the help centre never mentions."""
        return [t.topic for t, m in zip(self._topics, self._mentioned_in, strict=True) if not m]

    def match(self, text: str, vector: np.ndarray) -> Gap | None:
        """The gap `text` asks about, if any: it uses one of the topic's words and its
        embedding `vector` is at least `GAP_SIMILARITY` close to one of the topic's ways
        of asking; the closest such topic."""
        if not self._topics:
            return None
        lowered = text.lower()
        named = {
            n: found.group()
            for n, pattern in enumerate(self._patterns)
            if (found := pattern.search(lowered))
        }
        if not named:
            return None
        similarities = self._vectors @ np.asarray(vector, dtype=np.float32)
        best: Gap | None = None
        for n, word in named.items():
            own = similarities[self._owners == n]
            similarity = float(own.max()) if len(own) else 0.0
            if similarity >= GAP_SIMILARITY and (best is None or similarity > best.similarity):
                best = Gap(self._topics[n].topic, similarity, word, self._mentioned_in[n])
        return best


def articles_mentioning(
    chunks: Iterable[tuple[str, str]], topics: Sequence[CommonTopic] | None = None
) -> dict[str, frozenset[str]]:
    """Topic -> the articles that mention it, for the topics (the shipped ones by
    default) that chunks given as (article, words) mention."""
    articles: dict[str, list[str]] = {}
    for article, words in chunks:
        articles.setdefault(article, []).append(words.lower())
    found = {}
    for topic in common_topics() if topics is None else topics:
        pattern = _word_pattern(*topic.words)
        where = frozenset(a for a, said in articles.items() if any(map(pattern.search, said)))
        if where:
            found[topic.topic] = where
    return found
