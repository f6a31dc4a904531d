"""`KnowledgeBase`: ingest help content, search it, list and remove documents.

Several server processes share one index directory (README "Scaling out"): each
version is committed once, by whoever ingests, and every process loads it whole (index
and question views together) when told by a wake-up (`on_publish` on the writer's side,
`load_current_version` on the others') or, failing that, at its next search.

The index directory holds `catalogue.sqlite3` (documents, chunks, embeddings, FTS5) and
`vectors-<generation>.faiss`. An ingest encodes everything first, then writes the new
FAISS file under a new generation name and, in one SQLite transaction, replaces the
changed rows and moves the generation forward. A crash at any point leaves the previous
generation and its catalogue in place; a FAISS file of a generation that never
committed is deleted at the next open.

A catalogue written by an older version (format 1, before views and languages) is
upgraded when it is opened (see `knowledge.catalogue`), and its documents whose files
are still there are embedded again with the new views, in one ingest, before the
knowledge base answers.

Search returns one passage per article (its best chunk), best article first, with FAQ
entries that answer only their own question held back unless the query matches that
question (`knowledge.faq`). `language` narrows a search to documents in that language.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from knowledge.article_classifier import ARTICLE_WEIGHT, ArticleClassifier, too_large
from knowledge.asked_views import ASKED_KIND, attach_asked
from knowledge.broad_questions import TitleVectors, is_broad
from knowledge.catalogue import MAX_VIEWS, Catalogue, ChunkFacts, NewDocument
from knowledge.chunking import DEFAULT_VIEWS, chunk_document
from knowledge.errors import DocumentNotFound, EmptyQuery, IndexUnavailable
from knowledge.faq import FAQ_QUESTION_THRESHOLD, FAQ_RANK_MARGIN, answers_only_its_question
from knowledge.gaps import Gap, HelpCentreGaps
from knowledge.index import HNSW_MIN_VECTORS, VectorIndex
from knowledge.loaded_version import LoadedVersion
from knowledge.records import (
    DEFAULT_LANGUAGE,
    DocumentInfo,
    IngestProgress,
    IngestSummary,
    Passage,
    SkippedFile,
    article_key,
)
from knowledge.retrieval import LEXICAL_WEIGHT, best_per_article, best_per_chunk, fuse, nudge
from knowledge.sources import (
    FAQ_SUFFIXES,
    NO_TEXT,
    UNSUPPORTED_TYPE,
    UnreadableFile,
    discover_files,
    parse_document,
)

__all__ = ["MAX_QUERY_CHARS", "KnowledgeBase", "TextEncoder", "document_id_for"]

log = logging.getLogger("knowledge")

MAX_QUERY_CHARS = 2000
ENCODE_BATCH = 64
# Vector hits read per requested article before search looks deeper (a chunk has up to
# five views and an article several chunks; a language filter may skip many).
_HITS_PER_ARTICLE = 32
ProgressCallback = Callable[[IngestProgress], None]
_T = TypeVar("_T")


class TextEncoder(Protocol):
    """What the knowledge base needs from `knowledge.embeddings.SentenceEncoder`."""

    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    async def encode_async(self, text: str) -> np.ndarray: ...


def document_id_for(path: Path) -> str:
    """A stable id for the file at `path` (the same file keeps its id across ingests)."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


