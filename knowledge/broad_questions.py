"""A question about an article as a whole is answered from the article's first section.

"what's your return policy", "how do exchanges work", "tell me about your warranty":
the customer names the article's subject, not a detail of it. The section whose words
happen to sit closest to such a question is often a detail ("Worn or used items" for
the return policy, "Why we work this way" for exchanges), while an article's first
section is where its writer says what the article is about ("You can return most items
within 30 days...").

A question is broad for an article when it is closer to the article's title than to the
words of the section search found, and close to the title in absolute terms
(`BROAD_TITLE_SIMILARITY`). Measured with the shipped encoder on the demo help centre:
"what's your return policy" to "Return policy" 0.92, "how do exchanges work" to
"Exchanges" 0.84, while the specific questions of the same articles sit far below
("can i return worn boots" 0.38, "can i swap for a bigger size" 0.15) and below their
own sections. `bench/kb_sections.py` measures the rule on both kinds.

Only which section is shown changes: the article, its rank and the scores the router
judges stay those search found, so the route is decided exactly as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["BROAD_TITLE_LEAD", "BROAD_TITLE_SIMILARITY", "TitleVectors", "is_broad"]

BROAD_TITLE_SIMILARITY = 0.7
BROAD_TITLE_LEAD = 0.08
# Titles kept encoded per knowledge base (a title is a few words; its vector 1.5 kB).
_TITLES_HELD = 4096


def is_broad(title_similarity: float, section_similarity: float) -> bool:
    """Is a question with these cosines to an article's title and to the words of the
    section search found about the article as a whole?"""
    return (
        title_similarity >= BROAD_TITLE_SIMILARITY
        and title_similarity >= section_similarity + BROAD_TITLE_LEAD
    )


class TitleVectors:
    """Article titles' embeddings, encoded on first use and kept (bounded), so a search
    pays for a title once, not on every question."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self._encode = encode
        self._held: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def similarities(self, query: np.ndarray, titles: Sequence[str]) -> dict[str, float]:
        """Title -> cosine with the (normalised) query vector."""
        with self._lock:
            missing = [t for t in dict.fromkeys(titles) if t not in self._held]
        if missing:
            vectors = np.asarray(self._encode(missing), dtype=np.float32)
            with self._lock:
                if len(self._held) + len(missing) > _TITLES_HELD:
                    self._held.clear()
                self._held.update(zip(missing, vectors, strict=True))
        with self._lock:
            held = {t: self._held.get(t) for t in titles}
        found = {t: v for t, v in held.items() if v is not None}
        return {t: float(v @ query) for t, v in found.items()}
