"""Reading Block Kit back in tests."""

from __future__ import annotations

from typing import Any


def field_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for b in blocks for f in b.get("fields", [])]
