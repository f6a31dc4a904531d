"""Opening the knowledge base for work on its stored vectors alone: removing documents.

Removing a document encodes nothing. The catalogue keeps every vector (that is how the
FAISS index is rebuilt without the model), so a removal deletes the rows and publishes
the next generation exactly as an ingest does (`KnowledgeBase._commit`: one SQLite
transaction moves the generation, the FAISS file of that generation is written before
it commits, the publish hooks tell the servers), with an index built from the stored
vectors at their own dimension. Loading the sentence model for that cost seconds and
hundreds of megabytes (`switchboard kb remove`).

It needs the model after all, and `open_stored` answers None, when the catalogue holds
documents of an older format (opening the base embeds them again with today's views)
or no vector at all (nothing tells the dimension of an empty index); the caller then
opens the base with the model, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.base import KnowledgeBase
from knowledge.catalogue import Catalogue
from knowledge.errors import KnowledgeError

__all__ = ["StoredVectorsOnly", "open_stored"]


class StoredVectorsOnly:
    """Stands where the encoder does, for work on stored vectors only: it knows their
    dimension and encodes nothing (a search on such a base is a mistake, said so)."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise KnowledgeError("this knowledge base was opened without the sentence model")

    async def encode_async(self, text: str) -> np.ndarray:
        raise KnowledgeError("this knowledge base was opened without the sentence model")


def open_stored(index_dir: Path) -> KnowledgeBase | None:
    """The base in `index_dir` opened without the sentence model, or None where it
    needs one (no catalogue yet, an older format to embed again, no stored vector)."""
    path = Path(index_dir) / "catalogue.sqlite3"
    if not path.is_file():
        return None
    catalogue = Catalogue(path)  # upgrades an older format, marking its documents stale
    try:
        if catalogue.stale_documents():
            return None
        dimension = catalogue.stored_dimension()
    finally:
        catalogue.close()
    if dimension is None:
        return None
    return KnowledgeBase.open(index_dir, StoredVectorsOnly(dimension))
