"""Which article a question is about, learned from the help centre's own words.

Search ranks each article by its best single view (a section's text, its heading as a
question, the title, an FAQ question, a phrasing from `asked:`): a paraphrase that
shares a word or two with the wrong section wins ("the gloves weren't in the box" was
nearest to "After the first hour" of changing an order). A model that weighs all of an
article's views together against all the others' sees what sets each article apart.

At each version's load, a multinomial logistic regression is fitted on the version's
own view vectors (every view labelled with its article: nothing beyond what ingest
stored, so every process fits the same model from the same version) and search adds
`ARTICLE_WEIGHT` x the question's probability of each article to that article's ranking
score, a bounded nudge like the lexical one (`knowledge.retrieval`). Similarity, the
confidence the router's thresholds read, is left as it was.

Chosen on the dialogue evaluation's dev split (demo/dialogue_eval, `bench/kb_articles.py`
prints it): the right article first for 69 of 79 dev messages by search, 75 with the
nudge at C = 30 and a weight of 0.2 (the smallest weight at the best dev figure; the
test split went from 137 to 142 of 154).

A help centre with more than `MAX_ARTICLES` articles or `MAX_VECTORS` views is served
without it: the fit grows with articles x views (0.05 s of CPU for the demo's 45
articles and 632 views) and would hold up a large version's load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

__all__ = ["ARTICLE_WEIGHT", "MAX_ARTICLES", "MAX_VECTORS", "ArticleClassifier", "too_large"]

log = logging.getLogger(__name__)

ARTICLE_WEIGHT = 0.2
MAX_ARTICLES = 500
MAX_VECTORS = 20_000
# Inverse regularisation: chosen with the weight on the dev split (1, 3, 10, 30).
_C = 30.0


def too_large(views: int, articles: int = 0) -> bool:
    """Too many views or articles to fit at a version's load (logged when so)."""
    if views <= MAX_VECTORS and articles <= MAX_ARTICLES:
        return False
    log.info(
        "article classifier off: %d articles, %d views (at most %d and %d)",
        articles,
        views,
        MAX_ARTICLES,
        MAX_VECTORS,
    )
    return True


class ArticleClassifier:
    """p(article | question vector) for one knowledge base version."""

    def __init__(self, articles: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> None:
        self.articles = list(articles)
        self._weights = np.asarray(weights, dtype=np.float32)  # (articles, dim)
        self._bias = np.asarray(bias, dtype=np.float32)

    @classmethod
    def fit(cls, vectors: np.ndarray, articles: Sequence[str]) -> ArticleClassifier | None:
        """Fitted on `vectors` (one row per view) labelled with their `articles`; None
        when there is nothing to tell apart or too much to fit at load."""
        labels = np.asarray(articles, dtype=object)
        distinct = sorted(set(articles))
        if len(distinct) < 2 or too_large(len(labels), len(distinct)):
            return None
        rows = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = rows / np.where(norms > 0, norms, 1.0)
        started = time.process_time()
        # One BLAS thread: on this small problem the threads only spin against each other
        # (0.05 s of CPU for the demo help centre on one, 2 to 7 s on two; bench/kb_articles.py).
        with threadpool_limits(1):
            model = LogisticRegression(C=_C, max_iter=3000).fit(rows, labels)
        log.info(
            "article classifier: %d articles, %d views, fitted in %.2f s of CPU",
            len(distinct),
            len(labels),
            time.process_time() - started,
        )
        weights, bias = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # one row for the second class: softmax of (0, w.x + b)
            weights = np.vstack([np.zeros_like(weights), weights])
            bias = np.concatenate([[0.0], bias])
        return cls([str(a) for a in model.classes_], weights, bias)

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """Each article's probability for this (unit) question vector."""
        # einsum rather than BLAS: a matrix-vector product this small is microseconds in
        # one thread, while BLAS's worker threads spin on after it (bench/kb_articles.py:
        # a search's CPU grew by up to 2 ms through `@`).
        logits = np.einsum("ij,j->i", self._weights, np.asarray(vector, dtype=np.float32))
        logits += self._bias
        logits -= logits.max()
        exp = np.exp(logits)
        exp /= exp.sum()
        return dict(zip(self.articles, exp.tolist(), strict=True))
