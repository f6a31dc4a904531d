"""One published version of the knowledge base as this process holds it: its FAISS index,
its question views, and in memory what search asks the catalogue about it.

A version never changes once published (an ingest publishes a new one, in this or
another process; see `knowledge.base`), so what is read about it may be kept until the
process loads the next version, and is thrown away with it: there is nothing else to
invalidate. Before this, every search read its candidates' stored vectors (one
primary-key range per chunk), facts and version from the catalogue's SQLite file under
one lock: a third of a server's samples outside idle waits at 64 web chat clients, most
of it threads queueing for that lock (bench/scale_out.py's profile).

What it holds, and what that costs (bench/kb_scale.py prints it at each size):
- vectors: the FAISS index already holds every vector (flat storage in both the exact
  and the HNSW index), so a chunk's views are read back from it (`VectorIndex.vectors`);
  the sorted vector ids are kept, 8 bytes a vector (0.8 MB at 100,000 vectors), and the
  views of the `VIEWS_HELD` most recently searched chunks, as read-only arrays (all its
  views, and the two subsets search asks for: its question views, its views but the
  "asked" ones; a subset that is one run of the views is a slice of them, not a copy).
  A search asks for its candidates' views about seven times (bench/README.md, session
  35), and reading them back from the index each time (sorted-id lookups, `np.isin`, a
  FAISS call) was a fifth of a search's CPU. A view costs 1.5 KB (384 float32), a chunk
  has at most 8: the usual three views are 4.6 KB, about 10 MB for 2,048 chunks; at
  most 8 views and a question view copied, about 28 MB.
- chunk rows (text, title, article, question, language...): the `ROWS_HELD` most
  recently used, read from the catalogue on a miss. A full-length chunk (150 words)
  costs about 1.6 KB in memory: 7.4 MB for 4,096 rows and 100,000 vector ids together
  (bench/kb_scale.py). Reading every row at load would cost 32 MB at 100,000 vectors
  and 320 MB at a million, for rows most searches never touch; the rows that a help
  centre's searches come back to are far fewer.
- the chunks of an article (in a language), for the `ARTICLES_HELD` most recently
  asked: FAQ entries held back send search to their articles' other chunks.
- the languages the version has documents in, read once at load.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from knowledge.article_classifier import ArticleClassifier
from knowledge.catalogue import MAX_VIEWS, Catalogue, ChunkFacts
from knowledge.index import VectorIndex
from knowledge.records import Passage

__all__ = ["ARTICLES_HELD", "ROWS_HELD", "VIEWS_HELD", "LoadedVersion"]

_Kept = TypeVar("_Kept")
ROWS_HELD = 4096
ARTICLES_HELD = 1024
VIEWS_HELD = 2048


@dataclass(frozen=True, slots=True)
class _Row:
    """A chunk as search and its passages need it."""

    document_id: str
    title: str
    section: str
    source: str
    facts: ChunkFacts


@dataclass(frozen=True, slots=True)
class _Views:
    """A chunk's views in vector id order, read-only; None where it has none of a kind.
    Question views and "asked" views are of two kinds in the catalogue, never both, so
    the question views are also the question views without the "asked" ones."""

    every: np.ndarray
    questions: np.ndarray | None
    content: np.ndarray | None  # all but the "asked" views (how customers ask)


class LoadedVersion:
    def __init__(
        self,
        generation: int,
        index: VectorIndex,
        question_views: set[int],
        catalogue: Catalogue,
        asked_views: set[int] | None = None,
        *,
        rows_held: int = ROWS_HELD,
        views_held: int = VIEWS_HELD,
        classifier: ArticleClassifier | None = None,
    ) -> None:
        self.generation = generation
        # fitted on this version's views at load (knowledge.article_classifier)
        self.classifier = classifier
        self.index = index
        self.question_views = question_views
        self.languages = frozenset(catalogue.languages())
        self._catalogue = catalogue
        self._vector_ids = index.vector_ids()
        self._question_ids = np.fromiter(sorted(question_views), dtype=np.int64)
        # how customers ask (knowledge.asked_views): left out when a section's own words count
        self._asked_ids = np.fromiter(sorted(asked_views or ()), dtype=np.int64)
        self.has_asked_views = bool(len(self._asked_ids))
        self._rows: OrderedDict[int, _Row | None] = OrderedDict()
        self._rows_held = rows_held
        self._articles: OrderedDict[tuple[str, str | None], list[int]] = OrderedDict()
        self._views: OrderedDict[int, _Views | None] = OrderedDict()
        self._views_held = views_held
        self._lock = threading.Lock()
        self.row_reads = 0  # catalogue reads on a miss (tests count them)
        self.view_reads = 0  # reads of views from the index on a miss (tests count them)

    def chunk_vectors(
        self, chunk_ids: Sequence[int], *, questions_only: bool = False, without_asked: bool = False
    ) -> dict[int, np.ndarray]:
        """Every view of these chunks (only their question views, or all but their
        "asked" views, when told) as read-only (views, dim) arrays, in chunk id order;
        a chunk with no such views is left out."""
        held = self._views_of(chunk_ids)
        found = {}
        for chunk in sorted(held):
            views = held[chunk]
            if questions_only:  # with or without `without_asked`: see `_Views`
                chosen = views.questions
            else:
                chosen = views.content if without_asked else views.every
            if chosen is not None:
                found[chunk] = chosen
        return found

    def _views_of(self, chunk_ids: Sequence[int]) -> dict[int, _Views]:
        """The views of these chunks that this version has, misses read from the index
        in one call. Chunk ids are never reused, so a chunk without views stays so."""
        found, read = self._kept(self._views, self._views_held, chunk_ids, self._read_views)
        self.view_reads += read
        return found

    def _read_views(self, chunks: list[int]) -> dict[int, _Views]:
        if not len(self._vector_ids):
            return {}
        starts = np.asarray(chunks, dtype=np.int64) * MAX_VIEWS
        low = np.searchsorted(self._vector_ids, starts)
        high = np.searchsorted(self._vector_ids, starts + MAX_VIEWS)
        wanted = np.concatenate([self._vector_ids[a:b] for a, b in zip(low, high, strict=True)])
        if not len(wanted):
            return {}
        vectors = self.index.vectors(wanted)
        vectors.flags.writeable = False  # shared by every search of this version
        is_question = np.isin(wanted, self._question_ids)
        is_asked = np.isin(wanted, self._asked_ids)
        owners = wanted // MAX_VIEWS
        # `wanted` is sorted, so each chunk's views are one run of rows.
        bounds = np.flatnonzero(np.diff(owners)) + 1
        read = {}
        for start, end in zip(
            np.concatenate(([0], bounds)), np.concatenate((bounds, [len(wanted)])), strict=True
        ):
            every = vectors[start:end]
            read[int(owners[start])] = _Views(
                every,
                _subset(every, is_question[start:end]),
                _subset(every, ~is_asked[start:end]),
            )
        return read

    def chunk_facts(self, chunk_ids: Sequence[int]) -> dict[int, ChunkFacts]:
        return {chunk: row.facts for chunk, row in self._rows_of(chunk_ids).items()}

    def article_chunks(self, articles: Sequence[str], language: str | None) -> list[int]:
        """Every chunk of these articles (in `language` when given), article by article."""
        found: dict[str, list[int]] = {}
        with self._lock:
            for article in articles:
                if (chunks := self._articles.get((article, language))) is not None:
                    self._articles.move_to_end((article, language))
                    found[article] = chunks
        missing = [article for article in articles if article not in found]
        if missing:
            read = self._catalogue.article_chunks(missing, language)
            with self._lock:
                for article, chunks in read.items():
                    found[article] = self._articles[(article, language)] = chunks
                while len(self._articles) > ARTICLES_HELD:
                    self._articles.popitem(last=False)
        return [chunk for article in articles for chunk in found.get(article, ())]

    def passages(
        self,
        scored: Sequence[tuple[int, float, float]],
        question_similarity: dict[int, float] | None = None,
    ) -> list[Passage]:
        """Passages for (chunk_id, score, similarity), in the given order."""
        rows = self._rows_of([chunk for chunk, _, _ in scored])
        asked = question_similarity or {}
        return [
            Passage(
                row.document_id,
                chunk,
                row.title,
                row.section,
                row.source,
                score,
                row.facts.text,
                similarity,
                row.facts.article,
                row.facts.question,
                asked.get(chunk, 0.0),
                row.facts.language,
            )
            for chunk, score, similarity in scored
            if (row := rows.get(chunk)) is not None
        ]

    def _rows_of(self, chunk_ids: Sequence[int]) -> dict[int, _Row]:
        """The rows of these chunks that this version has; misses read in one query.
        A chunk the catalogue no longer has (a newer version removed it) is remembered
        as absent: chunk ids are never reused."""
        found, read = self._kept(self._rows, self._rows_held, chunk_ids, self._read_rows)
        self.row_reads += read
        return found

    def _read_rows(self, chunks: list[int]) -> dict[int, _Row]:
        rows = {}
        for chunk, values in self._catalogue.chunk_rows(chunks).items():
            document_id, title, section, source, text, article, question, language = values
            rows[chunk] = _Row(
                document_id, title, section, source, ChunkFacts(article, question, language, text)
            )
        return rows

    def _kept(
        self,
        kept: OrderedDict[int, _Kept | None],
        held: int,
        chunk_ids: Sequence[int],
        read: Callable[[list[int]], dict[int, _Kept]],
    ) -> tuple[dict[int, _Kept], int]:
        """What `kept` holds of these chunks, the misses read in one call of `read` and
        kept too, the least recently used let go past `held`; a chunk `read` did not
        return is kept as absent. Also how many reads it took (0 or 1)."""
        found: dict[int, _Kept] = {}
        missing = []
        with self._lock:
            for chunk in dict.fromkeys(chunk_ids):
                if chunk in kept:
                    kept.move_to_end(chunk)
                    if (value := kept[chunk]) is not None:
                        found[chunk] = value
                else:
                    missing.append(chunk)
        if not missing:
            return found, 0
        fresh = read(missing)
        with self._lock:
            for chunk in missing:
                if (value := fresh.get(chunk)) is not None:
                    found[chunk] = value
                kept[chunk] = value
            while len(kept) > held:
                kept.popitem(last=False)
        return found, 1


def _subset(views: np.ndarray, keep: np.ndarray) -> np.ndarray | None:
    """The rows of `views` that `keep` marks, read-only: `views` itself when all are, a
    slice of it (no copy) when they are one run, as a chunk's own views before its
    "asked" ones are; a copy otherwise."""
    if keep.all():
        return views
    rows = np.flatnonzero(keep)
    if not len(rows):
        return None
    if rows[-1] - rows[0] + 1 == len(rows):
        return views[rows[0] : rows[-1] + 1]  # a view of a read-only array is read-only
    copied = views[rows]
    copied.flags.writeable = False
    return copied
