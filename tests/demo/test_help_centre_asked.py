"""The demo help centre's `asked:` phrasings stay apart from every evaluation message,
so the dialogue evaluation and bench/kb_help_centre.py measure how the bot meets
wordings it was not given (a phrasing copied from a test case would score itself)."""

from __future__ import annotations

import re
from pathlib import Path

from bench.kb_help_centre import load
from demo.dialogue_eval.data_set import load_data_set, load_issue_examples
from demo.help_centre import DEMO_DIR
from knowledge.catalogue import MAX_VIEWS
from knowledge.chunking import chunk_document
from knowledge.sources import parse_document

# Word-set overlap (Jaccard) at or above which a phrasing counts as the same message.
SAME_MESSAGE = 0.5


def _words(text: str) -> frozenset[str]:
    return frozenset(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def _evaluation_messages() -> list[str]:
    texts = []
    for data in (load_data_set(), load_issue_examples()):
        texts += [single.text for single in data.singles]
        texts += [turn.say for c in data.conversations for turn in c.turns]
    for part in ("questions", "issue_14_examples"):
        texts += [question.text for question in load(part)]
    return texts


def test_no_asked_phrasing_is_an_evaluation_message() -> None:
    evaluation = [_words(text) for text in _evaluation_messages()]
    assert len(evaluation) > 500
    phrasings = [
        (path.name, phrasing)
        for path in sorted(DEMO_DIR.rglob("*.md"))
        for phrasing in parse_document(path, path.read_bytes()).asked
    ]
    assert len(phrasings) > 200
    same = []
    for name, phrasing in phrasings:
        words = _words(phrasing)
        overlap = max(len(words & other) / len(words | other) for other in evaluation)
        if overlap >= SAME_MESSAGE:
            same.append(f"{name}: {phrasing!r} ({overlap:.2f})")
    assert not same, "\n".join(same)


def test_every_article_says_how_customers_ask() -> None:
    for path in Path(DEMO_DIR).rglob("*.md"):
        assert len(parse_document(path, path.read_bytes()).asked) >= 3, path.name


def test_every_phrasing_fits_its_article() -> None:
    """A chunk holds at most MAX_VIEWS vectors, its own views first: a phrasing past an
    article's free slots is dropped at ingest (with a warning) and never searched, so
    an article gets no more phrasings than its chunks have room for."""
    for path in sorted(DEMO_DIR.rglob("*.md")):
        document = parse_document(path, path.read_bytes())
        room = sum(MAX_VIEWS - len(chunk.views) for chunk in chunk_document(document))
        assert len(document.asked) <= room, f"{path.name}: {len(document.asked)} > {room}"
