"""A knowledge index as the version before issue 14 wrote it (catalogue format 1: two
vector ids per chunk, no languages, no views of headings), to test that today's code
upgrades it. The schema and the row layout are the ones that version created."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.encoders import RecordingEncoder

FORMAT_1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL,
    content_hash TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX chunks_document ON chunks(document_id);
CREATE TABLE vectors (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL);
CREATE VIRTUAL TABLE chunk_text USING fts5(title, section, text, tokenize='porter unicode61');
"""


@dataclass(frozen=True)
class OldChunk:
    """One chunk as format 1 stored it: `question` set for FAQ entries (two views)."""

    title: str
    section: str
    text: str
    question: str | None = None


def write_format_1_index(
    index_dir: Path, document_id: str, path: Path, chunks: list[OldChunk]
) -> None:
    """A format-1 catalogue holding one document, embedded with the hashing encoder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    encoder = RecordingEncoder()
    db = sqlite3.connect(index_dir / "catalogue.sqlite3")
    db.executescript(FORMAT_1_SCHEMA)
    db.execute("INSERT INTO meta VALUES ('generation', '1')")
    db.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
        (document_id, str(path), chunks[0].title, "0" * 64, len(chunks), "2026-01-01T00:00:00"),
    )
    for position, chunk in enumerate(chunks):
        cursor = db.execute(
            "INSERT INTO chunks (document_id, position, title, section, source, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (document_id, position, chunk.title, chunk.section, str(path), chunk.text),
        )
        chunk_id = int(cursor.lastrowid or 0)
        db.execute(
            "INSERT INTO chunk_text (rowid, title, section, text) VALUES (?, ?, ?, ?)",
            (chunk_id, chunk.title, chunk.section, chunk.text),
        )
        text = f"{chunk.title} — {chunk.section}: {chunk.text}"
        views = [chunk.question, text] if chunk.question else [text]
        for view, vector in enumerate(encoder.encode(views)):
            db.execute(
                "INSERT INTO vectors VALUES (?, ?)",
                (chunk_id * 2 + view, np.asarray(vector, dtype=np.float32).tobytes()),
            )
    db.commit()
    db.close()
