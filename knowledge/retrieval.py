"""Ranking: dense similarity per chunk, optionally nudged by BM25, then one per article.

A chunk's similarity is the best cosine over its views (as shipped: the text with its
titles, the text with its heading only, and an FAQ entry's question alone; see
`knowledge.chunking`). When `lexical_weight` > 0 the ranking
score is `similarity + lexical_weight * bm25 / best bm25 of the query`: a small,
bounded nudge that breaks near-ties in favour of chunks sharing the query's words.
Plain reciprocal-rank fusion is not used: it lets a weak lexical list outvote a strong
dense one (StackFAQ recall@1 0.945 -> 0.82). `similarity` alone is the confidence.

Results are per article (`best_per_article`): an article is as good as its best chunk,
so the top k are k different articles, each shown by that chunk.

The scoring and sorting run in numpy over a search's few hundred hits and a hundred or
so chunks (session 32: a search's ranking in Python loops and sorts with a key function
was about half of its CPU). Each score is the same IEEE operation on the same doubles as
the Python it replaced (`similarity + weight * bm25 / top`, the similarity a float32
cosine as a double), and the order is the same total order, best score first and the
lower chunk id on a tie (`best_first`), so the ranking is the same to the last bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "LEXICAL_WEIGHT",
    "as_arrays",
    "best_first",
    "best_per_article",
    "best_per_chunk",
    "fuse",
    "nudge",
]

# Chosen on the StackFAQ validation split by bench/kb_stackfaq.py (best MRR over 0, 0.05,
# 0.1, 0.15, 0.2, 0.3). Printed on the test split: dense-only recall@1 0.967, MRR 0.982;
# dense + 0.05 x BM25 recall@1 0.970, MRR 0.983 (all 1,249 queries: 0.961 -> 0.964;
# BM25 alone 0.734). Weights of 0.2 and above start to lose. 0.0 turns the nudge off.
# Since results are per article (20 distinct threads deep), validation MRR no longer
# separates 0.0 from 0.05 and the bench picks 0.0; the test split still prints 0.970 at
# 0.05 and 0.967 at 0.0, so 0.05 stays.
LEXICAL_WEIGHT = 0.05


def best_per_chunk(ids: np.ndarray, scores: np.ndarray, views: int) -> dict[int, float]:
    """Vector hits (vector ids and their scores, as `VectorIndex.search_arrays` returns
    them) -> chunk id -> best score, the chunks in the order of their first hit."""
    if not len(ids):
        return {}
    chunks = np.asarray(ids, dtype=np.int64) // views
    by_chunk = np.argsort(chunks, kind="stable")  # a chunk's hits together, in hit order
    grouped = chunks[by_chunk]
    starts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
    best = np.maximum.reduceat(np.asarray(scores)[by_chunk], starts)
    in_hit_order = np.argsort(by_chunk[starts])  # each chunk's first hit
    found = grouped[starts][in_hit_order].tolist()
    return dict(zip(found, best[in_hit_order].tolist(), strict=True))


def best_per_article(
    scored: Iterable[tuple[int, float, float]], article_of: Mapping[int, str], k: int
) -> list[tuple[int, float, float]]:
    """The first (best) chunk of each article from `scored` (best first), up to `k`."""
    seen: set[str] = set()
    kept = []
    for item in scored:
        article = article_of[item[0]]
        if article not in seen:
            seen.add(article)
            kept.append(item)
            if len(kept) == k:
                break
    return kept


def fuse(
    dense: Mapping[int, float],
    lexical: Mapping[int, float],
    lexical_weight: float,
    k: int | None = None,
) -> list[tuple[int, float, float]]:
    """Top `k` (all when None) as (chunk id, ranking score, similarity). `dense` must
    cover every chunk in `lexical`."""
    chunks = np.array(list(dense), dtype=np.int64)
    similarity = np.array(list(dense.values()), dtype=np.float64)
    top_lexical = max(lexical.values(), default=0.0)
    if top_lexical > 0:
        bm25 = np.array([lexical.get(c, 0.0) for c in dense], dtype=np.float64)
        share = bm25 / top_lexical
    else:
        share = np.zeros(len(chunks))
    return best_first(chunks, similarity + lexical_weight * share, similarity, k)


def nudge(
    scored: Iterable[tuple[int, float, float]],
    article_of: Mapping[int, str],
    probability: Mapping[str, float],
    weight: float,
) -> list[tuple[int, float, float]]:
    """`scored` (chunk id, ranking score, similarity) with `weight` x its article's
    probability added to each ranking score, best first again (see
    `knowledge.article_classifier`). Similarity is left as it was."""
    chunks, scores, similarity = as_arrays(scored)
    shares = np.array(
        [probability.get(article_of[c], 0.0) for c in chunks.tolist()], dtype=np.float64
    )
    return best_first(chunks, scores + weight * shares, similarity)


def as_arrays(
    scored: Iterable[tuple[int, float, float]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chunk id, ranking score, similarity) items as three arrays (int64, float64,
    float64)."""
    # One C-level conversion; chunk ids are far below 2**53, so exact as doubles.
    table = np.array(list(scored), dtype=np.float64).reshape(-1, 3)
    return table[:, 0].astype(np.int64), table[:, 1], table[:, 2]


def best_first(
    chunks: np.ndarray, scores: np.ndarray, similarity: np.ndarray, k: int | None = None
) -> list[tuple[int, float, float]]:
    """(chunk id, score, similarity) sorted by score, highest first, then by chunk id
    (a total order: the same as sorting the tuples by (-score, chunk))."""
    order = np.lexsort((chunks, -scores))
    if k is not None:
        order = order[:k]
    return list(
        zip(chunks[order].tolist(), scores[order].tolist(), similarity[order].tolist(), strict=True)
    )
