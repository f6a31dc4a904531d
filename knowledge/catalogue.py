"""The catalogue: documents, chunks, their embeddings and the FTS5 lexical index, in one
SQLite file inside the index directory.

Every change is one transaction, so a crash leaves the previous catalogue. Embeddings
are kept here too (1.5 KB per vector), so the FAISS index can always be rebuilt from the
catalogue without the model. A chunk has up to `MAX_VIEWS` vectors (its views, see
`knowledge.chunking`); the vector id is `chunk_id * MAX_VIEWS + view`, so a FAISS hit
names its chunk without a lookup, and each vector row says which kind of view it is.

Format 2 (issue 14) added views, articles, FAQ questions and languages. A catalogue
written before (format 1: two vector ids per chunk, no languages) is upgraded when it is
opened, in one transaction: its vectors are renumbered and its documents marked stale
(`content_hash` prefixed `stale:`), so `KnowledgeBase` re-embeds every one whose file
is still there with the new views; documents whose files are gone keep their old
vectors (still searchable, as English, without the new views) and are named in a
warning.
"""

from __future__ import annotations

import queue
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.records import DEFAULT_LANGUAGE, Chunk, DocumentInfo, article_key

__all__ = ["FORMAT", "MAX_VIEWS", "STALE", "Catalogue", "ChunkFacts", "NewDocument"]

