import re
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
    # the time spent ingesting and the command's whole time, loading included
    assert re.search(r"seconds: \d+\.\d ingesting, \d+\.\d in all$", again.output.strip())

    listing = runner.invoke(kb, ["list"], obj=obj)
    lines = listing.output.strip().splitlines()
    assert len(lines) == 2 and "Refunds" in listing.output
    document_id = lines[0].split()[0]

    removed = runner.invoke(kb, ["remove", document_id], obj=obj)
    assert removed.exit_code == 0 and document_id in removed.output
    assert len(runner.invoke(kb, ["list"], obj=obj).output.strip().splitlines()) == 1
    missing = runner.invoke(kb, ["remove", document_id], obj=obj)
    assert missing.exit_code == 1 and "no document" in missing.output


def test_ingest_says_which_documents_lost_their_files(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_dir(tmp_path, monkeypatch)
    runner, obj = CliRunner(), {"encoder": RecordingEncoder()}
    assert runner.invoke(kb, ["ingest", str(help_dir)], obj=obj).exit_code == 0
    shipping = (help_dir / "shipping.md").resolve()
    shipping.unlink()

    kept = runner.invoke(kb, ["ingest", str(help_dir)], obj=obj)

    assert kept.exit_code == 0, kept.output
    assert (
        f"  1 document from these folders has no file any more and still answers "
        f"questions: {shipping} (--prune removes them)"
    ) in kept.stdout.splitlines()
    pruned = runner.invoke(kb, ["ingest", str(help_dir), "--prune"], obj=obj)
    assert "1 removed" in pruned.output and "no file any more" not in pruned.output


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


def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SWITCHBOARD_KNOWLEDGE__INDEX_DIR", raising=False)


def test_ingest_refuses_a_named_path_that_is_missing_or_not_help_content(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_dir(tmp_path, monkeypatch)
    encoder = RecordingEncoder()
    runner = CliRunner()
    missing = tmp_path / "hepl"
    refused = runner.invoke(kb, ["ingest", str(help_dir), str(missing)], obj={"encoder": encoder})
    assert refused.exit_code == 1
    assert refused.output == f"Error: no such file or folder: {missing}\n"

    manual = tmp_path / "manual.pdf"
    manual.write_bytes(b"%PDF-1.7")
    other = runner.invoke(kb, ["ingest", str(manual)], obj={"encoder": encoder})
    assert other.exit_code == 1
    assert other.output == (
        f"Error: not a file type ingest reads: {manual} "
        "(it reads Markdown, HTML, text and FAQ CSV/YAML/JSON files)\n"
    )
    # A folder with no help file in it (the wrong folder) is refused too, with what
    # ingest reads; with --prune it is a way to drop what was ingested from it.
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "team.jpg").write_bytes(b"\xff\xd8")
    empty = runner.invoke(kb, ["ingest", str(photos)], obj={"encoder": encoder})
    assert empty.exit_code == 1
    assert empty.output.startswith(f"Error: no help file in {photos} (ingest reads Markdown")
    # Refused before anything was read or stored.
    assert encoder.texts == []
    assert not (tmp_path / "data" / "knowledge" / "catalogue.sqlite3").exists()


def test_ingest_lists_what_it_skipped_and_fails_on_a_broken_help_file(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_dir(tmp_path, monkeypatch)
    obj = {"encoder": RecordingEncoder()}
    runner = CliRunner()
    (help_dir / "manual.pdf").write_bytes(b"%PDF-1.7")
    (help_dir / ".notes.pdf").write_bytes(b"%PDF-1.7")  # hidden: nobody's help content

    listed = runner.invoke(kb, ["ingest", str(help_dir)], obj=obj)
    assert listed.exit_code == 0, listed.output
    manual = (help_dir / "manual.pdf").resolve()
    assert listed.stdout.splitlines()[1:] == [f"  skipped {manual}: unsupported file type"]
    assert "skipped files: 1;" in listed.stdout

    broken = help_dir / "returns.md"
    broken.write_text("---\nurl: https://help.example/returns\ntitle: [unclosed\n---\nReturns.\n")
    failed = runner.invoke(kb, ["ingest", str(help_dir)], obj=obj)
    assert failed.exit_code == 1
    assert "skipped files: 2;" in failed.stdout
    assert failed.stdout.splitlines()[1:] == [
        f"  skipped {manual}: unsupported file type",
        f"  skipped {broken.resolve()}: broken front matter at line 3: '[unclosed' opens a "
        "[ it does not close",
    ]
    assert failed.stderr.endswith(
        "Error: 1 help file could not be ingested (listed above); the others were ingested\n"
    )
    titles = runner.invoke(kb, ["list"], obj=obj).output
    assert "Refunds" in titles and "Shipping" in titles
    assert "unclosed" not in titles and "returns" not in titles.lower()

    broken.write_text("---\nurl: https://help.example/returns\ntitle: Returns\n---\nReturns.\n")
    fixed = runner.invoke(kb, ["ingest", str(help_dir)], obj=obj)
    assert fixed.exit_code == 0, fixed.output
    assert "documents: 3 (1 added" in fixed.stdout
    assert "Returns" in runner.invoke(kb, ["list"], obj=obj).output


def test_list_reads_the_catalogue_without_loading_the_sentence_model(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_dir(tmp_path, monkeypatch)
    runner = CliRunner()
    # No encoder given: a list that loaded one would say "loading the sentence model…".
    empty = runner.invoke(kb, ["list"])
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "the knowledge base is empty\n", "")
    assert not (tmp_path / "data" / "knowledge").exists()  # listing creates nothing

    ingested = runner.invoke(kb, ["ingest", str(help_dir)], obj={"encoder": RecordingEncoder()})
    assert ingested.exit_code == 0, ingested.output
    listed = runner.invoke(kb, ["list"])
    assert listed.exit_code == 0 and listed.stderr == ""
    # "1 chunk ", "12 chunks": the count and its word, then the title
    assert [
        re.split(r" chunks? +", line, maxsplit=1)[1] for line in listed.stdout.splitlines()
    ] == [
        f"Refunds  ({(help_dir / 'refunds.md').resolve()})",
        f"Shipping  ({(help_dir / 'shipping.md').resolve()})",
    ]


def test_gaps_lists_the_common_topics_the_help_centre_never_mentions(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_dir(tmp_path, monkeypatch)
    runner, obj = CliRunner(), {"encoder": RecordingEncoder()}
    assert "no English documents" in runner.invoke(kb, ["gaps"]).output
    assert runner.invoke(kb, ["ingest", str(help_dir)], obj=obj).exit_code == 0

    before = runner.invoke(kb, ["gaps"])
    (help_dir / "visit.md").write_text("# Visiting\n\nFree parking behind every store.\n")
    assert runner.invoke(kb, ["ingest", str(help_dir)], obj=obj).exit_code == 0
    after = runner.invoke(kb, ["gaps"])

    assert before.exit_code == 0, before.output
    assert "common topics the help centre never mentions" in before.output
    assert "  parking: " in before.output and "  jobs: " in before.output
    assert "  parking: " not in after.output and "  jobs: " in after.output
    # the topic now mentioned, with the article that mentions it
    assert "  parking ('parking'): " in after.output
    assert "visit" in after.output.split("  parking ('parking'): ", 1)[1].splitlines()[0]
    # and what a support lead does about either list
    assert "is told it is not covered" in after.output
    assert "add an article or a section that covers it" in after.output
