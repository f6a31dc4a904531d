"""Dense index at scale: exact (IndexFlatIP) against HNSW, on one core.

Random unit vectors (384 dimensions, like all-MiniLM-L6-v2) stand in for chunks. For each
size: build time, memory (resident set growth), query latency p50/p99 one query at a time,
and HNSW recall@10 against exact search (the reference, measured in the same run).

    python bench/kb_scale.py 10000 100000 [1000000]
    python bench/kb_scale.py --clustered 100000

Independent random unit vectors in 384 dimensions are the worst case for HNSW (every
point is nearly equidistant from every other). Sentence embeddings are not like that:
they lie near a low-dimensional structure. `--clustered` draws vectors from a
32-dimensional subspace plus noise, closer to real embeddings.
"""

from __future__ import annotations

import sys
import time

import faiss
import numpy as np

from knowledge.index import HNSW_EF_CONSTRUCTION, HNSW_M

DIM = 384
QUERIES = 500
EF_SEARCH = (64, 128, 256)
BUILD_THREADS = 2


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


CLUSTERED = False
LATENT = 32


def unit(rows: int, rng: np.random.Generator) -> np.ndarray:
    if CLUSTERED:
        basis = np.random.default_rng(0).standard_normal((LATENT, DIM), dtype=np.float32)
        latent = rng.standard_normal((rows, LATENT), dtype=np.float32)
        noise = rng.standard_normal((rows, DIM), dtype=np.float32)
        x = latent @ basis + 1.0 * noise
    else:
        x = rng.standard_normal((rows, DIM), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def latencies(index: faiss.Index, queries: np.ndarray) -> tuple[float, float, np.ndarray]:
    found, took = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), 10)
        took.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return float(np.percentile(took, 50)), float(np.percentile(took, 99)), np.array(found)


def run(n: int) -> None:
    rng = np.random.default_rng(n)
    data, queries = unit(n, rng), unit(QUERIES, rng)
    ids = np.arange(n, dtype=np.int64)

    before = rss_mb()
    started = time.perf_counter()
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    exact.add_with_ids(data, ids)
    build_exact = time.perf_counter() - started
    mem_exact = rss_mb() - before
    p50, p99, truth = latencies(exact, queries)
    print(
        f"n={n:>9,}  exact  build {build_exact:7.2f} s  mem +{mem_exact:7.1f} MB"
        f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  recall@10 1.000 (reference)"
    )
    del exact

    before = rss_mb()
    started = time.perf_counter()
    inner = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw = faiss.IndexIDMap2(inner)
    faiss.omp_set_num_threads(BUILD_THREADS)  # building may use both cores; queries use one
    hnsw.add_with_ids(data, ids)
    faiss.omp_set_num_threads(1)
    build_hnsw = time.perf_counter() - started
    mem_hnsw = rss_mb() - before
    for ef in EF_SEARCH:
        inner.hnsw.efSearch = ef
        p50h, p99h, found = latencies(hnsw, queries)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
        print(
            f"n={n:>9,}  hnsw   build {build_hnsw:7.2f} s  mem +{mem_hnsw:7.1f} MB"
            f"  p50 {p50h:6.2f} ms  p99 {p99h:6.2f} ms  recall@10 {recall:.3f}"
            f"  (M={HNSW_M} efSearch={ef}; p99 {p99h / p99:.2f}x exact)"
        )


def main() -> None:
    faiss.omp_set_num_threads(1)
    global CLUSTERED
    CLUSTERED = "--clustered" in sys.argv
    print("vectors:", "clustered (32-d latent + noise)" if CLUSTERED else "independent random")
    sizes = [int(arg) for arg in sys.argv[1:] if arg.isdigit()] or [10_000, 100_000]
    for n in sizes:
        run(n)


if __name__ == "__main__":
    main()
