"""The demo help centre of the fictional store Acme Outfitters (demo/help_centre/)."""

from __future__ import annotations

from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.records import IngestSummary

__all__ = ["DEMO_DIR", "demo_document_ids", "ensure_demo_knowledge"]

DEMO_DIR = Path(__file__).parent / "help_centre"


def ensure_demo_knowledge(kb: KnowledgeBase) -> IngestSummary | None:
    """Ingest the demo help centre when the knowledge base is empty; None otherwise."""
    if not kb.is_empty():
        return None
    return kb.ingest([DEMO_DIR])


def demo_document_ids(kb: KnowledgeBase) -> list[str]:
    """The documents ingested from the demo help centre: a document records the path of
    its file, so those under DEMO_DIR (however the path was written) are the demo's."""
    demo_dir = DEMO_DIR.resolve()
    return [
        document.document_id
        for document in kb.list_documents()
        if Path(document.path).resolve().is_relative_to(demo_dir)
    ]
