"""The ONNX Runtime backend: the same embeddings as PyTorch, an export made once into the
cache folder and shared safely between processes starting together."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from bot.wiring.bootstrap import open_encoder
from knowledge.embeddings import Backend, SentenceEncoder, bundled_model_dir
from knowledge.onnx_export import _export_into, export_key, exported_model_dir

# Short and long, punctuation, digits, non-ASCII, and one past the model's 256 tokens
# (truncated the same way on both backends). Batched together they are padded, alone not.
TEXTS = [
    "hi",
    "where is my order 4417?",
    "Ich möchte mein Abonnement kündigen, bitte.",
    "My card payment was declined twice at the same shop, and I was charged a fee anyway!",
    "refund " * 300,
    "",
]


def _files(folder: Path) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): path.stat().st_mtime_ns
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_the_default_backend_is_onnx(encoder: SentenceEncoder) -> None:
    assert encoder.backend == "onnx"
    assert type(encoder.model[0].auto_model).__name__ == "ORTModelForFeatureExtraction"


def test_onnx_embeddings_match_torch(
    encoder: SentenceEncoder, torch_encoder: SentenceEncoder
) -> None:
    reference = torch_encoder.encode(TEXTS)
    batched = encoder.encode(TEXTS)
    alone = np.stack([encoder.encode([text])[0] for text in TEXTS])
    assert batched.shape == reference.shape == (len(TEXTS), 384)
    assert np.abs(batched - reference).max() < 1e-5
    assert np.abs(alone - reference).max() < 1e-5
    # Not trivially equal: different texts stay apart by far more than that.
    assert np.abs(reference[0] - reference[1]).max() > 1e-2


def test_export_is_made_once_and_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = SentenceEncoder(cache_dir=cache)
    exports = list(cache.iterdir())
    assert [path.name for path in exports] == [
        f"sentence-model-onnx-{export_key(bundled_model_dir())}"
    ]
    assert (exports[0] / "onnx" / "model.onnx").stat().st_size > 10_000_000
    before = _files(exports[0])

    second = SentenceEncoder(cache_dir=cache)
    assert _files(exports[0]) == before  # loaded, nothing written again
    assert list(cache.iterdir()) == exports
    assert np.array_equal(first.encode(["refunds"]), second.encode(["refunds"]))

    def must_not_export(source: Path, target: Path) -> None:
        raise AssertionError("exported again")

    assert exported_model_dir(bundled_model_dir(), cache, export=must_not_export) == exports[0]


def test_two_processes_starting_together_export_once(tmp_path: Path) -> None:
    source = tmp_path / "model"
    source.mkdir()
    (source / "config.json").write_text("{}")
    exporting = threading.Event()
    written: list[str] = []

    def slow_export(src: Path, target: Path) -> None:
        exporting.set()
        (target / "onnx").mkdir()
        (target / "onnx" / "model.onnx").write_text(threading.current_thread().name)
        written.append(threading.current_thread().name)
        time.sleep(0.5)  # the second caller arrives while this export runs

    results: dict[str, Path] = {}

    def start(name: str) -> None:
        results[name] = exported_model_dir(source, tmp_path / "cache", export=slow_export)

    first = threading.Thread(target=start, args=("a",), name="a")
    first.start()
    assert exporting.wait(timeout=30)
    second = threading.Thread(target=start, args=("b",), name="b")
    second.start()
    for thread in (first, second):
        thread.join(timeout=60)

    assert written == ["a"]  # b waited for a's export and loaded it
    assert results["a"] == results["b"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [results["a"].name]
    assert (results["a"] / "onnx" / "model.onnx").read_text() == "a"


def test_two_exports_racing_without_the_lock_keep_one_whole_export(tmp_path: Path) -> None:
    """Where the filesystem does not honour the lock, both export; the rename keeps one."""
    source = tmp_path / "model"
    source.mkdir()
    final = tmp_path / "cache" / "sentence-model-onnx-test"
    final.parent.mkdir()
    both_exporting = threading.Barrier(2, timeout=30)
    written: list[str] = []

    def slow_export(src: Path, target: Path) -> None:
        (target / "onnx").mkdir()
        (target / "onnx" / "model.onnx").write_text(threading.current_thread().name)
        written.append(threading.current_thread().name)
        both_exporting.wait()  # neither renames before both have written their copy

    results: dict[str, Path] = {}

    def start(name: str) -> None:
        results[name] = _export_into(final, source, slow_export)

    threads = [threading.Thread(target=start, args=(name,), name=name) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(written) == ["a", "b"]
    assert results["a"] == results["b"] == final
    # One export under the final name, whole, and no scratch copy left behind.
    assert sorted(p.name for p in final.parent.iterdir()) == [final.name]
    assert (final / "onnx" / "model.onnx").read_text() in {"a", "b"}


def test_the_key_changes_with_the_model_files(tmp_path: Path) -> None:
    source = tmp_path / "model"
    source.mkdir()
    (source / "config.json").write_text("{}")
    before = export_key(source)
    assert export_key(source) == before
    (source / "config.json").write_text('{"hidden_size": 384}')
    assert export_key(source) != before


def test_a_damaged_export_is_replaced(
    tmp_path: Path, torch_encoder: SentenceEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    damaged = cache / f"sentence-model-onnx-{export_key(bundled_model_dir())}"
    (damaged / "onnx").mkdir(parents=True)
    (damaged / "onnx" / "model.onnx").write_text("not a model")
    with caplog.at_level(logging.WARNING, logger="knowledge.embeddings"):
        encoder = SentenceEncoder(cache_dir=cache)
    assert "does not load" in caplog.text
    assert (damaged / "modules.json").is_file()
    assert (damaged / "onnx" / "model.onnx").stat().st_size > 10_000_000
    assert not [p for p in cache.iterdir() if p != damaged]
    assert np.abs(encoder.encode(TEXTS[:2]) - torch_encoder.encode(TEXTS[:2])).max() < 1e-5


# The float export is made in memory; the int8 one (the quantizer writes files) in a
# throwaway folder. Each gives the embeddings of its backend's cached export.
@pytest.mark.parametrize(
    ("backend", "reference"), [("onnx", "torch_encoder"), ("onnx-int8", "int8_encoder")]
)
def test_an_unwritable_cache_still_gives_an_encoder(
    backend: Backend,
    reference: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    expected: SentenceEncoder = request.getfixturevalue(reference)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="knowledge.embeddings"):
        encoder = SentenceEncoder(backend=backend, cache_dir=blocker / "encoders")
    assert "cannot keep the ONNX export" in caplog.text
    assert encoder.backend == backend
    assert np.abs(encoder.encode(TEXTS[:2]) - expected.encode(TEXTS[:2])).max() < 1e-5


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoder backend 'tensorflow'"):
        SentenceEncoder(backend="tensorflow")  # type: ignore[arg-type]


def test_settings_choose_the_backend_and_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENCODER__BACKEND", "torch")
    assert open_encoder(Settings()).backend == "torch"
    monkeypatch.setenv("SWITCHBOARD_ENCODER__BACKEND", "onnx")
    monkeypatch.setenv("SWITCHBOARD_ENCODER__CACHE_DIR", str(tmp_path / "exports"))
    assert open_encoder(Settings()).backend == "onnx"
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [
        f"sentence-model-onnx-{export_key(bundled_model_dir())}"
    ]
    monkeypatch.setenv("SWITCHBOARD_ENCODER__BACKEND", "tensorflow")
    with pytest.raises(ValueError, match=r"encoder\.backend"):
        Settings()


def _onnx_threads(encoder: SentenceEncoder) -> int:
    session = encoder.model[0].auto_model.session
    return int(session.get_session_options().intra_op_num_threads)


def test_the_server_encodes_on_one_onnx_thread_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _onnx_threads(open_encoder(Settings())) == 1
    monkeypatch.setenv("SWITCHBOARD_ENCODER__THREADS", "2")
    assert _onnx_threads(open_encoder(Settings())) == 2
    monkeypatch.setenv("SWITCHBOARD_ENCODER__THREADS", "0")
    with pytest.raises(ValueError, match=r"encoder\.threads"):
        Settings()
