"""The ONNX export of the sentence model, made once and kept in a cache folder.

The bundled model lives in site-packages, which may be read-only, so the export goes to
a cache folder of its own (`~/.cache/switchboard/encoders` unless told otherwise). Its
name carries a key of the source model's files and the versions of the libraries that
export it, so an upgrade of either makes a fresh export instead of loading a stale one.

Two processes starting together (`serve --workers N` on a new machine) take turns: the
first takes a lock on the cache folder itself (flock, released when its process dies,
and no lock file left among the exports) and exports; the others wait, then find its
export and load it, instead of each making the same export on the same cores. The export
goes into a private temporary folder beside the target and is renamed into place, so
nothing half-written is ever visible under the final name; where the filesystem does
not honour the lock, a rename onto an existing folder fails, so the first one still
wins and the other throws its copy away and uses the winner's.

The export itself is sentence-transformers' own ONNX backend (optimum-onnx underneath):
`SentenceTransformer(source, backend="onnx", model_kwargs={"export": True})`, then its
`save_pretrained`, which writes the tokenizer, the pooling config and `onnx/model.onnx`.

Two kinds of export, each in folders of its own name: `FP32`, the model as trained, and
`INT8`, the same export quantized to int8 weights by sentence-transformers'
`export_dynamic_quantized_onnx_model` (dynamic quantization: no calibration data), which
writes `onnx/model_qint8_avx512_vnni.onnx`. Both go through the same scratch folder and
rename, so both have the same guarantees.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from knowledge.one_at_a_time import one_process_at_a_time

__all__ = [
    "FP32",
    "INT8",
    "ExportKind",
    "default_cache_dir",
    "discard_export",
    "export_int8_with_sentence_transformers",
    "export_with_sentence_transformers",
    "exported_model_dir",
    "quiet_export",
]

log = logging.getLogger(__name__)

Exporter = Callable[[Path, Path], None]

# Libraries whose versions change what an export contains.
_EXPORT_LIBRARIES = ("sentence-transformers", "transformers", "optimum-onnx", "torch", "onnx")
# The quantizer is ONNX Runtime's own (optimum-onnx calls it).
_INT8_LIBRARIES = (*_EXPORT_LIBRARIES, "onnxruntime")
# sentence-transformers' preset for CPUs with AVX-512 VNNI (this project's servers):
# per-channel weights at full 8-bit range. The int8 model runs on any x86-64 CPU; the
# preset only chooses how it is quantized; it is part of the folder's name, so a change
# of it makes a fresh export.
INT8_PRESET = "avx512_vnni"


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/switchboard/encoders`, or `~/.cache/switchboard/encoders`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "switchboard" / "encoders"


def export_key(source: Path, libraries: tuple[str, ...] = _EXPORT_LIBRARIES) -> str:
    """A short digest of the source model's files (name, size, modification time) and of
    the exporting libraries' versions."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(source)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for library in libraries:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}=={version}\n".encode())
    return digest.hexdigest()[:16]


def export_with_sentence_transformers(source: Path, target: Path) -> None:
    """Export `source` with sentence-transformers' ONNX backend and save it to `target`."""
    from sentence_transformers import SentenceTransformer

    with quiet_export():
        model = SentenceTransformer(
            str(source),
            backend="onnx",
            device="cpu",
            local_files_only=True,
            model_kwargs={"export": True},
        )
        model.save_pretrained(str(target))


def export_int8_with_sentence_transformers(source: Path, target: Path) -> None:
    """Export `source` to ONNX in `target`, then quantize it there with
    sentence-transformers' dynamic int8 quantization; only the int8 model is kept."""
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    export_with_sentence_transformers(source, target)
    with quiet_export():
        model = SentenceTransformer(
            str(target), backend="onnx", device="cpu", local_files_only=True
        )
        export_dynamic_quantized_onnx_model(model, INT8_PRESET, str(target))
    # The float model was only the quantizer's input. Keeping it would also leave two
    # ONNX files for a load that forgot its `file_name` to choose between.
    (target / "onnx" / "model.onnx").unlink()


@dataclass(frozen=True)
class ExportKind:
    """One kind of export: its folders' name prefix, the ONNX file inside them (the
    `file_name` sentence-transformers loads) and how it is made."""

    prefix: str
    file_name: str
    export: Exporter
    libraries: tuple[str, ...]


FP32 = ExportKind(
    "sentence-model-onnx-", "onnx/model.onnx", export_with_sentence_transformers, _EXPORT_LIBRARIES
)
INT8 = ExportKind(
    f"sentence-model-onnx-int8-{INT8_PRESET}-",
    f"onnx/model_qint8_{INT8_PRESET}.onnx",
    export_int8_with_sentence_transformers,
    _INT8_LIBRARIES,
)


def exported_model_dir(
    source: Path, cache_dir: Path, *, kind: ExportKind = FP32, export: Exporter | None = None
) -> Path:
    """The folder holding the `kind` export of `source`, exporting it first if needed
    (with `export` instead of the kind's own exporter, if given). Raises OSError when
    `cache_dir` cannot be written."""
    final = cache_dir / f"{kind.prefix}{export_key(source, kind.libraries)}"
    if final.is_dir():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    with one_process_at_a_time(
        cache_dir, "waiting for another process to export the sentence model"
    ):
        if final.is_dir():
            log.info("another process exported the sentence model first")
            return final
        return _export_into(final, source, export or kind.export)


def _export_into(final: Path, source: Path, export: Exporter) -> Path:
    cache_dir = final.parent
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=cache_dir))
    try:
        log.info("exporting the sentence model to ONNX", extra={"target": str(final)})
        export(source, scratch)
        try:
            scratch.rename(final)
        except OSError:
            if not final.is_dir():
                raise
            # Another process finished first: its export is as good as ours.
            log.info("another process exported the sentence model first")
        else:
            return final
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return final


def discard_export(folder: Path) -> None:
    """Remove an export that does not load, so the next call makes a new one. It is
    renamed away first, so no process sees it half-deleted under its own name."""
    trash = folder.with_name(f".discarded-{folder.name}-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        folder.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


@contextlib.contextmanager
def quiet_export() -> Iterator[None]:
    """The export warns that it was not saved yet (it is, next) and the tracer warns about
    Python branches on tensor shapes (tests/knowledge/test_kb_onnx.py compares the export
    with the torch model on other batch sizes and lengths); neither helps a user."""
    noisy = [logging.getLogger(name) for name in ("sentence_transformers.backend", "transformers")]
    levels = [logger.level for logger in noisy]
    for logger in noisy:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(noisy, levels, strict=True):
            logger.setLevel(level)
