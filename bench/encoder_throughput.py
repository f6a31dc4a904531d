"""Sentence encoder throughput: one at a time, batches of 32 (the reference), and
`encode_async` under 32 concurrent requests (the micro-batcher), in one run.

Goal: the micro-batcher reaches >= 75% of the batch figure.
"""

from __future__ import annotations

import asyncio
import time

from knowledge.embeddings import SentenceEncoder

SENTENCES = [
    f"How long does a refund take for order number {n} if I paid by card?" for n in range(256)
]
ALONE = 64
CONCURRENCY = 32


def per_second(count: int, seconds: float) -> float:
    return count / seconds


async def concurrent(encoder: SentenceEncoder) -> float:
    queue = list(SENTENCES)

    async def client() -> None:
        while queue:
            await encoder.encode_async(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return per_second(len(SENTENCES), time.perf_counter() - started)


def main() -> None:
    encoder = SentenceEncoder()
    encoder.encode(SENTENCES[:32])  # warm up

    started = time.perf_counter()
    for sentence in SENTENCES[:ALONE]:
        encoder.encode([sentence])
    alone = per_second(ALONE, time.perf_counter() - started)

    started = time.perf_counter()
    for start in range(0, len(SENTENCES), 32):
        encoder.encode(SENTENCES[start : start + 32], batch_size=32)
    batch = per_second(len(SENTENCES), time.perf_counter() - started)

    micro = asyncio.run(concurrent(encoder))
    encoder.close()
    print(f"one at a time:            {alone:7.1f} sentences/s ({1000 / alone:.1f} ms each)")
    print(f"batches of 32 (reference):{batch:7.1f} sentences/s ({1000 / batch:.1f} ms each)")
    print(
        f"encode_async x{CONCURRENCY} clients:  {micro:7.1f} sentences/s"
        f" = {micro / batch:.0%} of batch (goal >= 75%)"
    )


if __name__ == "__main__":
    main()
