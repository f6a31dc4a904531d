"""The demo help centre of the fictional store Acme Outfitters (demo/help_centre/)."""

from __future__ import annotations

from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.records import IngestSummary

__all__ = ["DEMO_DIR", "ensure_demo_knowledge"]

DEMO_DIR = Path(__file__).parent / "help_centre"


def ensure_demo_knowledge(kb: KnowledgeBase) -> IngestSummary | None:
    """Ingest the demo help centre when the knowledge base is empty; None otherwise."""
    if not kb.is_empty():
        return None
    return kb.ingest([DEMO_DIR])
