"""Sentence encoder throughput on several backends in one run: one at a time (with p50/p99
and the process CPU per sentence), batches of 32 (with the CPU per sentence),
`encode_async` under 32 concurrent requests (the micro-batcher) and `encode_async` from
one client alone (what the batching costs a lone request).

References in the same run: the first backend named for the others (by default the
PyTorch backend for the ONNX Runtime one; `--backend onnx onnx-int8` compares the int8
model with the float one), and each backend's batch-of-32 figure for its micro-batcher
(goal: >= 75% of it).

    .venv/bin/python bench/encoder_throughput.py [--backend onnx|onnx-int8|torch|both ...]
        [--threads N]

`--threads`: ONNX Runtime's threads for one encoding (default: up to 4, as many as the
cores; the server uses 1, its `encoder.threads` setting).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np

from knowledge.embeddings import SentenceEncoder

SENTENCES = [
    f"How long does a refund take for order number {n} if I paid by card?" for n in range(256)
]
ALONE = 200
CONCURRENCY = 32
ROUNDS = 3


async def one_client(encoder: SentenceEncoder) -> list[float]:
    """`encode_async` latencies with no other request in flight, in ms."""
    latencies = []
    for sentence in SENTENCES[:ALONE]:
        started = time.perf_counter()
        await encoder.encode_async(sentence)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def concurrent(encoder: SentenceEncoder) -> float:
    queue = list(SENTENCES)

    async def client() -> None:
        while queue:
            await encoder.encode_async(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return len(SENTENCES) / (time.perf_counter() - started)


def measure(encoder: SentenceEncoder) -> dict[str, float]:
    encoder.encode(SENTENCES[:32])  # warm up
    for sentence in SENTENCES[:20]:
        encoder.encode([sentence])
    alone_ms = []
    cpu_started = time.process_time()
    for sentence in SENTENCES[:ALONE]:
        started = time.perf_counter()
        encoder.encode([sentence])
        alone_ms.append((time.perf_counter() - started) * 1000)
    alone_cpu = (time.process_time() - cpu_started) * 1000 / ALONE
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(SENTENCES), 32):
        encoder.encode(SENTENCES[start : start + 32], batch_size=32)
    batch = len(SENTENCES) / (time.perf_counter() - started)
    batch_cpu = (time.process_time() - cpu_started) * 1000 / len(SENTENCES)
    micro = asyncio.run(concurrent(encoder))
    lone = asyncio.run(one_client(encoder))
    return {
        "lone_p50": statistics.median(lone),
        "alone": 1000 / statistics.mean(alone_ms),
        "p50": statistics.median(alone_ms),
        "p99": float(np.percentile(alone_ms, 99)),
        "alone_cpu": alone_cpu,
        "batch": batch,
        "batch_cpu": batch_cpu,
        "micro": micro,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--backend",
        nargs="+",
        choices=["onnx", "onnx-int8", "torch", "both"],
        default=["both"],
        help="the backends, the first the reference; both: torch onnx",
    )
    parser.add_argument("--threads", type=int, help="ONNX Runtime threads for one encoding")
    args = parser.parse_args()
    named = [b for name in args.backend for b in (["torch", "onnx"] if name == "both" else [name])]
    backends = list(dict.fromkeys(named))
    # recent=0: the encoder's memory of its last 256 texts (knowledge/recent_vectors.py)
    # would answer `encode_async` for the sentences measured just before, without the
    # model, and the micro-batcher's figures would measure a dictionary.
    encoders = {
        backend: SentenceEncoder(backend=backend, threads=args.threads, recent=0)
        for backend in backends
    }
    # Rounds alternate between the backends, and each figure is the median over rounds,
    # so a burst of load from elsewhere on the machine hits them all alike.
    rounds: dict[str, list[dict[str, float]]] = {backend: [] for backend in backends}
    for _ in range(ROUNDS):
        for backend, encoder in encoders.items():
            rounds[backend].append(measure(encoder))
    for encoder in encoders.values():
        encoder.close()
    figures = {
        backend: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for backend, runs in rounds.items()
    }
    threads = args.threads or "up to 4"
    print(f"median of {ROUNDS} alternating rounds; ONNX Runtime threads: {threads}")

    print(f"{'backend':34}" + "".join(f"{b:>12}" for b in backends))
    rows = [
        ("one at a time, sentences/s", "alone", "{:12.1f}"),
        ("one at a time, p50 ms", "p50", "{:12.2f}"),
        ("one at a time, p99 ms", "p99", "{:12.2f}"),
        ("one at a time, CPU ms/sentence", "alone_cpu", "{:12.2f}"),
        ("batches of 32, sentences/s", "batch", "{:12.1f}"),
        ("batches of 32, CPU ms/sentence", "batch_cpu", "{:12.2f}"),
        (f"encode_async x{CONCURRENCY} clients, sent./s", "micro", "{:12.1f}"),
        ("encode_async, one client, p50 ms", "lone_p50", "{:12.2f}"),
    ]
    for label, key, fmt in rows:
        print(f"{label:34}" + "".join(fmt.format(figures[b][key]) for b in backends))
    for b in backends:
        share = figures[b]["micro"] / figures[b]["batch"]
        print(f"{b}: micro-batcher = {share:.0%} of its batch figure (goal >= 75%)")
    reference = figures[backends[0]]
    for b in backends[1:]:
        other = figures[b]
        print(
            f"{b} / {backends[0]}: one-at-a-time p50 {other['p50'] / reference['p50']:.2f}x"
            f" the time, CPU {other['alone_cpu'] / reference['alone_cpu']:.2f}x; batches"
            f" of 32: throughput {other['batch'] / reference['batch']:.2f}x,"
            f" CPU {other['batch_cpu'] / reference['batch_cpu']:.2f}x"
        )


if __name__ == "__main__":
    main()
