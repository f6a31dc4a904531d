"""The recent embeddings: the least recently used leaves first, texts are not kept."""

from __future__ import annotations

import numpy as np

from knowledge.recent_vectors import RecentVectors


def test_the_least_recently_used_text_leaves_first() -> None:
    recent = RecentVectors(size=2)
    recent.put("refunds", np.ones(3))
    recent.put("delivery", np.zeros(3))
    assert recent.get("refunds") is not None  # now the most recent
    recent.put("returns", np.full(3, 2.0))
    assert recent.get("delivery") is None
    assert np.array_equal(recent.get("refunds"), np.ones(3))
    assert np.array_equal(recent.get("returns"), np.full(3, 2.0))
    assert len(recent) == 2


def test_a_kept_vector_is_a_read_only_copy() -> None:
    given = np.ones(3, dtype=np.float32)
    kept = RecentVectors().put("refunds", given)
    given[0] = 5.0
    assert kept[0] == 1.0 and not kept.flags.writeable


def test_size_zero_keeps_nothing() -> None:
    recent = RecentVectors(size=0)
    recent.put("refunds", np.ones(3))
    assert recent.get("refunds") is None and len(recent) == 0
