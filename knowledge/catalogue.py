"""The catalogue: documents, chunks, their embeddings and the FTS5 lexical index, in one
SQLite file inside the index directory.

Every change is one transaction, so a crash leaves the previous catalogue. Embeddings
are kept here too (1.5 KB per vector), so the FAISS index can always be rebuilt from the
catalogue without the model. A chunk has up to `VIEWS` vectors; the vector id is
`chunk_id * VIEWS + view`, so a FAISS hit names its chunk without a lookup.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.records import Chunk, DocumentInfo, Passage

__all__ = ["VIEWS", "Catalogue", "NewDocument"]

VIEWS = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL,
    content_hash TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_text USING fts5(
    title, section, text, tokenize='porter unicode61'
);
"""


class NewDocument:
    """A document ready to store: its chunks and one embedding row per chunk view."""

    def __init__(
        self, document_id: str, path: str, title: str, content_hash: str, chunks: list[Chunk]
    ) -> None:
        self.document_id = document_id
        self.path = path
        self.title = title
        self.content_hash = content_hash
        self.chunks = chunks
        self.embeddings: list[np.ndarray] = []  # per chunk: (views, dim)


class Catalogue:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def meta(self, key: str, default: str = "") -> str:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT id, content_hash FROM documents"))

    def documents(self) -> list[DocumentInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, path, title, chunk_count, content_hash, ingested_at"
                " FROM documents ORDER BY path"
            ).fetchall()
        return [DocumentInfo(*row) for row in rows]

    def chunk_texts(self) -> list[str]:
        """Every chunk's title, section and text (the knowledge base's vocabulary)."""
        with self._lock:
            rows = self._db.execute("SELECT title, section, text FROM chunks ORDER BY id")
            return [" ".join(row) for row in rows.fetchall()]

    def document_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def all_vectors(self, db: sqlite3.Connection | None = None) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            rows = (db or self._db).execute("SELECT id, embedding FROM vectors ORDER BY id")
            ids, blobs = [], []
            for vector_id, blob in rows:
                ids.append(vector_id)
                blobs.append(blob)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
        return np.asarray(ids, dtype=np.int64), vectors

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Every stored view of these chunks, as (views, dim) arrays."""
        if not chunk_ids:
            return {}
        ranges = " OR ".join("(id >= ? AND id < ?)" for _ in chunk_ids)
        params = [b for c in chunk_ids for b in (c * VIEWS, (c + 1) * VIEWS)]
        found: dict[int, list[np.ndarray]] = {}
        with self._lock:
            for vector_id, blob in self._db.execute(
                f"SELECT id, embedding FROM vectors WHERE {ranges}", params
            ):
                found.setdefault(vector_id // VIEWS, []).append(
                    np.frombuffer(blob, dtype=np.float32)
                )
        return {chunk: np.vstack(rows) for chunk, rows in found.items()}

    def passages(self, scored: Sequence[tuple[int, float, float]]) -> list[Passage]:
        """Passages for (chunk_id, score, similarity), in the given order."""
        if not scored:
            return []
        marks = ",".join("?" * len(scored))
        with self._lock:
            rows = {
                row[0]: row
                for row in self._db.execute(
                    "SELECT id, document_id, title, section, source, text"
                    f" FROM chunks WHERE id IN ({marks})",
                    [chunk for chunk, _, _ in scored],
                )
            }
        passages = []
        for chunk, score, similarity in scored:
            if chunk in rows:
                _, document_id, title, section, source, text = rows[chunk]
                passages.append(
                    Passage(document_id, chunk, title, section, source, score, text, similarity)
                )
        return passages

    def lexical(self, query: str, limit: int) -> list[tuple[int, float]]:
        """FTS5 bm25 matches of any query word, best first, as (chunk_id, positive score)."""
        words = re.findall(r"\w+", query.lower())[:64]
        if not words:
            return []
        match = " OR ".join(f'"{word}"' for word in dict.fromkeys(words))
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid, bm25(chunk_text, 1.0, 3.0, 1.0) FROM chunk_text"
                " WHERE chunk_text MATCH ? ORDER BY bm25(chunk_text, 1.0, 3.0, 1.0) LIMIT ?",
                (match, limit),
            ).fetchall()
        return [(int(rowid), -float(score)) for rowid, score in rows]

    # -- writes, inside `transaction()` --------------------------------------------

    def delete_document(self, db: sqlite3.Connection, document_id: str) -> bool:
        chunk_ids = [
            row[0]
            for row in db.execute("SELECT id FROM chunks WHERE document_id = ?", (document_id,))
        ]
        for chunk in chunk_ids:
            db.execute("DELETE FROM chunk_text WHERE rowid = ?", (chunk,))
            db.execute(
                "DELETE FROM vectors WHERE id >= ? AND id < ?", (chunk * VIEWS, (chunk + 1) * VIEWS)
            )
        db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
        return db.execute("DELETE FROM documents WHERE id = ?", (document_id,)).rowcount > 0

    def insert_document(self, db: sqlite3.Connection, document: NewDocument) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        db.execute(
            "INSERT INTO documents (id, path, title, content_hash, chunk_count, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                document.document_id,
                document.path,
                document.title,
                document.content_hash,
                len(document.chunks),
                now,
            ),
        )
        for position, (chunk, views) in enumerate(
            zip(document.chunks, document.embeddings, strict=True)
        ):
            cursor = db.execute(
                "INSERT INTO chunks (document_id, position, title, section, source, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    document.document_id,
                    position,
                    chunk.title,
                    chunk.section,
                    chunk.source,
                    chunk.text,
                ),
            )
            chunk_id = int(cursor.lastrowid or 0)
            db.execute(
                "INSERT INTO chunk_text (rowid, title, section, text) VALUES (?, ?, ?, ?)",
                (chunk_id, chunk.title, chunk.section, chunk.text),
            )
            for view, vector in enumerate(views[:VIEWS]):
                db.execute(
                    "INSERT INTO vectors (id, embedding) VALUES (?, ?)",
                    (chunk_id * VIEWS + view, np.asarray(vector, dtype=np.float32).tobytes()),
                )

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