FORMAT = 2
MAX_VIEWS = 8  # vector ids per chunk; chunking makes at most 5 views
STALE = "stale:"
_FORMAT_1_VIEWS = 2
# Connections kept for searches' reads, which then run side by side (WAL readers do not
# block each other, and SQLite runs outside the GIL): on one connection under one lock,
# a server's search threads queued behind each other's full-text query.
READERS = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL,
    content_hash TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'en'
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL,
    article TEXT NOT NULL DEFAULT '', question TEXT, language TEXT NOT NULL DEFAULT 'en'
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY, embedding BLOB NOT NULL, kind TEXT NOT NULL DEFAULT 'text'
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_text USING fts5(
    title, section, text, tokenize='porter unicode61'
);
"""
_FORMAT_2_INDEXES = """
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article);
CREATE INDEX IF NOT EXISTS chunks_language ON chunks(language);
"""


@dataclass(frozen=True, slots=True)
class ChunkFacts:
    """What search needs to know about a candidate chunk before it builds passages."""

    article: str
    question: str | None
    language: str
    text: str


class NewDocument:
    """A document ready to store: its chunks and one embedding row per chunk view."""

    def __init__(
        self,
        document_id: str,
        path: str,
        title: str,
        content_hash: str,
        chunks: list[Chunk],
        language: str = DEFAULT_LANGUAGE,
        asked: tuple[str, ...] = (),
    ) -> None:
        self.document_id = document_id
        self.path = path
        self.title = title
        self.content_hash = content_hash
        self.chunks = chunks
        self.language = language
        self.asked = asked  # how customers ask for it: views added at ingest
        self.embeddings: list[np.ndarray] = []  # per chunk: (views, dim)


def _vector_range(chunk_id: int) -> tuple[int, int]:
    return chunk_id * MAX_VIEWS, (chunk_id + 1) * MAX_VIEWS


class Catalogue:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            existed = self._table_exists("chunks")
            self._db.executescript(_SCHEMA)
            if not existed:
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (str(FORMAT),))
            elif int(self.meta("format", "1")) < FORMAT:
                self._upgrade_from_format_1()
            self._db.executescript(_FORMAT_2_INDEXES)
        self._path = path
        self._idle_readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def _table_exists(self, name: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def _upgrade_from_format_1(self) -> None:
        """Format 1 -> 2 in one transaction (see the module's docstring)."""
        with self.transaction() as db:
            if int(self.meta("format", "1")) >= FORMAT:  # another process did it
                return
            columns = {row[1] for row in db.execute("PRAGMA table_info(documents)")}
            if "language" not in columns:
                db.execute("ALTER TABLE documents ADD COLUMN language TEXT NOT NULL DEFAULT 'en'")
            columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
            for name, kind in (
                ("article", "TEXT NOT NULL DEFAULT ''"),
                ("question", "TEXT"),
                ("language", "TEXT NOT NULL DEFAULT 'en'"),
            ):
                if name not in columns:
                    db.execute(f"ALTER TABLE chunks ADD COLUMN {name} {kind}")
            for chunk_id, source in db.execute("SELECT id, source FROM chunks").fetchall():
                db.execute(
                    "UPDATE chunks SET article = ? WHERE id = ?", (article_key(source), chunk_id)
                )
            db.execute("ALTER TABLE vectors RENAME TO vectors_format_1")
            db.execute(
                "CREATE TABLE vectors (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL,"
                " kind TEXT NOT NULL DEFAULT 'text')"
            )
            db.execute(
                "INSERT INTO vectors (id, embedding, kind) SELECT"
                f" (id / {_FORMAT_1_VIEWS}) * {MAX_VIEWS} + id % {_FORMAT_1_VIEWS}, embedding,"
                " 'format-1' FROM vectors_format_1"
            )
            db.execute("DROP TABLE vectors_format_1")
            db.execute("UPDATE documents SET content_hash = ? || content_hash", (STALE,))
            generation = int(self.meta("generation", "0")) + 1  # the ids changed: rebuild
            self.set_meta(db, "generation", str(generation))
            self.set_meta(db, "format", str(FORMAT))

    def close(self) -> None:
        with self._lock:
            self._db.close()
        with self._readers_lock:
            for reader in self._readers:
                reader.close()

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """One of up to `READERS` connections for a search's read, this thread's alone
        until the read is done."""
        try:
            reader = self._idle_readers.get_nowait()
        except queue.Empty:
            with self._readers_lock:
                opened = len(self._readers) < READERS
                if opened:
                    reader = sqlite3.connect(
                        self._path, isolation_level=None, check_same_thread=False
                    )
                    self._readers.append(reader)
            if not opened:
                reader = self._idle_readers.get()
        try:
            yield reader
        finally:
            self._idle_readers.put(reader)

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

    def committed_generation(self) -> int:
        """The number of the committed version (its index file's generation)."""
        with self._reader() as reader:  # fetchall: no statement left open on it
            rows = reader.execute("SELECT value FROM meta WHERE key = 'generation'").fetchall()
        return int(rows[0][0]) if rows else 0

    def hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT id, content_hash FROM documents"))

    def documents(self) -> list[DocumentInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, path, title, chunk_count, content_hash, ingested_at, language"
                " FROM documents ORDER BY path"
            ).fetchall()
        return [DocumentInfo(*row) for row in rows]

    def article_paths(self) -> dict[str, tuple[str, str]]:
        """Each article (URL without fragment) of a document that is no FAQ, with the
        id and path of the document that gives it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT c.article, d.id, d.path FROM chunks c"
                " JOIN documents d ON d.id = c.document_id WHERE c.question IS NULL"
            ).fetchall()
        return {article: (document_id, path) for article, document_id, path in rows}

    def chunk_texts(self, language: str | None = None) -> list[str]:
        """Every chunk's title, section and text (the knowledge base's vocabulary), in
        `language` only when given."""
        return [words for _, words in self.article_texts(language)]

    def article_texts(self, language: str | None = None) -> list[tuple[str, str]]:
        """(article, title section and text) of every chunk, in `language` only when
        given."""
        query = "SELECT article, title, section, text FROM chunks"
        where = " WHERE language = ?" if language else ""
        with self._lock:
            rows = self._db.execute(f"{query}{where} ORDER BY id", (language,) if language else ())
            return [(article, " ".join(words)) for article, *words in rows.fetchall()]

    def stored_dimension(self) -> int | None:
        """The length of the stored vectors (the model's dimension when they were
        embedded), read from one of them; None when none is stored."""
        with self._lock:
            row = self._db.execute("SELECT embedding FROM vectors LIMIT 1").fetchone()
        return None if row is None else len(row[0]) // np.dtype(np.float32).itemsize

    def stale_documents(self) -> list[tuple[str, str]]:
        """(id, path) of documents stored under an older format, to embed again."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, path FROM documents WHERE content_hash LIKE ? ORDER BY path",
                (STALE + "%",),
            ).fetchall()
        return [(str(i), str(p)) for i, p in rows]

    def languages(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT DISTINCT language FROM chunks")}

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

    def vector_ids_of_kind(self, kind: str, db: sqlite3.Connection | None = None) -> set[int]:
        with self._lock:
            rows = (db or self._db).execute("SELECT id FROM vectors WHERE kind = ?", (kind,))
            return {int(row[0]) for row in rows}

    def chunk_articles(self) -> dict[int, str]:
        """Every chunk's article (`knowledge.article_classifier` labels views with it)."""
        with self._lock:
            return {int(c): a for c, a in self._db.execute("SELECT id, article FROM chunks")}

    def chunk_rows(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """(document_id, title, section, source, text, article, question, language) of
        these chunks, the ones that exist (`knowledge.loaded_version` keeps them)."""
        found: dict[int, tuple[str, ...]] = {}
        ids = list(dict.fromkeys(chunk_ids))
        for start in range(0, len(ids), 900):
            part = ids[start : start + 900]
            marks = ",".join("?" * len(part))
            with self._reader() as reader:
                rows = reader.execute(
                    "SELECT id, document_id, title, section, source, text, article, question,"
                    f" language FROM chunks WHERE id IN ({marks})",
                    part,
                ).fetchall()
            for chunk_id, *values in rows:
                found[int(chunk_id)] = tuple(values)
        return found

    def article_chunks(self, articles: Sequence[str], language: str | None) -> dict[str, list[int]]:
        """Every chunk of these articles (in `language` when given), per article."""
        if not articles:
            return {}
        marks = ",".join("?" * len(articles))
        sql = f"SELECT article, id FROM chunks WHERE article IN ({marks})"
        params = list(articles)
        if language is not None:
            sql += " AND language = ?"
            params.append(language)
        found: dict[str, list[int]] = {article: [] for article in articles}
        with self._lock:
            for article, chunk_id in self._db.execute(sql + " ORDER BY id", params):
                found[article].append(int(chunk_id))
        return found

    def lexical(
        self, query: str, limit: int, language: str | None = None
    ) -> list[tuple[int, float]]:
        """FTS5 bm25 matches of any query word, best first, as (chunk_id, positive score)."""
        words = re.findall(r"\w+", query.lower())[:64]
        if not words:
            return []
        match = " OR ".join(f'"{word}"' for word in dict.fromkeys(words))
        rank = "bm25(chunk_text, 1.0, 3.0, 1.0)"
        if language is None:
            sql = f"SELECT rowid, {rank} FROM chunk_text WHERE chunk_text MATCH ?"
            params: list[object] = [match]
        else:
            sql = (
                f"SELECT chunk_text.rowid, {rank} FROM chunk_text"
                " JOIN chunks ON chunks.id = chunk_text.rowid"
                " WHERE chunk_text MATCH ? AND chunks.language = ?"
            )
            params = [match, language]
        with self._reader() as reader:
            rows = reader.execute(f"{sql} ORDER BY {rank} LIMIT ?", [*params, limit]).fetchall()
        return [(int(rowid), -float(score)) for rowid, score in rows]

    # -- writes, inside `transaction()` --------------------------------------------

    def delete_document(self, db: sqlite3.Connection, document_id: str) -> bool:
        chunk_ids = [
            row[0]
            for row in db.execute("SELECT id FROM chunks WHERE document_id = ?", (document_id,))
        ]
        for chunk in chunk_ids:
            db.execute("DELETE FROM chunk_text WHERE rowid = ?", (chunk,))
            db.execute("DELETE FROM vectors WHERE id >= ? AND id < ?", _vector_range(chunk))
        db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
        return db.execute("DELETE FROM documents WHERE id = ?", (document_id,)).rowcount > 0

    def insert_document(self, db: sqlite3.Connection, document: NewDocument) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        db.execute(
            "INSERT INTO documents"
            " (id, path, title, content_hash, chunk_count, ingested_at, language)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                document.document_id,
                document.path,
                document.title,
                document.content_hash,
                len(document.chunks),
                now,
                document.language,
            ),
        )
        for position, (chunk, views) in enumerate(
            zip(document.chunks, document.embeddings, strict=True)
        ):
            cursor = db.execute(
                "INSERT INTO chunks (document_id, position, title, section, source, text,"
                " article, question, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document.document_id,
                    position,
                    chunk.title,
                    chunk.section,
                    chunk.source,
                    chunk.text,
                    chunk.article or article_key(chunk.source),
                    chunk.question,
                    chunk.language,
                ),
            )
            chunk_id = int(cursor.lastrowid or 0)
            db.execute(
                "INSERT INTO chunk_text (rowid, title, section, text) VALUES (?, ?, ?, ?)",
                (chunk_id, chunk.title, chunk.section, chunk.text),
            )
            kinds = chunk.view_kinds or ("text",) * len(views)
            if len(views) > MAX_VIEWS:
                raise ValueError(f"a chunk has {len(views)} views; at most {MAX_VIEWS} fit")
            for view, (kind, vector) in enumerate(zip(kinds, views, strict=True)):
                db.execute(
                    "INSERT INTO vectors (id, embedding, kind) VALUES (?, ?, ?)",
                    (
                        chunk_id * MAX_VIEWS + view,
                        np.asarray(vector, dtype=np.float32).tobytes(),
                        kind,
                    ),
                )

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
