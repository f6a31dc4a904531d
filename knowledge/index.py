"""The dense index: FAISS inner product over unit vectors (cosine similarity).

Small knowledge bases use exact search (IndexFlatIP in an IndexIDMap2). From
`HNSW_MIN_VECTORS` vectors on, HNSW (M=32, efSearch 128) takes over. bench/kb_scale.py,
one core, on a shared 2-core machine: exact search at 10k vectors p50 0.32 ms (p99 4.7 ms,
scheduler noise), at 100k p50 5.4 ms / p99 13.1 ms (random vectors) and 19 / 30 ms
(clustered vectors, a busier moment): over the 10 ms goal well before 100k, growing
linearly (~0.05 ms per 1k vectors at p50). HNSW at 100k clustered vectors: p50 0.56 ms,
p99 5.3 ms, recall@10 0.992 at efSearch 128 (build 58 s). So: exact below 50k vectors
(p50 ~2.7 ms, always right, rebuilt in milliseconds), HNSW above. On independent random
384-d vectors HNSW recall is poor (0.28 at 100k, efSearch 128) since nothing is near
anything; real embeddings behave like the clustered set.

Files are written under a temporary name and renamed into place, so a reader never sees
half an index.

A search runs on one OpenMP thread, whatever FAISS's default (the cores: 2 here). One
query was no faster on two (wall time in a loop, exact index of 632 and 20,000 random
vectors: 0.042 ms either way, 1.71 to 1.75 ms on two against 1.12 to 1.14 on one), and
on a busy machine the two-thread team cost its caller 0.8 to 3.0 ms of CPU a search of
the demo help centre against 0.08 ms on one thread, the time growing with the machine's
load (bench/README.md, session 35). OpenMP's thread count is set per calling thread
(`omp_set_num_threads` in one thread leaves the server's worker threads, where searches
run, at the default), so each search sets it for its own call and puts it back: an
ingest's index build on the same thread keeps its threads.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

__all__ = ["HNSW_EF_SEARCH", "HNSW_M", "HNSW_MIN_VECTORS", "VectorIndex"]

HNSW_MIN_VECTORS = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class VectorIndex:
    def __init__(self, index: faiss.Index, dimension: int) -> None:
        self._index = index
        self.dimension = dimension

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        vectors: np.ndarray,
        dimension: int,
        *,
        hnsw_min_vectors: int = HNSW_MIN_VECTORS,
    ) -> VectorIndex:
        if len(ids) >= hnsw_min_vectors:
            inner = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
        return cls(index, dimension)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = faiss.read_index(str(path))
        hnsw = _hnsw_of(index)
        if hnsw is not None:
            hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index, index.d)

    def save(self, path: Path) -> None:
        temporary = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(temporary))
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        return "hnsw" if _hnsw_of(self._index) is not None else "exact"

    def vector_ids(self) -> np.ndarray:
        """Every vector id in the index, sorted."""
        return np.sort(faiss.vector_to_array(self._index.id_map).astype(np.int64))

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these ids (each must be in the index), one row each:
        both kinds of index keep the vectors whole (flat storage)."""
        return self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """(vector id, inner product) of the `n` nearest vectors, best first."""
        if self.size == 0 or n <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # this thread only (module docstring)
        try:
            scores, ids = self._index.search(query, min(n, self.size))
        finally:
            faiss.omp_set_num_threads(threads)
        # `tolist` gives the same Python ints and floats as int() and float() of each
        # numpy scalar, without making the scalars (a few hundred hits a search).
        return [(i, s) for i, s in zip(ids[0].tolist(), scores[0].tolist(), strict=True) if i >= 0]


def _hnsw_of(index: faiss.Index) -> faiss.IndexHNSW | None:
    inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
    return inner if isinstance(inner, faiss.IndexHNSW) else None
