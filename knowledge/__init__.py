"""Knowledge base: ingestion, chunking, embeddings, FAISS + FTS5 index, cited answers."""

from knowledge.answers import ANSWER_THRESHOLD, FALLBACK_TEXT, KnowledgeAnswer, answer, answer_async
from knowledge.base import MAX_QUERY_CHARS, KnowledgeBase, TextEncoder
from knowledge.errors import DocumentNotFound, EmptyQuery, IndexUnavailable, KnowledgeError
from knowledge.faq import FAQ_QUESTION_THRESHOLD, answers_only_its_question
from knowledge.records import (
    DEFAULT_LANGUAGE,
    DocumentInfo,
    IngestProgress,
    IngestSummary,
    Passage,
    SkippedFile,
)

__all__ = [
    "ANSWER_THRESHOLD",
    "DEFAULT_LANGUAGE",
    "FALLBACK_TEXT",
    "FAQ_QUESTION_THRESHOLD",
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
    "SkippedFile",
    "TextEncoder",
    "answer",
    "answer_async",
    "answers_only_its_question",
]
