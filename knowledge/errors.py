"""The knowledge layer's exceptions: one small tree under `KnowledgeError`."""

from __future__ import annotations

__all__ = ["DocumentNotFound", "EmptyQuery", "IndexUnavailable", "KnowledgeError"]


class KnowledgeError(Exception):
    """Base of everything the knowledge layer raises on purpose."""


class EmptyQuery(KnowledgeError, ValueError):
    """A search or question with no text in it (the API turns it into 422)."""


class DocumentNotFound(KnowledgeError, KeyError):
    """No document with that id in the catalogue (the API turns it into 404)."""

    def __str__(self) -> str:
        return f"no document {self.args[0]!r}" if self.args else "no such document"


class IndexUnavailable(KnowledgeError):
    """The index directory cannot be opened or written."""
