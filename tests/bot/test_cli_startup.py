"""CLI commands that do not need the sentence model do not load it: importing the
command (what `--help`, `staff create`, `db upgrade`, `demo seed` pay for) leaves torch,
sentence-transformers, scikit-learn and the knowledge index unimported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "sentence_transformers", "sklearn", "faiss", "onnxruntime", "nlu", "knowledge")
ROOT = Path(__file__).resolve().parents[2]


def _loaded_after(code: str, tmp_path: Path) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SWITCHBOARD_DATA_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    return [m for m in modules if m.split(".")[0] in HEAVY]


def test_importing_the_cli_loads_no_model(tmp_path: Path) -> None:
    assert _loaded_after("import bot.cli.main", tmp_path) == []


def test_staff_create_loads_no_model(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bot.cli.main import main\n"
        "main(['db', 'upgrade'], standalone_mode=False)\n"
        "main(['staff', 'create', '--name', 'Ann Admin', '--email', 'ann@example.com',"
        " '--role', 'admin'], standalone_mode=False)\n"
    )
    assert _loaded_after(code, tmp_path) == []
