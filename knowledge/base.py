"""`KnowledgeBase`: ingest help content, search it, list and remove documents.

The index directory holds `catalogue.sqlite3` (documents, chunks, embeddings, FTS5) and
`vectors-<generation>.faiss`. An ingest encodes everything first, then writes the new
FAISS file under a new generation name and, in one SQLite transaction, replaces the
changed rows and moves the generation forward. A crash at any point leaves the previous
generation and its catalogue in place; a FAISS file of a generation that never
committed is deleted at the next open.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.catalogue import VIEWS, Catalogue, NewDocument
from knowledge.chunking import chunk_document
from knowledge.errors import DocumentNotFound, EmptyQuery, IndexUnavailable
from knowledge.index import HNSW_MIN_VECTORS, VectorIndex
from knowledge.records import DocumentInfo, IngestProgress, IngestSummary, Passage
from knowledge.retrieval import LEXICAL_WEIGHT, best_per_chunk, fuse
from knowledge.sources import UnreadableFile, discover_files, parse_document

__all__ = ["MAX_QUERY_CHARS", "KnowledgeBase", "TextEncoder", "document_id_for"]

log = logging.getLogger("knowledge")

MAX_QUERY_CHARS = 2000
ENCODE_BATCH = 64
ProgressCallback = Callable[[IngestProgress], None]


class TextEncoder(Protocol):
    """What the knowledge base needs from `knowledge.embeddings.SentenceEncoder`."""

    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    async def encode_async(self, text: str) -> np.ndarray: ...


def document_id_for(path: Path) -> str:
    """A stable id for the file at `path` (the same file keeps its id across ingests)."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


class KnowledgeBase:
    def __init__(
        self,
        index_dir: Path,
        encoder: TextEncoder,
        *,
        lexical_weight: float = LEXICAL_WEIGHT,
        hnsw_min_vectors: int = HNSW_MIN_VECTORS,
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
        self._index = self._load_index()

    @classmethod
    def open(
        cls,
        index_dir: Path,
        encoder: TextEncoder,
        *,
        lexical_weight: float = LEXICAL_WEIGHT,
        hnsw_min_vectors: int = HNSW_MIN_VECTORS,
    ) -> KnowledgeBase:
        return cls(
            index_dir, encoder, lexical_weight=lexical_weight, hnsw_min_vectors=hnsw_min_vectors
        )

    def close(self) -> None:
        self._catalogue.close()

    # -- the index files ----------------------------------------------------------

    def _index_path(self, generation: int) -> Path:
        return self.index_dir / f"vectors-{generation}.faiss"

    def _load_index(self) -> VectorIndex:
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
        self._generation = generation
        return index

    def _current_index(self) -> VectorIndex:
        """The index, reloaded when another process (`switchboard kb ingest`) committed."""
        generation = int(self._catalogue.meta("generation", "0"))
        if generation != self._generation:
            self._index = self._load_index()
        return self._index

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
        self._index = index
        self._generation = generation
        old_path.unlink(missing_ok=True)

    # -- documents ----------------------------------------------------------------

    def list_documents(self) -> list[DocumentInfo]:
        return self._catalogue.documents()

    def texts(self) -> list[str]:
        """The text of every chunk with its title and section: the words customers will
        use about this help centre (the spelling corrector's domain vocabulary)."""
        return self._catalogue.chunk_texts()

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
        skipped = [str(p) for p in unsupported]
        for path in unsupported:
            reason = "no such file or folder" if not path.exists() else "unsupported file type"
            log.warning("skipping %s: %s", path, reason)
        known = self._catalogue.hashes()
        pending: list[NewDocument] = []
        unchanged = 0
        report = progress or (lambda _: None)
        for done, path in enumerate(files, start=1):
            report(IngestProgress(done - 1, len(files), 0, 0, str(path)))
            try:
                raw = path.read_bytes()
            except OSError as exc:
                log.warning("skipping %s: cannot read it (%s)", path, exc.strerror or exc)
                skipped.append(str(path))
                continue
            digest = hashlib.sha256(raw).hexdigest()
            document_id = document_id_for(path)
            if known.get(document_id) == digest:
                unchanged += 1
                continue
            try:
                document = parse_document(path, raw)
            except UnreadableFile as exc:
                log.warning("skipping %s", exc)
                skipped.append(str(path))
                continue
            chunks = chunk_document(document)
            pending.append(NewDocument(document_id, str(path), document.title, digest, chunks))
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
        """Encode every view of every chunk, in batches; nothing is stored yet."""
        views = [view for d in documents for chunk in d.chunks for view in chunk.views]
        chunk_total = sum(len(d.chunks) for d in documents)
        vectors = []
        for start in range(0, len(views), ENCODE_BATCH):
            vectors.append(self._encoder.encode(views[start : start + ENCODE_BATCH]))
            done = min(start + ENCODE_BATCH, len(views))
            report(
                IngestProgress(files, files, round(chunk_total * done / len(views)), chunk_total)
            )
        flat = np.vstack(vectors) if vectors else np.zeros((0, self._encoder.dimension))
        row = 0
        for document in documents:
            for chunk in document.chunks:
                document.embeddings.append(flat[row : row + len(chunk.views)])
                row += len(chunk.views)
        return chunk_total

    # -- search -------------------------------------------------------------------

    @staticmethod
    def _prepare(query: str) -> str:
        text = (query or "").strip()
        if not text:
            raise EmptyQuery("the query is empty")
        return text[:MAX_QUERY_CHARS]

    def search(self, query: str, k: int = 5) -> list[Passage]:
        text = self._prepare(query)
        vector = self._encoder.encode([text])[0]
        return self.search_vector(text, vector, k)

    async def search_async(self, query: str, k: int = 5) -> list[Passage]:
        """Like `search`, with micro-batched encoding and FAISS in a worker thread."""
        text = self._prepare(query)
        vector = await self._encoder.encode_async(text)
        return await asyncio.to_thread(self.search_vector, text, vector, k)

    def search_lexical(self, query: str, k: int = 5) -> list[Passage]:
        """BM25 (FTS5) alone, for comparison; `score` is the bm25 score, higher is better."""
        hits = self._catalogue.lexical(self._prepare(query), max(1, k))
        return self._catalogue.passages([(chunk, score, 0.0) for chunk, score in hits])

    def search_vector(self, text: str, vector: np.ndarray, k: int) -> list[Passage]:
        k = max(1, k)
        n = max(k, 10) * VIEWS * 2
        dense = best_per_chunk(self._current_index().search(vector, n), VIEWS)
        lexical: dict[int, float] = {}
        if self._lexical_weight > 0:
            lexical = dict(self._catalogue.lexical(text, n))
            missing = [chunk for chunk in lexical if chunk not in dense]
            query = np.asarray(vector, dtype=np.float32)
            for chunk, views in self._catalogue.chunk_vectors(missing).items():
                dense[chunk] = float((views @ query).max())
            lexical = {chunk: score for chunk, score in lexical.items() if chunk in dense}
        return self._catalogue.passages(fuse(dense, lexical, self._lexical_weight, k))
