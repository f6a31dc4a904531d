"""`make setup` (which `make run` and `make test` do first) installs once per content of
pyproject.toml: a stamp named by its checksum, never by its time, so a checkout that only
touches the file installs nothing again, and an edit to it installs again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _checkout(tmp_path: Path) -> Path:
    """A copy of the Makefile and pyproject.toml with a venv stamped as installed."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    checksum = subprocess.run(
        ["cksum", "pyproject.toml"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()[0]
    (tmp_path / ".venv" / f".installed-{checksum}").touch()
    return tmp_path


def _setup_is_done(checkout: Path) -> bool:
    # `make -q` runs nothing and exits 0 only when the target is up to date.
    return subprocess.run(["make", "-q", "setup"], cwd=checkout).returncode == 0


def test_a_stamped_venv_is_not_installed_again_when_pyproject_is_only_touched(
    tmp_path: Path,
) -> None:
    checkout = _checkout(tmp_path)
    later = (checkout / ".venv").stat().st_mtime + 3600
    os.utime(checkout / "pyproject.toml", (later, later))  # as a fresh checkout leaves it
    assert _setup_is_done(checkout)


def test_an_edited_pyproject_installs_again(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    with (checkout / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new dependency\n")
    assert not _setup_is_done(checkout)
