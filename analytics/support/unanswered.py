"""Questions the knowledge base could not answer, grouped so the team sees which
article to write next.

Grouping is lexical: TF-IDF over words and word pairs (English stop words out,
scikit-learn), then each question, most asked first, joins the first group whose
leading question it resembles (cosine >= `SIMILAR`), else leads a new group. Chosen
over the sentence encoder because analytics stays free of the model (DESIGN.md keeps
sentence-transformers in knowledge/ and nlu/) and because it runs in milliseconds on
a report request; tests/analytics/test_unanswered_questions.py measures it on
paraphrase groups (the figure is in analytics/README.md)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["SIMILAR", "group_questions"]

SIMILAR = 0.35
_SPACES = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower()).rstrip("?!. ")


def group_questions(texts: list[str], *, top: int = 10, examples: int = 3) -> list[dict[str, Any]]:
    """The `top` groups, largest first: `question` (the group's most asked wording),
    `count` (questions in it) and up to `examples` other wordings."""
    asked = Counter(_normal(text) for text in texts if text.strip())
    if not asked:
        return []
    wordings = [text for text, _ in asked.most_common()]
    try:
        vectors = TfidfVectorizer(
            stop_words="english", ngram_range=(1, 2), sublinear_tf=True
        ).fit_transform(wordings)
    except ValueError:  # nothing but stop words: group by exact wording
        vectors = None
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for index in range(len(wordings)):
        home = None
        if vectors is not None and leaders and vectors[index].nnz:
            similarity = (vectors[leaders] @ vectors[index].T).toarray().ravel()
            best = int(similarity.argmax())
            if similarity[best] >= SIMILAR:
                home = leaders[best]
        if home is None:
            leaders.append(index)
            members[index] = [index]
        else:
            members[home].append(index)
    groups = sorted(members.values(), key=lambda group: -sum(asked[wordings[n]] for n in group))[
        :top
    ]
    return [
        {
            "question": wordings[group[0]],
            "count": sum(asked[wordings[n]] for n in group),
            "examples": [wordings[n] for n in group[1 : examples + 1]],
        }
        for group in groups
    ]