class KnowledgeBase:
    """Help content, searchable. `views` picks the views embedded at ingest (the
    benchmarks pass `chunking.TEXT_VIEWS` for the reference from before issue 14); a
    file already ingested and unchanged keeps the views it was embedded with.
    `faq_question_threshold` None turns the FAQ strictness off (the same reference)."""

    def __init__(
        self,
        index_dir: Path,
        encoder: TextEncoder,
        *,
        lexical_weight: float = LEXICAL_WEIGHT,
        hnsw_min_vectors: int = HNSW_MIN_VECTORS,
        views: frozenset[str] = DEFAULT_VIEWS,
        faq_question_threshold: float | None = FAQ_QUESTION_THRESHOLD,
        article_weight: float = ARTICLE_WEIGHT,
    ) -> None:
        self.index_dir = Path(index_dir)
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self._catalogue = Catalogue(self.index_dir / "catalogue.sqlite3")
        except OSError as exc:
            raise IndexUnavailable(f"cannot open the index in {self.index_dir}: {exc}") from exc
        self._encoder = encoder
        self._lexical_weight = lexical_weight
        self._hnsw_min = hnsw_min_vectors
        self._views = views
        self._faq_threshold = faq_question_threshold
        self._article_weight = article_weight
        self._faq_rank_margin: float | None = FAQ_RANK_MARGIN
        self._titles = TitleVectors(encoder.encode)
        # the help centre's gaps (knowledge.gaps), found for a version when first asked
        self._gaps: tuple[int, HelpCentreGaps] | None = None
        self._gap_vectors: dict[str, np.ndarray] = {}
        self._published: list[Callable[[int], None]] = []
        self._loading = threading.Lock()
        self._generation = -1
        self._loaded = self._load_index()
        self._embed_stale_documents()

    @classmethod
    def open(
        cls,
        index_dir: Path,
        encoder: TextEncoder,
        *,
        lexical_weight: float = LEXICAL_WEIGHT,
        hnsw_min_vectors: int = HNSW_MIN_VECTORS,
        views: frozenset[str] = DEFAULT_VIEWS,
        faq_question_threshold: float | None = FAQ_QUESTION_THRESHOLD,
        article_weight: float = ARTICLE_WEIGHT,
    ) -> KnowledgeBase:
        return cls(
            index_dir,
            encoder,
            lexical_weight=lexical_weight,
            hnsw_min_vectors=hnsw_min_vectors,
            views=views,
            faq_question_threshold=faq_question_threshold,
            article_weight=article_weight,
        )

    @staticmethod
    def texts_in(index_dir: Path, language: str | None = None) -> list[str]:
        """Every chunk's words (`texts`) of the base in `index_dir`, in `language` only
        when given, from its catalogue alone, as `documents_in` reads (`switchboard kb
        gaps`)."""
        return _from_catalogue(index_dir, lambda c: c.chunk_texts(language=language))

    @staticmethod
    def article_texts_in(index_dir: Path, language: str | None = None) -> list[tuple[str, str]]:
        """(article, words) of every chunk of the base in `index_dir`, as `texts_in`."""
        return _from_catalogue(index_dir, lambda c: c.article_texts(language=language))

    @staticmethod
    def documents_in(index_dir: Path) -> list[DocumentInfo]:
        """The documents of the base in `index_dir`, read from its catalogue alone:
        listing needs neither the encoder nor the vectors, and opening the base would
        load the sentence model for seconds (`switchboard kb list`). Where there is no
        base yet, nothing is created and the list is empty."""
        return _from_catalogue(index_dir, lambda c: c.documents())

    def _embed_stale_documents(self) -> None:
        """Embed again, with today's views, the documents an older version stored."""
        stale = self._catalogue.stale_documents()
        if not stale:
            return
        present = [Path(path) for _, path in stale if Path(path).is_file()]
        gone = [path for _, path in stale if not Path(path).is_file()]
        if gone:
            log.warning(
                "%d document(s) from an older index format have no file any more and keep"
                " their old views until removed or ingested again: %s",
                len(gone),
                ", ".join(gone),
            )
        if present:
            log.warning(
                "the index is from an older format: embedding %d document(s) again",
                len(present),
            )
            self.ingest(present)

    def close(self) -> None:
        self._catalogue.close()

    # -- the index files ----------------------------------------------------------

    def _index_path(self, generation: int) -> Path:
        return self.index_dir / f"vectors-{generation}.faiss"

    def _load_index(self) -> LoadedVersion:
        """The committed version's index, question views and what search reads of it
        (`knowledge.loaded_version`); sets `_generation` after them, so a search never
        pairs a new version number with an old index."""
        generation = int(self._catalogue.meta("generation", "0"))
        path = self._index_path(generation)
        ids, vectors = self._catalogue.all_vectors()
        index: VectorIndex | None = None
        if path.exists():
            try:
                index = VectorIndex.load(path)
            except RuntimeError:
                log.warning("index file %s unreadable; rebuilding it from the catalogue", path)
        if index is None or index.size != len(ids):
            index = VectorIndex.build(
                ids, vectors, self._encoder.dimension, hnsw_min_vectors=self._hnsw_min
            )
            index.save(path)
        # Only older generations are stale: a newer file may be another process's ingest
        # that has not committed yet.
        for stale in self.index_dir.glob("vectors-*.faiss*"):
            number = stale.name.removeprefix("vectors-").split(".", 1)[0]
            if number.isdigit() and int(number) < generation:
                stale.unlink(missing_ok=True)
        questions = self._catalogue.vector_ids_of_kind("question")
        asked = self._catalogue.vector_ids_of_kind(ASKED_KIND)
        self._loaded = LoadedVersion(
            generation,
            index,
            questions,
            self._catalogue,
            asked,
            classifier=self._fit_classifier(ids, vectors),
        )
        self._generation = generation
        return self._loaded

    def _fit_classifier(self, ids: np.ndarray, vectors: np.ndarray) -> ArticleClassifier | None:
        if not self._article_weight or not len(ids):
            return None
        if too_large(len(ids)):  # before reading every chunk's article
            return None
        article_of = self._catalogue.chunk_articles()
        labels = [article_of.get(int(i) // MAX_VIEWS) for i in ids]
        kept = [n for n, label in enumerate(labels) if label is not None]
        return ArticleClassifier.fit(vectors[kept], [labels[n] for n in kept])  # type: ignore[misc]

    def _current_index(self) -> LoadedVersion:
        """The index, its question views and what is read of it, one version of all,
        reloaded when another process (`switchboard kb ingest`, another server) committed
        a new version: the one read of the catalogue every search makes."""
        generation = self._catalogue.committed_generation()
        if generation != self._generation:
            with self._loading:  # one thread loads; the others then see it loaded
                if generation != self._generation:
                    self._load_index()
        return self._loaded

    @property
    def _index(self) -> VectorIndex:
        """The loaded version's index (tests and benchmarks ask which kind it is)."""
        return self._loaded.index

    def load_current_version(self) -> int:
        """Load the newest committed version now (told by a wake-up that another process
        published one) rather than at the next search; returns the version loaded."""
        self._current_index()
        return self._generation

    def on_publish(self, hook: Callable[[int], None]) -> None:
        """Call `hook(version)` after every commit of a new version here (bot/wiring
        tells the other processes)."""
        self._published.append(hook)

    def _commit(self, documents: list[NewDocument], removed: Iterable[str]) -> None:
        """Replace `documents`, delete `removed`, and switch to a new index generation."""
        old_path = self._index_path(int(self._catalogue.meta("generation", "0")))
        with self._catalogue.transaction() as db:
            for document in documents:
                self._catalogue.delete_document(db, document.document_id)
                self._catalogue.insert_document(db, document)
            for document_id in removed:
                if not self._catalogue.delete_document(db, document_id):
                    raise DocumentNotFound(document_id)
            generation = int(self._catalogue.meta("generation", "0")) + 1
            ids, vectors = self._catalogue.all_vectors(db)
            index = VectorIndex.build(
                ids, vectors, self._encoder.dimension, hnsw_min_vectors=self._hnsw_min
            )
            index.save(self._index_path(generation))
            self._catalogue.set_meta(db, "generation", str(generation))
            question_views = self._catalogue.vector_ids_of_kind("question", db)
            asked_views = self._catalogue.vector_ids_of_kind(ASKED_KIND, db)
        self._loaded = LoadedVersion(
            generation,
            index,
            question_views,
            self._catalogue,
            asked_views,
            classifier=self._fit_classifier(ids, vectors),
        )
        self._generation = generation
        old_path.unlink(missing_ok=True)
        for hook in self._published:
            try:
                hook(generation)
            except Exception:  # committed already; the others load it at their next search
                log.exception("announcing knowledge base version %d failed", generation)

    # -- documents ----------------------------------------------------------------

    def list_documents(self) -> list[DocumentInfo]:
        return self._catalogue.documents()

    def texts(self) -> list[str]:
        """The text of every chunk with its title and section: the words customers will
        use about this help centre (the spelling corrector's domain vocabulary)."""
        return self._catalogue.chunk_texts()

    def languages(self) -> set[str]:
        """The languages the knowledge base has documents in (ISO 639-1 codes)."""
        return self._catalogue.languages()

    def is_empty(self) -> bool:
        return self._catalogue.document_count() == 0

    def remove(self, document_id: str) -> None:
        self._commit([], [document_id])

    def remove_many(self, document_ids: Iterable[str]) -> None:
        """Remove these documents in one commit (one index rebuild, all or none)."""
        removed = list(document_ids)
        if removed:
            self._commit([], removed)

    def ingest(
        self,
        paths: Iterable[Path | str],
        prune: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IngestSummary:
        started = time.perf_counter()
        files, unsupported = discover_files(Path(p) for p in paths)
        skipped: list[SkippedFile] = []

        def skip(path: Path, reason: str) -> None:
            log.warning("skipping %s: %s", path, reason)
            skipped.append(SkippedFile(str(path), reason))

        for path in unsupported:
            skip(path, "no such file or folder" if not path.exists() else UNSUPPORTED_TYPE)
        known = self._catalogue.hashes()
        articles = self._catalogue.article_paths()
        pending: list[NewDocument] = []
        unchanged = 0
        report = progress or (lambda _: None)

        for done, path in enumerate(files, start=1):
            report(IngestProgress(done - 1, len(files), 0, 0, str(path)))
            try:
                raw = path.read_bytes()
            except OSError as exc:
                skip(path, f"cannot read it ({exc.strerror or exc})")
                continue
            digest = hashlib.sha256(raw).hexdigest()
            document_id = document_id_for(path)
            if known.get(document_id) == digest:
                unchanged += 1
                continue
            try:
                document = parse_document(path, raw)
            except UnreadableFile as exc:
                # The error names the file first ("PATH: binary file"); the record keeps
                # the path apart, so only the reason is kept with it.
                skip(path, str(exc).removeprefix(f"{path}: "))
                continue
            url = article_key(document.url) if document.url and not _is_faq(path) else None
            taken = articles.get(url) if url else None
            if (
                taken is not None
                and taken[0] != document_id
                and Path(taken[1]).exists()  # a file moved: the old one is pruned or stale
            ):
                # Two articles under one URL were answered as one: a section of either
                # stood for both, and the article classifier counted them once.
                skip(path, f"its url {document.url} is already the url of {taken[1]}")
                continue
            chunks = chunk_document(document, views=self._views)
            if not chunks:
                # An empty file became a document of 0 chunks, listed as if it answered;
                # it does not take its URL from an article that has text.
                skip(path, NO_TEXT)
                continue
            if url:
                articles[url] = (document_id, str(path))
            asked = document.asked if ASKED_KIND in self._views else ()
            pending.append(
                NewDocument(
                    document_id,
                    str(path),
                    document.title,
                    digest,
                    chunks,
                    document.language,
                    asked,
                )
            )
        report(IngestProgress(len(files), len(files), 0, 0))

        removed = []
        if prune:
            removed = [d.document_id for d in self.list_documents() if not Path(d.path).exists()]
        chunk_total = self._embed(pending, len(files), report)
        if pending or removed:
            self._commit(pending, removed)
        added = sum(1 for d in pending if d.document_id not in known)
        return IngestSummary(
            documents_added=added,
            documents_updated=len(pending) - added,
            documents_unchanged=unchanged,
            documents_removed=len(removed),
            chunks=chunk_total,
            seconds=round(time.perf_counter() - started, 3),
            skipped=tuple(skipped),
        )

    def _embed(self, documents: list[NewDocument], files: int, report: ProgressCallback) -> int:
        """Encode every view of every chunk, in batches, and attach how customers ask
        (`knowledge.asked_views`); nothing is stored yet."""
        views = [view for d in documents for chunk in d.chunks for view in chunk.views]
        asked_at = len(views)
        views += [phrasing for d in documents for phrasing in d.asked]
        chunk_total = sum(len(d.chunks) for d in documents)
        vectors = []
        for start in range(0, len(views), ENCODE_BATCH):
            vectors.append(self._encoder.encode(views[start : start + ENCODE_BATCH]))
            done = min(start + ENCODE_BATCH, len(views))
            report(
                IngestProgress(files, files, round(chunk_total * done / len(views)), chunk_total)
            )
        flat = np.vstack(vectors) if vectors else np.zeros((0, self._encoder.dimension))
        row, asked_row = 0, asked_at
        for document in documents:
            for chunk in document.chunks:
                document.embeddings.append(flat[row : row + len(chunk.views)])
                row += len(chunk.views)
            if document.asked:
                mine = flat[asked_row : asked_row + len(document.asked)]
                asked_row += len(document.asked)
                document.chunks, document.embeddings = attach_asked(
                    document.chunks,
                    document.embeddings,
                    list(document.asked),
                    mine,
                    MAX_VIEWS,
                    document.path,
                )
        return chunk_total

    # -- search -------------------------------------------------------------------

    @staticmethod
    def _prepare(query: str) -> str:
        text = (query or "").strip()
        if not text:
            raise EmptyQuery("the query is empty")
        return text[:MAX_QUERY_CHARS]

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[Passage]:
        """The best passage of each of the `k` best articles (in `language` only, when
        given), best first."""
        text = self._prepare(query)
        vector = self._encoder.encode([text])[0]
        return self.search_vector(text, vector, k, language)

    async def search_async(
        self, query: str, k: int = 5, language: str | None = None
    ) -> list[Passage]:
        """Like `search`, with micro-batched encoding and FAISS in a worker thread."""
        text = self._prepare(query)
        vector = await self._encoder.encode_async(text)
        return await asyncio.to_thread(self.search_vector, text, vector, k, language)

    def search_lexical(self, query: str, k: int = 5, language: str | None = None) -> list[Passage]:
        """BM25 (FTS5) alone, for comparison; `score` is the bm25 score, higher is better.
        Per chunk, not per article."""
        hits = self._catalogue.lexical(self._prepare(query), max(1, k), _language(language))
        return self._current_index().passages([(chunk, score, 0.0) for chunk, score in hits])

    async def gap_async(self, query: str) -> Gap | None:
        """The topic customers often ask about that this help centre never mentions
        and `query` (English) asks about, if any (`knowledge.gaps`)."""
        text = self._prepare(query)
        vector = await self._encoder.encode_async(text)  # the search's, a moment ago
        found = self._gaps
        if found is not None and found[0] == self._generation:
            # the version the search just read: a match is tens of microseconds, less
            # than a hop to a worker thread (bench/gaps.py; bench/README.md, session 44)
            return found[1].match(text, vector)
        return await asyncio.to_thread(self.gap, text, vector)  # reads the catalogue

    def gap(self, text: str, vector: np.ndarray) -> Gap | None:
        return self.gaps().match(text, vector)

    def gaps(self) -> HelpCentreGaps:
        """The current version's gaps: read from its English chunks once per version
        (each process, at its first question after a new version)."""
        version = self._current_index()
        found = self._gaps
        if found is None or found[0] != version.generation:
            with self._loading:
                found = self._gaps
                if found is None or found[0] != version.generation:
                    texts = self._catalogue.article_texts(language=DEFAULT_LANGUAGE)
                    found = (version.generation, HelpCentreGaps.find(texts, self._gap_encode))
                    self._gaps = found
        return found[1]

    def _gap_encode(self, texts: Sequence[str]) -> np.ndarray:
        """The gaps' ways of asking, encoded once per knowledge base: the same few
        sentences come back at every version."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._gap_vectors]
        if missing:
            vectors = np.asarray(self._encoder.encode(missing), dtype=np.float32)
            self._gap_vectors.update(zip(missing, vectors, strict=True))
        return np.asarray([self._gap_vectors[t] for t in texts], dtype=np.float32)

    async def other_section_async(
        self, text: str, shown: Passage, *, only_if_closer: bool = False
    ) -> Passage | None:
        """The section of `shown`'s article, other than `shown`, closest to `text` on
        its own words, not an FAQ entry (its short answer is for its own question); None
        when the article has no other. With `only_if_closer`, None too unless that
        section is closer to `text` than `shown` is and at least `OTHER_SECTION_FLOOR`
        ("why?" is near no section, and the nearest is noise). For a question that found
        the section the customer has just been shown."""
        vector = await self._encoder.encode_async(self._prepare(text))
        return await asyncio.to_thread(self.other_section, vector, shown, only_if_closer)

    def other_section(
        self, vector: np.ndarray, shown: Passage, only_if_closer: bool = False
    ) -> Passage | None:
        version = self._current_index()
        chunks = version.article_chunks([shown.article], None)
        facts = version.chunk_facts([c for c in chunks if c != shown.chunk_id])
        sections = [
            c for c, f in facts.items() if f.question is None and f.language == shown.language
        ]
        query = np.asarray(vector, dtype=np.float32)
        content = _content_similarity(version, query, [*sections, shown.chunk_id])
        own = content.pop(shown.chunk_id, None)
        if not content:
            return None
        best = max(content, key=lambda c: (content[c], -c))
        if only_if_closer and (
            own is None  # `shown` is of a version before this one: nothing to compare
            or content[best] <= own
            or content[best] < OTHER_SECTION_FLOOR
        ):
            return None
        # The article's match stands (it is what the router judged); the section is the
        # part of it this message reads closest to.
        found = version.passages([(best, shown.score, shown.similarity)])
        return found[0] if found else None

    def search_vector(
        self, text: str, vector: np.ndarray, k: int, language: str | None = None
    ) -> list[Passage]:
        k = max(1, k)
        language = _language(language)
        version = self._current_index()  # one version for the whole search
        if language is not None and language not in version.languages:
            return []  # nothing to look through (and no need to read the whole index)
        query = np.asarray(vector, dtype=np.float32)
        dense, facts, asked = self._dense_candidates(version, query, k, language)
        lexical: dict[int, float] = {}
        if self._lexical_weight > 0:
            lexical = dict(self._catalogue.lexical(text, max(k, 10) * 4, language))
            self._score_more(version, query, [c for c in lexical if c not in dense], dense, facts)
            lexical = {chunk: score for chunk, score in lexical.items() if chunk in dense}
        self._question_similarity(version, query, dense, facts, asked)
        held_back = self._held_back(dense, facts, asked)
        if held_back:  # their articles' other sections stand in for them
            articles = {facts[c].article for c in held_back}
            others = [
                c for c in version.article_chunks(sorted(articles), language) if c not in dense
            ]
            self._score_more(version, query, others, dense, facts)
            self._question_similarity(version, query, dict.fromkeys(others, 0.0), facts, asked)
            held_back |= self._held_back({c: dense[c] for c in others}, facts, asked)
        article_of = {c: facts[c].article for c in dense}
        # An entry whose article has nothing else (an FAQ file without articles) stays:
        # the next article is no better an answer, and an FAQ-only knowledge base would
        # lose most paraphrases (knowledge.faq, FAQ_QUESTION_THRESHOLD).
        standing = {article_of[c] for c in dense if c not in held_back}
        held_back = {c for c in held_back if article_of[c] in standing}
        ranked = fuse(dense, lexical, self._lexical_weight)
        if held_back:
            ranked = self._stand_in(ranked, held_back, article_of)
        probability: dict[str, float] = {}
        if version.classifier is not None:  # after the stand-ins: they borrow a score
            probability = version.classifier.probabilities(query)
            ranked = nudge(ranked, article_of, probability, self._article_weight)
        top = best_per_article(ranked, article_of, k)
        shown, own = self._answering_sections(version, query, top, facts)
        shown, own = self._lead_sections(version, query, shown, own, facts)
        passages = version.passages(shown, asked)
        return [
            dataclasses.replace(
                p,
                own_similarity=own.get(p.chunk_id, p.own_similarity),
                article_probability=probability.get(p.article),
            )
            for p in passages
        ]

    def _answering_sections(
        self,
        version: LoadedVersion,
        query: np.ndarray,
        top: list[tuple[int, float, float]],
        facts: dict[int, ChunkFacts],
    ) -> tuple[list[tuple[int, float, float]], dict[int, float]]:
        """`top`, with an article found through how customers ask (an "asked" view won:
        the chunk's own text scores lower than its similarity) shown by its section whose
        text is closest to the question. A phrasing sits on the chunk it was closest to
        at ingest, which need not be the section this question needs ("how much to send
        a return back" may hit a phrasing stored on "is shipping refunded?"). The score
        and the order are kept: the phrasing still says which article answers. Also, for
        each section shown on a phrasing's strength, the cosine on its own words
        (`Passage.own_similarity`), when lower."""
        if not version.has_asked_views:  # no phrasings: nothing to check on each search
            return top, {}
        chunks = [chunk for chunk, _, _ in top if facts[chunk].question is None]
        content = _content_similarity(version, query, chunks)
        won_by_asked = {
            c
            for c, _, similarity in top
            if c in content and content[c] < similarity - _FLOAT32_NOISE
        }
        if not won_by_asked:
            return top, {}
        articles = sorted({facts[c].article for c in won_by_asked})
        siblings = version.article_chunks(articles, None)
        facts.update(version.chunk_facts([c for c in siblings if c not in facts]))
        content.update(
            _content_similarity(version, query, [c for c in siblings if c not in content])
        )
        shown, own = [], {}
        for chunk, score, similarity in top:
            if chunk in won_by_asked:
                article, language = facts[chunk].article, facts[chunk].language
                chunk = max(
                    (
                        c
                        for c in siblings
                        if c in content
                        and facts[c].article == article
                        and facts[c].question is None
                        and facts[c].language == language
                    ),
                    key=lambda c: (content[c], c == chunk),
                )
                # A section the first hits missed may match better on its own words than
                # the phrasing did; the article then stands on its (lower) similarity, as
                # ranked, with nothing lower to be judged on.
                if content[chunk] < similarity - _FLOAT32_NOISE:
                    own[chunk] = content[chunk]
            shown.append((chunk, score, similarity))
        return shown, own

    def _lead_sections(
        self,
        version: LoadedVersion,
        query: np.ndarray,
        shown: list[tuple[int, float, float]],
        own: dict[int, float],
        facts: dict[int, ChunkFacts],
    ) -> tuple[list[tuple[int, float, float]], dict[int, float]]:
        """`shown`, with an article asked about as a whole ("what's your return policy")
        shown by its first section (`knowledge.broad_questions`). Scores, order and
        the own similarities the router judges are kept. `facts` holds the shown
        chunks' facts (the search read them) and gains their articles' other chunks'."""
        articles = sorted({facts[chunk].article for chunk, _, _ in shown})
        siblings = version.article_chunks(articles, None)
        facts.update(version.chunk_facts([c for c in siblings if c not in facts]))
        first: dict[tuple[str, str], int] = {}
        for chunk in siblings:  # in the article's order
            f = facts.get(chunk)
            if f is not None and f.question is None:
                first.setdefault((f.article, f.language), chunk)
        leads = {
            chunk: lead
            for chunk, _, _ in shown
            if (lead := first.get((facts[chunk].article, facts[chunk].language))) is not None
            and lead != chunk
        }
        if not leads:
            return shown, own
        titles = {
            p.chunk_id: p.title
            for p in version.passages([(c, 0.0, 0.0) for c in set(leads.values())])
        }
        to_title = self._titles.similarities(query, list(titles.values()))
        words = _content_similarity(version, query, list(leads))
        swapped, kept_own = [], dict(own)
        for chunk, score, similarity in shown:
            lead = leads.get(chunk)
            title = titles.get(lead) if lead is not None else None
            if title in to_title and chunk in words and is_broad(to_title[title], words[chunk]):
                if chunk in kept_own:
                    kept_own[lead] = kept_own.pop(chunk)
                chunk = lead
            swapped.append((chunk, score, similarity))
        return swapped, kept_own

    def _stand_in(
        self,
        ranked: list[tuple[int, float, float]],
        held_back: set[int],
        article_of: dict[int, str],
    ) -> list[tuple[int, float, float]]:
        """`ranked` without the held-back FAQ entries; an article's other chunks rank,
        and count as similar, no lower than its best held-back entry minus
        `faq_rank_margin` (the entry's match says what the article is about, its answer
        is just not the one to give)."""
        borrowed: dict[str, float] = {}
        for chunk, score, _ in ranked:
            if chunk in held_back:
                borrowed.setdefault(article_of[chunk], score)
        kept = []
        for chunk, score, similarity in ranked:
            if chunk in held_back:
                continue
            if self._faq_rank_margin is not None and article_of[chunk] in borrowed:
                lent = borrowed[article_of[chunk]] - self._faq_rank_margin
                score, similarity = max(score, lent), max(similarity, lent)
            kept.append((chunk, score, similarity))
        kept.sort(key=lambda item: (-item[1], item[0]))
        return kept

    def _dense_candidates(
        self, version: LoadedVersion, query: np.ndarray, k: int, language: str | None
    ) -> tuple[dict[int, float], dict[int, ChunkFacts], dict[int, float]]:
        """Chunk -> best cosine over its views, from enough vector hits to cover more
        than `k` articles (of `language`); what is known of each chunk; and FAQ chunk ->
        cosine to its question view, for the question views among the hits."""
        index, questions = version.index, version.question_views
        depth = max(k, 10) * _HITS_PER_ARTICLE
        while True:
            hits = index.search(query, depth)
            dense = best_per_chunk(hits, MAX_VIEWS)
            facts = version.chunk_facts(list(dense))
            dense = {
                c: s
                for c, s in dense.items()
                if c in facts and (language is None or facts[c].language == language)
            }
            if len({facts[c].article for c in dense}) > k or depth >= index.size:
                asked = best_per_chunk(((i, s) for i, s in hits if i in questions), MAX_VIEWS)
                return dense, facts, asked
            depth *= 4

    def _score_more(
        self,
        version: LoadedVersion,
        query: np.ndarray,
        chunks: list[int],
        dense: dict[int, float],
        facts: dict[int, ChunkFacts],
    ) -> None:
        """Add these chunks' best cosine (from their stored views) and facts."""
        for chunk, views in version.chunk_vectors(chunks).items():
            dense[chunk] = float((views @ query).max())
        facts.update(version.chunk_facts([c for c in chunks if c not in facts]))

    def _question_similarity(
        self,
        version: LoadedVersion,
        query: np.ndarray,
        dense: dict[int, float],
        facts: dict[int, ChunkFacts],
        asked: dict[int, float],
    ) -> None:
        """Fill in `asked` (FAQ chunk -> cosine between the query and the entry's
        question alone) for the FAQ chunks in `dense` whose question view was not hit."""
        missing = [c for c in dense if c in facts and facts[c].question and c not in asked]
        for chunk, views in version.chunk_vectors(missing, questions_only=True).items():
            asked[chunk] = float((views @ query).max())

    def _held_back(
        self, dense: dict[int, float], facts: dict[int, ChunkFacts], asked: dict[int, float]
    ) -> set[int]:
        """FAQ chunks that answer only their own question, which the query is not."""
        if self._faq_threshold is None:
            return set()
        return {
            chunk
            for chunk in dense
            if (question := facts[chunk].question)
            and answers_only_its_question(question, facts[chunk].text)
            and asked.get(chunk, 0.0) < self._faq_threshold
        }


# How near, on its own words, another section of an article must be to a follow-up to be
# quoted in place of the section just quoted. On the demo help centre, follow-ups that
# another section answers scored 0.17 to 0.58 on it ("how much is it" after "do you ship
# to canada": Delivery times and costs 0.17; "ok so how do i claim it" after the
# warranty: How to make a claim 0.51); ones with nothing of their own ("why?", "and
# then?", "are you sure?", "say that again") -0.03 to 0.13 on their nearest.
OTHER_SECTION_FLOOR = 0.15

# The index's scores and the vectors read back from it differ in the last float32 digits:
# a chunk's own view must lose to a phrasing by more than this to count as beaten.
_FLOAT32_NOISE = 1e-4


def _from_catalogue(index_dir: Path, read: Callable[[Catalogue], list[_T]]) -> list[_T]:
    """`read` of the catalogue in `index_dir`, opened for it alone; empty where there
    is no base, and nothing is created."""
    path = Path(index_dir) / "catalogue.sqlite3"
    if not path.is_file():
        return []
    try:
        catalogue = Catalogue(path)
    except (OSError, sqlite3.Error) as exc:
        raise IndexUnavailable(f"cannot open the index in {index_dir}: {exc}") from exc
    try:
        return read(catalogue)
    finally:
        catalogue.close()


def _content_similarity(
    version: LoadedVersion, query: np.ndarray, chunks: list[int]
) -> dict[int, float]:
    """Chunk -> best cosine over its views other than how customers ask."""
    vectors = version.chunk_vectors(chunks, without_asked=True)
    return {chunk: float((views @ query).max()) for chunk, views in vectors.items()}


def _language(language: str | None) -> str | None:
    """A requested language as documents store it ("es-MX" -> "es"); None for any."""
    if language is None or not language.strip():
        return None
    return language.strip().lower().replace("_", "-").split("-", 1)[0]


def _is_faq(path: Path) -> bool:
    """An FAQ file's entries share their article's URL by design."""
    return path.suffix.lower() in FAQ_SUFFIXES
