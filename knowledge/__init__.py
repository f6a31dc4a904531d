"""Knowledge base: ingestion, chunking, embeddings, FAISS + FTS5 index, cited answers."""

from knowledge.answers import ANSWER_THRESHOLD, FALLBACK_TEXT, KnowledgeAnswer, answer, answer_async
from knowledge.base import MAX_QUERY_CHARS, KnowledgeBase, TextEncoder
from knowledge.errors import DocumentNotFound, EmptyQuery, IndexUnavailable, KnowledgeError
from knowledge.records import DocumentInfo, IngestProgress, IngestSummary, Passage

__all__ = [
    "ANSWER_THRESHOLD",
    "FALLBACK_TEXT",
    "MAX_QUERY_CHARS",
    "DocumentInfo",
    "DocumentNotFound",
    "EmptyQuery",
    "IndexUnavailable",
    "IngestProgress",
    "IngestSummary",
    "KnowledgeAnswer",
    "KnowledgeBase",
    "KnowledgeError",
    "Passage",
    "TextEncoder",
    "answer",
    "answer_async",
]
