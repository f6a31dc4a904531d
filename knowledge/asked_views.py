"""How customers ask, attached to the chunk that answers it.

An article's front matter may list how customers ask for it (`asked:`, see
`knowledge.sources`). Each phrasing is embedded once at ingest and stored as an "asked"
view of one chunk of the article: the chunk whose own views it is closest to, so the
passage shown for it is the section that answers it ("when do i get my money back"
lands on "How long do refunds take?", not on the article's first section). A phrasing
too vague to name a section lands where the encoder puts it; the article is still right,
which is what routing weighs. A chunk holds
at most `MAX_VIEWS` vectors; a phrasing whose best chunk is full goes to the next best
with room, and phrasings beyond the article's room are dropped with a warning naming the
file (a help centre rarely needs more than a dozen per article).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from knowledge.records import Chunk

__all__ = ["ASKED_KIND", "attach_asked"]

log = logging.getLogger("knowledge")
ASKED_KIND = "asked"
# Each phrasing's vector is stored scaled by this weight, so a match on it scores
# ASKED_WEIGHT x cosine. A question matches another question far more readily than it
# matches an article's prose: unrelated questions of the same shape ("do you sell
# tents" and "do you sell gift cards") reach cosines of 0.5 to 0.6, where prose rarely
# does, and the answer threshold (0.54) was calibrated on prose. Scaling keeps a close
# phrasing confident (0.9 -> 0.72) and a loose one under the threshold (0.6 -> 0.48),
# where routing judges the article on its own words (`Passage.own_similarity`). The
# index is inner-product, so the weight needs no search-time code. Chosen on two
# tuning sets together, the dialogue evaluation's dev split (bench/dialogue_eval.py
# --split dev, with that rule) and bench/kb_help_centre.py's 112 questions (retrieval
# alone): dev passed 0.912 at 0.8, 0.918 at 0.85, 0.905 at 0.9, 0.918 at 1.0; the 112
# questions, recall@1 and confidently wrong, 0.866 and 4 at 0.8, 0.839 and 7 at 0.85
# (0.866 and 2 without phrasings). Without weight or rule, 4 of 15 unanswerable dev
# questions were answered.
ASKED_WEIGHT = 0.8


def attach_asked(
    chunks: list[Chunk],
    embeddings: list[np.ndarray],
    asked: list[str],
    asked_vectors: np.ndarray,
    max_views: int,
    source: str,
) -> tuple[list[Chunk], list[np.ndarray]]:
    """`chunks` and their (views, dim) `embeddings` with each phrasing of `asked`
    (vectors in `asked_vectors`, same order) added as an "asked" view of its chunk."""
    if not chunks or not asked:
        return chunks, embeddings
    room = [max_views - len(vectors) for vectors in embeddings]
    # phrasing x chunk: the best cosine over the chunk's views, as search scores it
    closeness = np.stack([(asked_vectors @ vectors.T).max(axis=1) for vectors in embeddings], 1)
    added: list[list[int]] = [[] for _ in chunks]
    dropped = 0
    for phrasing in range(len(asked)):
        for chunk in np.argsort(-closeness[phrasing], kind="stable"):
            if room[chunk] > 0:
                room[chunk] -= 1
                added[chunk].append(phrasing)
                break
        else:
            dropped += 1
    if dropped:
        log.warning(
            "%s: %d of its %d `asked` phrasings did not fit (at most %d views a chunk);"
            " they are not searchable",
            source,
            dropped,
            len(asked),
            max_views,
        )
    new_chunks, new_embeddings = [], []
    for chunk, vectors, mine in zip(chunks, embeddings, added, strict=True):
        if mine:
            chunk = dataclasses.replace(
                chunk,
                views=chunk.views + tuple(asked[i] for i in mine),
                view_kinds=(chunk.view_kinds or ("text",) * len(chunk.views))
                + (ASKED_KIND,) * len(mine),
            )
            vectors = np.vstack([vectors, ASKED_WEIGHT * asked_vectors[mine]])
        new_chunks.append(chunk)
        new_embeddings.append(vectors)
    return new_chunks, new_embeddings
