from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.kb import kb
from tests.support.encoders import RecordingEncoder


def test_ingest_list_remove(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SWITCHBOARD_KNOWLEDGE__INDEX_DIR", raising=False)
    runner = CliRunner()
    obj = {"encoder": RecordingEncoder()}

    result = runner.invoke(kb, ["ingest", str(help_dir)], obj=obj)
    assert result.exit_code == 0, result.output
    assert "documents: 2 (2 added" in result.output and "chunks embedded: 3" in result.output
    assert (tmp_path / "data" / "knowledge" / "catalogue.sqlite3").exists()

    again = runner.invoke(kb, ["ingest", str(help_dir), "--prune"], obj=obj)
    assert "2 unchanged" in again.output and "chunks embedded: 0" in again.output

    listing = runner.invoke(kb, ["list"], obj=obj)
    lines = listing.output.strip().splitlines()
    assert len(lines) == 2 and "Refunds" in listing.output
    document_id = lines[0].split()[0]

    removed = runner.invoke(kb, ["remove", document_id], obj=obj)
    assert removed.exit_code == 0 and document_id in removed.output
    assert len(runner.invoke(kb, ["list"], obj=obj).output.strip().splitlines()) == 1
    missing = runner.invoke(kb, ["remove", document_id], obj=obj)
    assert missing.exit_code == 1 and "no document" in missing.output


def test_ingest_outside_a_terminal_says_what_it_does_in_whole_lines(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log or pipe gets sentences, not a progress bar's bare labels ("files", "chunks")."""
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SWITCHBOARD_KNOWLEDGE__INDEX_DIR", raising=False)

    result = CliRunner().invoke(kb, ["ingest", str(help_dir)], obj={"encoder": RecordingEncoder()})
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "reading 2 files",
        "read 1 of 2 files",
        "read 2 of 2 files",
        "embedding 3 chunks",
        "embedded 3 of 3 chunks",
    ]
    assert result.stdout.startswith("documents: 2 (2 added")
