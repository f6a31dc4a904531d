"""Intent classification, thresholding and model directories."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nlu import (
    DEMO_DATA_DIR,
    FALLBACK_INTENT,
    IncompatibleModelError,
    ModelLoadError,
    NluModel,
    ensure_demo_model,
    load_training_data,
)
from tests.support.encoders import HashingEncoder


def test_order_question_is_order_status_with_its_number(support_model: NluModel) -> None:
    result = support_model.parse("where is my order 4417?")
    assert result.intent.name == "order_status"
    assert result.intent.confidence > support_model.threshold
    assert result.entity_values("order_number") == ["4417"]


def test_unrelated_request_falls_back_with_the_intents_behind_it(
    support_model: NluModel,
) -> None:
    # At the default 3% in-scope fallback the support model lets some general questions
    # through to knowledge_question ("what is the capital of Peru?"); requests this far
    # from every intent still fall back.
    parsed = support_model.parse("can you write me a poem about cats").to_rasa()
    assert parsed["intent"]["name"] == FALLBACK_INTENT
    assert parsed["in_scope"]["probability"] < parsed["in_scope"]["threshold"]
    assert parsed["intent"]["confidence"] == pytest.approx(1 - parsed["in_scope"]["probability"])
    ranking = parsed["intent_ranking"]
    assert ranking[0]["name"] == FALLBACK_INTENT
    assert len(ranking) == 11  # as Rasa's FallbackClassifier: no intent dropped for it
    assert FALLBACK_INTENT not in {row["name"] for row in ranking[1:]}


def test_in_scope_message_carries_its_scope_and_ranking(support_model: NluModel) -> None:
    parsed = support_model.parse("where is my order 4417?").to_rasa()
    assert parsed["in_scope"]["threshold"] == support_model.threshold
    assert parsed["in_scope"]["probability"] >= support_model.threshold
    assert parsed["intent_ranking"][0]["name"] == "order_status"
    assert parsed["intent_ranking"][0] == parsed["intent"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I want to speak to a real person", "talk_to_human"),
        ("please stop texting me", "opt_out"),
        ("any update on T-4410?", "ticket_status"),
        ("how do I get my money back for a return?", "knowledge_question"),
        ("give me a rundown of the Hooli account", "account_summary"),
    ],
)
def test_support_intents(support_model: NluModel, text: str, intent: str) -> None:
    assert support_model.parse(text).intent.name == intent


def test_async_parse_matches_sync(support_model: NluModel) -> None:
    text = "can I book a demo for next week?"
    result = asyncio.run(support_model.parse_async(text))
    assert result.intent.name == support_model.parse(text).intent.name == "demo_request"


def test_confidences_are_a_ranked_distribution(support_model: NluModel) -> None:
    ranking = support_model.parse("thanks a lot!").to_rasa()["intent_ranking"]
    confidences = [row["confidence"] for row in ranking]
    assert len(ranking) == 10
    assert confidences == sorted(confidences, reverse=True)
    assert 0.0 < sum(confidences) <= 1.0 + 1e-6


def test_threshold_is_stored_with_the_model(tmp_path: Path, fake_encoder: HashingEncoder) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    model.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert 0.0 < manifest["threshold"] < 1.0
    assert manifest["threshold"] == model.threshold


def test_save_load_round_trip(tmp_path: Path, fake_encoder: HashingEncoder) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    model.save(tmp_path / "model")
    loaded = NluModel.load(tmp_path / "model", fake_encoder)
    text = "where is order A-10023? mail me at a@b.co"
    assert loaded.parse(text).to_rasa() == model.parse(text).to_rasa()
    assert loaded.threshold == model.threshold


def test_incompatible_version_is_a_clear_error(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder).save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(IncompatibleModelError) as caught:
        NluModel.load(tmp_path, fake_encoder)
    assert str(tmp_path) in str(caught.value)
    assert "format version 99" in str(caught.value)


def test_corrupt_or_missing_model_is_a_clear_error(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    with pytest.raises(ModelLoadError, match=r"no manifest\.json"):
        NluModel.load(tmp_path / "nothing", fake_encoder)
    NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder).save(tmp_path)
    (tmp_path / "classifier.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ModelLoadError, match="corrupt"):
        NluModel.load(tmp_path, fake_encoder)


def test_ensure_demo_model_trains_once_then_loads(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    first = ensure_demo_model(tmp_path / "demo", fake_encoder)
    encoded_by_training = len(fake_encoder.encoded)
    second = ensure_demo_model(tmp_path / "demo", fake_encoder)
    assert encoded_by_training > 400
    assert len(fake_encoder.encoded) == encoded_by_training  # loaded, not retrained
    assert second.intents == first.intents
