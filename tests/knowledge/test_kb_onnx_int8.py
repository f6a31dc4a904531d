"""The int8 ONNX backend (`onnx-int8`): sentence-transformers' dynamically quantized
export, kept in a cache folder of its own beside the float export, chosen by the
`encoder.backend` setting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from bot.settings import Settings
from bot.wiring.bootstrap import open_encoder
from knowledge.embeddings import SentenceEncoder, bundled_model_dir
from knowledge.onnx_export import FP32, INT8, INT8_PRESET, export_key, exported_model_dir

TEXTS = ["where is my order 4417?", "I want to cancel my subscription", "hi"]


def _int8_folder(cache: Path) -> Path:
    key = export_key(bundled_model_dir(), INT8.libraries)
    return cache / f"sentence-model-onnx-int8-{INT8_PRESET}-{key}"


def test_the_int8_export_has_a_folder_and_a_file_of_its_own(int8_cache: Path) -> None:
    folder = _int8_folder(int8_cache)
    assert [p.name for p in int8_cache.iterdir()] == [folder.name]
    # Only the quantized model: the float one was the quantizer's input.
    assert sorted(p.name for p in (folder / "onnx").iterdir()) == ["model_qint8_avx512_vnni.onnx"]
    graph = onnx.load(str(folder / INT8.file_name)).graph
    operators = {node.op_type for node in graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= operators
    assert any(weight.data_type == onnx.TensorProto.INT8 for weight in graph.initializer)
    # Its key differs from the float export's: another library (onnxruntime) makes it.
    assert export_key(bundled_model_dir(), INT8.libraries) != export_key(bundled_model_dir())


def test_the_int8_encoder_runs_the_quantized_file(
    int8_encoder: SentenceEncoder, int8_cache: Path, encoder: SentenceEncoder
) -> None:
    assert int8_encoder.backend == "onnx-int8"
    session = int8_encoder.model[0].auto_model
    assert Path(session.path) == _int8_folder(int8_cache) / INT8.file_name
    quantized, reference = int8_encoder.encode(TEXTS), encoder.encode(TEXTS)
    assert quantized.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-5)
    # Close to the float model, yet not the float model.
    same_text = (quantized * reference).sum(axis=1)
    assert same_text.min() > 0.95
    assert np.abs(quantized - reference).max() > 1e-3


def test_the_int8_export_is_reused_and_lives_beside_the_float_one(
    int8_cache: Path, int8_encoder: SentenceEncoder
) -> None:
    folder = _int8_folder(int8_cache)
    written = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}

    def must_not_export(source: Path, target: Path) -> None:
        raise AssertionError("exported again")

    assert (
        exported_model_dir(bundled_model_dir(), int8_cache, kind=INT8, export=must_not_export)
        == folder
    )
    again = SentenceEncoder(backend="onnx-int8", cache_dir=int8_cache)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == written
    assert np.array_equal(again.encode(TEXTS), int8_encoder.encode(TEXTS))
    again.close()


def test_each_kind_is_exported_through_the_same_scratch_and_rename(tmp_path: Path) -> None:
    source = tmp_path / "model"
    source.mkdir()
    (source / "config.json").write_text("{}")
    made: list[Path] = []

    def fake_export(src: Path, target: Path) -> None:
        made.append(target)
        (target / "onnx").mkdir()
        (target / "onnx" / "model.onnx").write_text("x")

    cache = tmp_path / "cache"
    fp32 = exported_model_dir(source, cache, kind=FP32, export=fake_export)
    int8 = exported_model_dir(source, cache, kind=INT8, export=fake_export)
    assert fp32.name == f"sentence-model-onnx-{export_key(source)}"
    assert (
        int8.name == f"sentence-model-onnx-int8-{INT8_PRESET}-{export_key(source, INT8.libraries)}"
    )
    # Each was written under a hidden scratch name in the cache, then renamed.
    assert [p.parent for p in made] == [cache, cache]
    assert all(
        p.name.startswith(f".{final.name}.") for p, final in zip(made, [fp32, int8], strict=True)
    )
    assert sorted(p.name for p in cache.iterdir()) == sorted([fp32.name, int8.name])


def test_the_setting_chooses_the_int8_backend(
    int8_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENCODER__BACKEND", "onnx-int8")
    monkeypatch.setenv("SWITCHBOARD_ENCODER__CACHE_DIR", str(int8_cache))
    encoder = open_encoder(Settings())
    assert encoder.backend == "onnx-int8"
    assert Path(encoder.model[0].auto_model.path).name == "model_qint8_avx512_vnni.onnx"
    encoder.close()
    monkeypatch.setenv("SWITCHBOARD_ENCODER__BACKEND", "onnx-int4")
    with pytest.raises(ValueError, match="onnx-int8"):
        Settings()
