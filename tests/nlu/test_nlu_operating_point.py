"""The out-of-scope operating point: a threshold picked for a stated in-scope fallback
share on held-out folds, kept with the model, following the setting, and refused when
the setting makes no sense."""

from __future__ import annotations

import json
import logging
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sklearn.model_selection import train_test_split

from bot.cli.nlu import nlu
from bot.settings import Settings
from bot.wiring.bootstrap import open_nlu
from nlu import (
    DEMO_DATA_DIR,
    ClassifierConfig,
    NluError,
    NluModel,
    TrainingData,
    ensure_demo_model,
    load_training_data,
)
from nlu.calibration import fallback_threshold
from tests.support.encoders import HashingEncoder

NEW_MANIFEST_KEYS = (
    "max_in_scope_fallback",
    "folds",
    "held_out_in_scope_messages",
    "held_out_in_scope_fallback_rate",
    "held_out_accuracy",
)


def test_the_threshold_lets_at_most_the_stated_share_fall_back() -> None:
    scores = np.linspace(0.0, 1.0, 200)
    point = fallback_threshold(scores, 0.03)
    assert np.sum(scores < point.threshold) == 6  # floor(0.03 * 200)
    assert point.held_out_fallback_rate == 0.03
    tied = np.r_[np.full(10, 0.2), np.linspace(0.3, 1.0, 90)]
    point = fallback_threshold(tied, 0.05)  # the 6th lowest is a tie: none of the ten goes
    assert point.threshold == 0.2 and point.held_out_fallback_rate == 0.0
    assert fallback_threshold(np.zeros(0), 0.03).threshold == 0.0


def test_on_messages_training_never_saw_the_fallback_share_is_near_the_stated_one(
    sentence_encoder: object,
) -> None:
    """The property of the procedure, on real support data and the real encoder: pick
    the threshold on the training part's folds, then count fallbacks among a quarter of
    the messages kept out of training altogether (within three binomial standard
    deviations of the stated share)."""
    data = load_training_data([DEMO_DATA_DIR])
    train, unseen = train_test_split(
        data.examples,
        test_size=0.25,
        random_state=3,
        stratify=[example.intent for example in data.examples],
    )
    model = NluModel.train(TrainingData(list(train)), sentence_encoder)  # type: ignore[arg-type]
    texts = [example.text for example in unseen]
    for share in (0.03, 0.10):
        model.set_fallback_share(share)
        assert model.metadata["held_out_in_scope_fallback_rate"] <= share
        fell_back = np.mean([result.is_fallback for result in model.parse_many(texts)])
        spread = 3 * math.sqrt(share * (1 - share) / len(texts))
        assert share - spread <= fell_back <= share + spread, (share, fell_back, len(texts))


