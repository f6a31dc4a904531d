"""The dialogue's unit layer (tests/bot/unit) runs on its own without the sentence
model: after `pytest tests/bot/unit`, collection included, neither sentence-transformers
nor torch nor ONNX Runtime is imported. Checked in a child process because a whole-suite
run has loaded them long before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
RUN_ALONE = """
import sys
import pytest

code = pytest.main(["tests/bot/unit", "-q", "-p", "no:cacheprovider"])
loaded = [m for m in ("sentence_transformers", "torch", "onnxruntime") if m in sys.modules]
print("model libraries imported:", loaded)
sys.exit(int(code) or (3 if loaded else 0))
"""


def test_the_unit_layer_passes_alone_without_the_sentence_model() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", RUN_ALONE],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "model libraries imported: []" in completed.stdout
