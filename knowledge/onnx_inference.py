"""The exported sentence model's run without sentence-transformers' per-call work.

Under cProfile, `SentenceTransformer.encode` of one sentence took 4.0 ms of its thread's
CPU on the 2-core development machine, of which ONNX Runtime's run was 2.1 ms: the rest
was the library's general machinery (input formats and modalities, the transformers
tokenizer's call, torch tensors for the pooling and normalising modules), run again for
every call. Without the profiler, one sentence cost 4.95 ms of process CPU that way and
4.19 ms this way (bench/README.md, "A turn's CPU"); a web chat turn encodes one.

`OnnxSentenceRun` does the same steps with the same parts: the model's own fast
tokenizer (a private copy, set to truncate at the model's `max_seq_length` and pad to
the batch's longest text, as sentence-transformers asks it to), the same ONNX Runtime
session, then mean pooling over the attention mask and unit length, in numpy. It only
takes over a pipeline it recognises (ONNX transformer, mean pooling, normalise);
anything else keeps `SentenceTransformer.encode`. The tests hold the two to 1e-5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["OnnxSentenceRun"]


class OnnxSentenceRun:
    def __init__(self, tokenizer: Any, session: Any, max_length: int) -> None:
        """`tokenizer`: a `tokenizers.Tokenizer` of our own (it is reconfigured here)."""
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._session = session
        self._inputs = {entry.name for entry in session.get_inputs()}

    @classmethod
    def of(cls, model: Any) -> OnnxSentenceRun | None:
        """The direct run for `model` (a SentenceTransformer), or None when its modules
        are not the ONNX transformer, mean pooling and normalising this mirrors."""
        try:
            from sentence_transformers.sentence_transformer.modules.normalize import Normalize
            from sentence_transformers.sentence_transformer.modules.pooling import Pooling
            from tokenizers import Tokenizer

            transformer, pooling, normalize = list(model)
            session = transformer.auto_model.session
            backend = transformer.tokenizer.backend_tokenizer
            max_length = int(transformer.max_seq_length)
        except (AttributeError, TypeError, ValueError, ImportError):
            return None
        if not (
            isinstance(pooling, Pooling)
            and pooling.pooling_mode == "mean"
            and isinstance(normalize, Normalize)
            and not getattr(transformer, "processing_kwargs", None)
        ):
            return None
        return cls(Tokenizer.from_str(backend.to_str()), session, max_length)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text (at least one text)."""
        encodings = self._tokenizer.encode_batch(list(texts))
        longest = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(encodings), longest), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size] = encoding.ids
            mask[row, :size] = encoding.attention_mask
            types[row, :size] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        tokens = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(tokens.dtype)
        means = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
        return np.asarray(means / norms, dtype=np.float32)