def test_the_operating_point_is_in_the_manifest(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    model.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["threshold"] == model.threshold
    assert manifest["max_in_scope_fallback"] == 0.03
    assert manifest["folds"] == 5
    assert manifest["held_out_in_scope_messages"] == len(
        load_training_data([DEMO_DATA_DIR]).examples
    )
    assert 0.0 < manifest["held_out_in_scope_fallback_rate"] <= 0.03
    assert 0.0 < manifest["held_out_accuracy"] <= 1.0


def test_a_changed_setting_moves_the_threshold_as_retraining_would(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    data = load_training_data([DEMO_DATA_DIR])
    NluModel.train(data, fake_encoder).save(tmp_path)
    retrained = NluModel.train(data, fake_encoder, ClassifierConfig(max_in_scope_fallback=0.10))

    loaded = NluModel.load(tmp_path, fake_encoder, max_in_scope_fallback=0.10)

    assert loaded.threshold == retrained.threshold
    assert loaded.threshold > json.loads((tmp_path / "manifest.json").read_text())["threshold"]
    assert loaded.metadata["max_in_scope_fallback"] == 0.10
    text = "what is 17 times 23"
    assert loaded.parse(text).to_rasa() == retrained.parse(text).to_rasa()


def _save_as_before_the_operating_point(model: NluModel, directory: Path) -> None:
    """What a model directory held before held-out scores were kept: a classifier
    without them and a manifest without the operating point's keys."""
    for name in ("held_out", "operating_point", "probe"):
        vars(model.classifier).pop(name)
    model.save(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    for key in NEW_MANIFEST_KEYS:
        manifest.pop(key)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    assert "held_out" not in vars(pickle.loads((directory / "classifier.pkl").read_bytes()))


def test_an_older_model_loads_with_its_own_threshold(
    tmp_path: Path, fake_encoder: HashingEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    trained_threshold = model.threshold
    _save_as_before_the_operating_point(model, tmp_path)

    with caplog.at_level(logging.WARNING, logger="nlu.model"):
        loaded = NluModel.load(tmp_path, fake_encoder, max_in_scope_fallback=0.10)

    assert loaded.threshold == trained_threshold
    assert not loaded.keeps_held_out_scores
    assert "retrain it" in caplog.text
    assert loaded.parse("where is my order 4417?").to_rasa()["in_scope"]["threshold"] == (
        trained_threshold
    )


def test_the_demo_model_is_retrained_when_it_keeps_no_held_out_scores(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    _save_as_before_the_operating_point(model, tmp_path)

    rebuilt = ensure_demo_model(tmp_path, fake_encoder, max_in_scope_fallback=0.05)

    assert rebuilt.keeps_held_out_scores
    assert json.loads((tmp_path / "manifest.json").read_text())["max_in_scope_fallback"] == 0.05


def test_the_setting_reaches_the_shipped_model(
    tmp_path: Path, fake_encoder: HashingEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_NLU__MAX_IN_SCOPE_FALLBACK", "0.08")
    settings = Settings(data_dir=tmp_path)
    model = open_nlu(settings, fake_encoder)  # type: ignore[arg-type]
    assert isinstance(model, NluModel)
    assert model.metadata["max_in_scope_fallback"] == 0.08
    saved = json.loads((tmp_path / "nlu-model" / "manifest.json").read_text())
    assert saved["max_in_scope_fallback"] == 0.08

    monkeypatch.setenv("SWITCHBOARD_NLU__MAX_IN_SCOPE_FALLBACK", "0.02")
    again = open_nlu(Settings(data_dir=tmp_path), fake_encoder)  # type: ignore[arg-type]
    assert isinstance(again, NluModel)
    assert again.metadata["max_in_scope_fallback"] == 0.02
    assert again.threshold < model.threshold


@pytest.mark.parametrize("value", ["0", "0.5", "3", "-0.01"])
def test_the_setting_must_be_a_share_below_one_half(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_NLU__MAX_IN_SCOPE_FALLBACK", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "SWITCHBOARD_NLU__MAX_IN_SCOPE_FALLBACK" in message
    assert "between 0 and 0.5 exclusive (0.03 means 3%)" in message


def test_the_nlu_layer_refuses_a_nonsense_share_too(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    with pytest.raises(ValueError, match=r"between 0 and 0\.5 exclusive"):
        ClassifierConfig(max_in_scope_fallback=3)
    NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder).save(tmp_path)
    with pytest.raises(NluError, match=r"between 0 and 0\.5 exclusive"):
        NluModel.load(tmp_path, fake_encoder, max_in_scope_fallback=0.5)


def test_the_cli_trains_for_the_share_it_is_given(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    runner = CliRunner()
    obj = {"encoder": fake_encoder}
    args = ["train", str(DEMO_DATA_DIR), "--out", str(tmp_path / "m")]

    trained = runner.invoke(nlu, [*args, "--max-in-scope-fallback", "0.05"], obj=obj)

    assert trained.exit_code == 0, trained.output
    assert "for at most 5.0% in-scope fallback" in trained.output
    assert (
        json.loads((tmp_path / "m" / "manifest.json").read_text())["max_in_scope_fallback"] == 0.05
    )
    refused = runner.invoke(nlu, [*args, "--max-in-scope-fallback", "3"], obj=obj)
    assert refused.exit_code == 2
    assert "0<x<0.5" in refused.output.replace(" ", "")
