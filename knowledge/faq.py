"""FAQ entries that answer only their own question.

An FAQ answer such as "No. Gift cards never expire" is right for "Do gift cards
expire?" and wrong for "Do you sell gift cards?", though the two are close in meaning
and share words. So search returns such an entry only when the query matches the
entry's question itself, above `FAQ_QUESTION_THRESHOLD`; otherwise the entry steps
aside and its article is represented by its best other section (or the next article
takes its place). Entries whose answer explains rather than decides ("How do I use a
gift card online?" -> the steps) are matched like any section.

An entry is a direct answer when its answer is short (at most
`DIRECT_ANSWER_MAX_WORDS` words) and either opens with yes or no, or answers a yes/no
question (one that opens with an auxiliary verb: "Do you ship on weekends?" -> "Our
warehouse ships Monday to Friday."). Long answers (forum threads such as StackFAQ's)
are explanations and are never held back.
"""

from __future__ import annotations

import re

__all__ = [
    "DIRECT_ANSWER_MAX_WORDS",
    "FAQ_QUESTION_THRESHOLD",
    "FAQ_RANK_MARGIN",
    "answers_only_its_question",
]

# Chosen by bench/kb_help_centre.py on its 100 questions: the cosine between a query and
# an FAQ entry's question above which the entry is returned (see bench/README.md for
# the sweep it prints). Placeholder until measured.
FAQ_QUESTION_THRESHOLD = 0.8

DIRECT_ANSWER_MAX_WORDS = 60

# A held-back entry still tells search which article the query is about: the article's
# other sections rank no lower than the entry's score minus this margin (None: they
# rank on their own scores only). Placeholder until measured.
FAQ_RANK_MARGIN: float | None = 0.05

_YES_OR_NO = re.compile(
    r"^\W*(yes|no|yep|nope|yeah|sure|certainly|absolutely|of course|sí|si|oui|non|ja|nein)\b",
    re.IGNORECASE,
)
_YES_NO_QUESTION = re.compile(
    r"^\W*(do|does|did|can|could|is|are|was|were|will|would|should|shall|may|might|must"
    r"|have|has|had|am)\b",
    re.IGNORECASE,
)


def answers_only_its_question(question: str, answer: str) -> bool:
    """True for an FAQ entry whose answer is right for its own question only."""
    if len(answer.split()) > DIRECT_ANSWER_MAX_WORDS:
        return False
    return bool(_YES_OR_NO.match(answer) or _YES_NO_QUESTION.match(question))
