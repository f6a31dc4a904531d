"""Plain values the knowledge layer hands out and takes in."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Chunk",
    "DocumentInfo",
    "IngestProgress",
    "IngestSummary",
    "Passage",
    "Section",
    "SourceDocument",
]


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the text under it. `url` overrides the document's (FAQ entries)."""

    heading: str
    text: str
    url: str | None = None
    # FAQ entries: the question alone is also embedded (paraphrases match it best).
    question: str | None = None


@dataclass(frozen=True, slots=True)
class SourceDocument:
    path: str
    title: str
    url: str | None
    sections: list[Section]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document sized for the encoder, with the titles that frame it."""

    title: str
    section: str
    text: str
    source: str
    views: tuple[str, ...] = field(default=())  # the texts embedded for this chunk

    @property
    def embed_text(self) -> str:
        section = f"{self.section}: " if self.section and self.section != self.title else ""
        return f"{self.title} — {section}{self.text}"


@dataclass(frozen=True, slots=True)
class Passage:
    """One search hit. `score` ranks results; `similarity` is the dense cosine (confidence)."""

    document_id: str
    chunk_id: int
    title: str
    section: str
    source: str
    score: float
    text: str
    similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    document_id: str
    path: str
    title: str
    chunks: int
    content_hash: str
    ingested_at: str


@dataclass(frozen=True, slots=True)
class IngestSummary:
    documents_added: int
    documents_updated: int
    documents_unchanged: int
    documents_removed: int
    chunks: int  # chunks embedded in this run
    seconds: float
    skipped: tuple[str, ...] = ()  # files that could not be read


@dataclass(frozen=True, slots=True)
class IngestProgress:
    files_done: int
    files_total: int
    chunks_done: int
    chunks_total: int
    current: str = ""
