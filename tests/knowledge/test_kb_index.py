"""The FAISS index's search: one OpenMP thread for a query, the caller's setting kept."""

from __future__ import annotations

import threading

import faiss
import numpy as np

from knowledge.index import VectorIndex


def _index(count: int = 200, dimension: int = 16) -> tuple[VectorIndex, np.ndarray]:
    vectors = np.random.default_rng(7).standard_normal((count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(count, dtype=np.int64) * 5 + 3  # ids need not be row numbers
    return VectorIndex.build(ids, vectors, dimension), vectors


def test_search_arrays_are_the_pairs_of_search_best_first() -> None:
    index, vectors = _index()
    ids, scores = index.search_arrays(vectors[10], 40)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert list(zip(ids.tolist(), scores.tolist(), strict=True)) == index.search(vectors[10], 40)
    assert ids[0] == 10 * 5 + 3  # the vector itself, cosine 1
    assert np.all(np.diff(scores) <= 0)
    exact = vectors @ vectors[10]
    assert np.allclose(np.sort(exact)[::-1][:40], scores, atol=1e-6)


def test_a_search_leaves_the_callers_thread_setting_as_it_was() -> None:
    index, vectors = _index()
    seen: dict[str, object] = {}

    def in_a_thread() -> None:
        faiss.omp_set_num_threads(2)  # a thread that builds with two
        seen["hits"] = index.search(vectors[3], 5)
        seen["after"] = faiss.omp_get_max_threads()
        seen["vectors"] = index.vectors(np.array([3, 8], dtype=np.int64))

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert seen["after"] == 2
    assert seen["hits"] == index.search(vectors[3], 5)
    assert np.array_equal(seen["vectors"], vectors[[0, 1]])


def test_an_empty_index_finds_nothing() -> None:
    index = VectorIndex.build(np.zeros(0, dtype=np.int64), np.zeros((0, 8), np.float32), 8)
    ids, scores = index.search_arrays(np.ones(8, dtype=np.float32), 5)
    assert len(ids) == 0 and len(scores) == 0
    assert index.search(np.ones(8, dtype=np.float32), 5) == []
