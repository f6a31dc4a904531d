"""Bench scripts run as files from the repository root (`python bench/X.py`), as
bench/README.md says. Python then puts bench/ first on sys.path, where bench/analytics.py
could stand in for the `analytics` package; these prove the scripts that import it (or
`bot`, which does) get the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The script's imports as `python bench/X.py` runs them (bench/ first on sys.path), but
# not its main(): then which `analytics` it got.
LOAD = """
import runpy, sys
sys.path.insert(0, {bench!r})
runpy.run_path({script!r}, run_name="loaded")
print(sys.modules["analytics"].__file__)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Python from the repository root with PYTHONPATH at it, as bench/README.md runs."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("script", ["analytics.py", "support_reports.py", "sms_webhook.py"])
def test_a_bench_script_run_as_a_file_gets_the_analytics_package(script: str) -> None:
    bench = str(ROOT / "bench")
    done = _run("-c", LOAD.format(bench=bench, script=f"{bench}/{script}"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(ROOT / "analytics" / "__init__.py")


def test_bench_analytics_answers_help_run_as_a_file() -> None:
    done = _run("bench/analytics.py", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: analytics.py")
