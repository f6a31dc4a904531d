"""The shared encoder's micro-batching: together in one batch, failures kept apart, on
both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from knowledge.embeddings import SentenceEncoder


def _counting(
    encode: Callable[[list[str]], np.ndarray], calls: list[int]
) -> Callable[..., np.ndarray]:
    """`encode`, noting each batch's size in `calls`."""

    def counting(batch: list[str], **kwargs: object) -> np.ndarray:
        calls.append(len(batch))
        return encode(batch)

    return counting


async def test_concurrent_requests_share_batches_and_match_one_at_a_time(
    any_encoder: SentenceEncoder,
) -> None:
    encoder = any_encoder
    texts = [f"where is my parcel number {n}?" for n in range(12)]
    calls: list[int] = []
    original = encoder.encode
    encoder.encode = _counting(original, calls)  # type: ignore[method-assign]
    try:
        vectors = await asyncio.gather(*(encoder.encode_async(t) for t in texts))
    finally:
        del encoder.encode
    assert sum(calls) == len(texts) and len(calls) < len(texts)  # some were batched
    alone = original(texts)
    assert np.allclose(np.stack(vectors), alone, atol=1e-5)


async def test_one_bad_text_does_not_fail_the_others_in_its_batch(
    any_encoder: SentenceEncoder,
) -> None:
    encoder = any_encoder
    good, bad = encoder.encode_async("how long do refunds take?"), encoder.encode_async("\ud800")
    results = await asyncio.gather(good, bad, return_exceptions=True)
    assert isinstance(results[0], np.ndarray) and results[0].shape == (encoder.dimension,)
    assert isinstance(results[1], Exception)


def test_encode_returns_unit_vectors(any_encoder: SentenceEncoder) -> None:
    encoder = any_encoder
    vectors = encoder.encode(["hello", "refunds"])
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dimension)


async def test_a_text_encoded_a_moment_ago_is_not_encoded_again(
    any_encoder: SentenceEncoder,
) -> None:
    """The NLU and the knowledge-base search read the same message: one encoding."""
    encoder = any_encoder
    text = "can I change my delivery address?"
    calls: list[int] = []
    original = encoder.encode
    encoder.encode = _counting(original, calls)  # type: ignore[method-assign]
    try:
        first = await encoder.encode_async(text)
        second = await encoder.encode_async(text)
    finally:
        del encoder.encode
    assert calls == [1]
    assert np.array_equal(first, second)
    assert np.allclose(first, original([text])[0], atol=1e-5)
    assert not second.flags.writeable  # shared by its readers, so nobody may change it
