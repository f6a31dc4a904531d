"""Dense index at scale: exact (IndexFlatIP) against HNSW, on one core.

Random unit vectors (384 dimensions, like all-MiniLM-L6-v2) stand in for chunks. For each
size: build time, memory (resident set growth), query latency p50/p99 one query at a time,
and HNSW recall@10 against exact search (the reference, measured in the same run).
Then what a server keeps in memory of one version beside its index
(`knowledge.loaded_version`), with the vectors as N/5 chunks of five views in a real
catalogue: its memory with every kept chunk row filled, and the read of 64 chunks' views
and rows from it against the same reads from the catalogue (the reference: one
primary-key range per chunk, one IN query for the rows, as search read them before).

    python bench/kb_scale.py 10000 100000 [1000000]
    python bench/kb_scale.py --clustered 100000

Independent random unit vectors in 384 dimensions are the worst case for HNSW (every
point is nearly equidistant from every other). Sentence embeddings are not like that:
they lie near a low-dimensional structure. `--clustered` draws vectors from a
32-dimensional subspace plus noise, closer to real embeddings.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import faiss
import numpy as np

from knowledge.catalogue import MAX_VIEWS, Catalogue, NewDocument
from knowledge.index import HNSW_EF_CONSTRUCTION, HNSW_M, VectorIndex
from knowledge.loaded_version import ROWS_HELD, LoadedVersion
from knowledge.records import Chunk

DIM = 384
VIEWS = 5  # views per chunk, as chunking makes at most
WORDS = 150  # chunking.MAX_WORDS: a full chunk's text
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


def _catalogue_of(directory: Path, data: np.ndarray) -> Catalogue:
    """`data` as chunks of VIEWS views, 100 chunks a document, full-length texts."""
    catalogue = Catalogue(directory / "catalogue.sqlite3")
    words = " ".join(f"word{n}" for n in range(WORDS))
    chunks = len(data) // VIEWS
    with catalogue.transaction() as db:
        for start in range(0, chunks, 100):
            document = NewDocument(f"doc{start}", f"/help/{start}.md", "Title", "x", [])
            for chunk in range(start, min(start + 100, chunks)):
                document.chunks.append(
                    Chunk("Title", f"Section {chunk}", words, f"/help/{start}.md",
                          view_kinds=("text",) * VIEWS)
                )  # fmt: skip
                document.embeddings.append(data[chunk * VIEWS : (chunk + 1) * VIEWS])
            catalogue.insert_document(db, document)
    return catalogue


def _timed(read: object, samples: int = 50) -> float:
    took = []
    for _ in range(samples):
        started = time.perf_counter()
        read()  # type: ignore[operator]
        took.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(took, 50))


def loaded_version(data: np.ndarray) -> None:
    """Memory and reads of `LoadedVersion` beside the exact index (module docstring)."""
    with tempfile.TemporaryDirectory() as directory:
        catalogue = _catalogue_of(Path(directory), data)
        ids, vectors = catalogue.all_vectors()
        index = VectorIndex.build(ids, vectors, DIM, hnsw_min_vectors=len(ids) + 1)
        del vectors
        chunks = sorted({int(i) // MAX_VIEWS for i in ids})
        tracemalloc.start()  # the resident set hardly moves: freed pages are reused
        version = LoadedVersion(1, index, set(), catalogue)
        version.chunk_facts(chunks[:ROWS_HELD])
        memory = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
        some = chunks[:: max(1, len(chunks) // 64)][:64]
        kept = _timed(lambda: (version.chunk_vectors(some), version.chunk_facts(some)))
        sql = "SELECT id, embedding FROM vectors WHERE id >= ? AND id < ?"

        def from_catalogue() -> None:
            for chunk in some:
                catalogue._db.execute(sql, (chunk * MAX_VIEWS, (chunk + 1) * MAX_VIEWS)).fetchall()
            catalogue.chunk_rows(some)

        reference = _timed(from_catalogue)
        print(
            f"n={len(ids):>9,}  loaded version beside the index: +{memory:6.1f} MB"
            f" ({min(ROWS_HELD, len(chunks))} of {len(chunks):,} chunk rows kept);"
            f" 64 chunks' views and rows p50 {kept:6.3f} ms"
            f" (reference, from the catalogue: {reference:6.3f} ms)"
        )
        catalogue.close()


def main() -> None:
    faiss.omp_set_num_threads(1)
    global CLUSTERED
    CLUSTERED = "--clustered" in sys.argv
    print("vectors:", "clustered (32-d latent + noise)" if CLUSTERED else "independent random")
    sizes = [int(arg) for arg in sys.argv[1:] if arg.isdigit()] or [10_000, 100_000]
    for n in sizes:
        run(n)
    for n in sizes:
        rng = np.random.default_rng(n)
        loaded_version(unit(n - n % VIEWS, rng))


if __name__ == "__main__":
    main()
