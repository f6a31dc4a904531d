"""A passage as the Markdown of an answer: reflowed, at most ANSWER_MAX_WORDS words, its
source cited at the end. Channels turn this Markdown into what they show."""

from __future__ import annotations

import re

from knowledge.faq import FAQ_QUESTION_THRESHOLD, answers_only_its_question
from knowledge.records import Passage

__all__ = [
    "ANSWER_MAX_WORDS",
    "cited_markdown",
    "is_url",
    "reflowed",
    "source_label",
]

ANSWER_MAX_WORDS = 120


def source_label(passage: Passage) -> str:
    """The title (and section) a customer can recognise."""
    if passage.section and passage.section != passage.title:
        return f"{passage.title} — {passage.section}"
    return passage.title


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def reflowed(passage: Passage) -> str:
    """The passage's Markdown with hard-wrapped lines inside a paragraph joined; list
    items and blank lines are kept."""
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*(?:\n|[-*+>]\s|\d+[.)]\s))[ \t]*", " ", passage.text)


def cited_markdown(passage: Passage) -> str:
    """The answer's Markdown: the passage, shortened to its first sentences when longer
    than ANSWER_MAX_WORDS, then `_Source: ..._` with a link to the article."""
    body = _first_words(reflowed(passage).strip(), ANSWER_MAX_WORDS)
    if _answers_another_question(passage):
        # An FAQ entry with no article to stand in for it (an FAQ file on its own) is
        # answered though the query is not its question: "do you do bike fitting" got
        # "Yes: city bikes £18 a day". Its question comes first, so the customer reads
        # what the yes or no is to.
        body = f"**{passage.question}**\n\n{body}"
    label = source_label(passage)
    # An article with no URL (a file ingested from a folder) is cited by its title alone:
    # its file name ("pickup.md") is the operator's, not something a customer can open.
    # The reply's `sources` still name the file for staff.
    cite = f"[{label}]({passage.source})" if is_url(passage.source) else label
    return f"{body}\n\n_Source: {cite}_"


def _answers_another_question(passage: Passage) -> bool:
    question = (passage.question or "").strip()
    return (
        bool(question)
        and passage.question_similarity < FAQ_QUESTION_THRESHOLD
        and answers_only_its_question(question, passage.text)
    )


def _first_words(text: str, max_words: int) -> str:
    """`text` if it has at most `max_words` words; else its first sentences within
    them, or the words themselves and an ellipsis."""
    words = text.split(" ")
    if len(words) <= max_words:
        return text
    budget = len(" ".join(words[:max_words]))
    cut = text[:budget]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > budget // 3 else cut.rsplit(" ", 1)[0] + "…"
