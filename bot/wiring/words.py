"""Spelling correction and language detection for the NLU, built once per process.

A spelling corrector takes about 2.6 s and 68 MB to build (bench/typos.py) from the
shipped English dictionary and the domain's own words: the knowledge base's texts and
the NLU training examples. Apps built in one process over the same texts (the tests,
a reload) share one. The language detector is one per process; its models load on the
first message that needs them (bench/languages.py: about a second and 260 MB for the
Latin-script languages), and most messages never do: a message whose words the
corrector knows is English without asking it (nlu_understanding.py).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from nlu.language import LanguageDetector
from nlu.spelling import SpellingCorrector
from nlu.training_data import load_training_data

_lock = threading.Lock()
_correctors: dict[str, SpellingCorrector] = {}


def training_texts(data_dir: Path) -> list[str]:
    """The NLU training examples' texts (the intents' words are the domain's words)."""
    files = sorted(data_dir.glob("*.yml")) + sorted(data_dir.glob("*.yaml"))
    if not files:
        return []
    return [example.text for example in load_training_data(files).examples]


def spelling_corrector(
    domain_texts: Sequence[str], shop_words: Sequence[str] = ()
) -> SpellingCorrector:
    """The corrector for these domain texts and the shop's own words (never changed),
    built once per process."""
    joined = "\x00".join([*domain_texts, "\x01", *shop_words])
    digest = hashlib.sha256(joined.encode()).hexdigest()
    with _lock:
        found = _correctors.get(digest)
        if found is None:
            found = SpellingCorrector.build(domain_texts, protected_terms=shop_words)
            _correctors.clear()  # a new knowledge base replaces the old vocabulary
            _correctors[digest] = found
        return found


@lru_cache(maxsize=1)
def language_detector() -> LanguageDetector:
    return LanguageDetector()
