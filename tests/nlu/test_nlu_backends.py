"""The NLU model gives the same answers on either encoder backend, so a model trained
on one (say, a data dir's demo model from before ONNX) serves correctly on the other."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nlu import DEMO_DATA_DIR, NluModel, load_training_data

MESSAGES = [
    "where is my order 4417?",
    "I want to speak to a real person",
    "please stop texting me",
    "any update on T-4410?",
    "can I book a demo for next week?",
    "what is the capital of Peru?",
    "thanks a lot!",
]


def test_a_model_trained_on_torch_embeddings_serves_on_onnx(
    tmp_path: Path, sentence_encoder: object, torch_sentence_encoder: object
) -> None:
    data = load_training_data([DEMO_DATA_DIR])
    NluModel.train(data, torch_sentence_encoder).save(tmp_path / "model")  # type: ignore[arg-type]
    on_torch = NluModel.load(tmp_path / "model", torch_sentence_encoder)  # type: ignore[arg-type]
    on_onnx = NluModel.load(tmp_path / "model", sentence_encoder)  # type: ignore[arg-type]
    for text in MESSAGES:
        expected, got = on_torch.parse(text).to_rasa(), on_onnx.parse(text).to_rasa()
        assert got["intent"]["name"] == expected["intent"]["name"], text
        assert np.isclose(got["intent"]["confidence"], expected["intent"]["confidence"], atol=1e-4)
        assert got["entities"] == expected["entities"]
    assert on_onnx.parse(MESSAGES[0]).intent.name == "order_status"
