"""`switchboard kb remove --all-demo`: the demo help centre goes, the operator's own
documents stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.kb import kb
from demo.help_centre import DEMO_DIR
from tests.support.encoders import RecordingEncoder


def test_remove_all_demo_leaves_only_the_own_documents(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SWITCHBOARD_KNOWLEDGE__INDEX_DIR", raising=False)
    runner = CliRunner()
    obj = {"encoder": RecordingEncoder()}
    own = help_dir / "refunds.md"
    for path in (DEMO_DIR, own):
        ingested = runner.invoke(kb, ["ingest", str(path)], obj=obj)
        assert ingested.exit_code == 0, ingested.output
    demo_files = [p for p in DEMO_DIR.rglob("*") if p.suffix in (".md", ".csv")]
    listed = runner.invoke(kb, ["list"], obj=obj).output.strip().splitlines()
    assert len(listed) == len(demo_files) + 1

    removed = runner.invoke(kb, ["remove", "--all-demo"], obj=obj)

    assert removed.exit_code == 0, removed.output
    assert f"removed {len(demo_files)} demo help centre documents" in removed.output
    (left,) = runner.invoke(kb, ["list"], obj=obj).output.strip().splitlines()
    assert left.endswith(f"({own})")
    again = runner.invoke(kb, ["remove", "--all-demo"], obj=obj)
    assert "removed 0 demo help centre documents" in again.output


def test_remove_wants_an_id_or_all_demo_not_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    obj = {"encoder": RecordingEncoder()}
    assert runner.invoke(kb, ["remove"], obj=obj).exit_code == 2
    assert runner.invoke(kb, ["remove", "abc", "--all-demo"], obj=obj).exit_code == 2
