"""`switchboard kb`: ingest help content, list and remove documents, list the gaps.

The lead adds it to the main CLI with `main.add_command(kb)`. Tests may pass a ready
encoder as `obj={"encoder": ...}` to skip loading the model again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.help_format import WholeHelpGroup

if TYPE_CHECKING:
    from knowledge.records import DocumentInfo

__all__ = ["index_dir_of", "kb"]


def index_dir_of(settings: Any) -> Path:
    from bot.wiring.bootstrap import knowledge_dir

    return knowledge_dir(settings)


def _open(ctx: click.Context, *, model_needed: bool = True) -> Any:
    """The knowledge base of the settings' data dir, publishing each new version to the
    servers. Without `model_needed` (removing documents) it is opened on its stored
    vectors alone where it can be (`knowledge.stored_vectors`), and the sentence model
    is loaded only where it cannot."""
    from sqlalchemy.engine import make_url

    from bot.cli.settings_errors import load_settings
    from crm_store.wakeups import KNOWLEDGE_VERSION, notify_now
    from knowledge import KnowledgeBase
    from knowledge.stored_vectors import open_stored

    settings = load_settings()
    base = None if model_needed else open_stored(index_dir_of(settings))
    if base is None:
        encoder = (ctx.obj or {}).get("encoder")
        if encoder is None:
            from bot.wiring.bootstrap import open_encoder

            click.echo("loading the sentence model…", err=True)
            encoder = open_encoder(settings)
        base = KnowledgeBase.open(index_dir_of(settings), encoder)
    # The servers on this database load each new version when told (README "Scaling out").
    url = make_url(settings.database_url)
    base.on_publish(lambda version: notify_now(url, KNOWLEDGE_VERSION, str(version)))
    return base


@click.group(short_help="The knowledge base the bot answers from.", cls=WholeHelpGroup)
def kb() -> None:
    """The knowledge base: help articles and FAQs the bot answers from."""


@kb.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="remove documents whose files are gone")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], prune: bool) -> None:
    """Ingest Markdown, HTML, text and FAQ (CSV/YAML/JSON) files or folders."""
    import logging
    import time

    from bot.cli.ingest_progress import IngestReport
    from knowledge.sources import NO_TEXT, UNSUPPORTED_TYPE

    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    started = time.monotonic()
    _refuse_unreadable_paths(paths, prune=prune)  # before the model's seconds of loading
    base = _open(ctx)
    progress = IngestReport()
    try:
        summary = base.ingest(paths, prune=prune, progress=progress)
        gone = [] if prune else _gone_from(paths, base.list_documents())
    finally:
        progress.close()
        base.close()
    documents = summary.documents_added + summary.documents_updated + summary.documents_unchanged
    click.echo(
        f"documents: {documents} ({summary.documents_added} added, "
        f"{summary.documents_updated} updated, {summary.documents_unchanged} unchanged, "
        f"{summary.documents_removed} removed); chunks embedded: {summary.chunks}; "
        f"skipped files: {len(summary.skipped)}; seconds: {summary.seconds:.1f} ingesting, "
        f"{time.monotonic() - started:.1f} in all"
    )
    # Both times: an unchanged help centre ingests in no time, but loading the sentence
    # model and opening the store took 15 s, and "seconds: 0.0" alone read as a lie.
    for skipped in summary.skipped:
        click.echo(f"  skipped {skipped.path}: {skipped.reason}")
    if gone:
        # Still answered from: a file deleted from the folder is not forgotten unless asked.
        click.echo(
            f"  {len(gone)} document{'s' if len(gone) > 1 else ''} from these folders "
            f"{'have' if len(gone) > 1 else 'has'} no file any more and still "
            f"answer{'' if len(gone) > 1 else 's'} questions: {', '.join(gone)} "
            "(--prune removes them)"
        )
    # Decided: files of another type in a folder (images, PDFs beside the articles) and
    # help files with no text (placeholders) are listed and nothing more, since help
    # folders often hold them; a help file that could not be read (binary, not UTF-8,
    # broken front matter, an FAQ without entries) or gives another file's URL is an
    # author's mistake to fix, so the command fails, after ingesting the rest, and a
    # script or CI job running it hears of it.
    broken = [s for s in summary.skipped if s.reason not in (UNSUPPORTED_TYPE, NO_TEXT)]
    if broken:
        others = "; the others were ingested" if documents else ""
        raise click.ClickException(
            f"{len(broken)} help file{'s' if len(broken) > 1 else ''} could not be "
            f"ingested (listed above){others}"
        )


def _gone_from(paths: tuple[Path, ...], documents: list[DocumentInfo]) -> list[str]:
    """The paths of documents under the folders in `paths` whose files are gone."""
    folders = [p.resolve() for p in paths if p.is_dir()]
    return [
        d.path
        for d in documents
        if not Path(d.path).exists()
        and any(Path(d.path).is_relative_to(folder) for folder in folders)
    ]


def _refuse_unreadable_paths(paths: tuple[Path, ...], *, prune: bool = False) -> None:
    """A path named on the command line that is missing, or a file of a type ingest does
    not read, is an error: the person asked for it by name (a typo, a PDF). So is a
    folder with no help file in it (the wrong folder: "documents: 0" and exit 0 read as
    done), unless `prune` asks to drop the documents of files that are gone."""
    from knowledge.sources import SUPPORTED_SUFFIXES, discover_files

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    other = [str(p) for p in paths if p.is_file() and p.suffix.lower() not in SUPPORTED_SUFFIXES]
    if other:
        raise click.ClickException(
            f"not a file type ingest reads: {', '.join(other)} "
            "(it reads Markdown, HTML, text and FAQ CSV/YAML/JSON files)"
        )
    empty = [str(p) for p in paths if p.is_dir() and not discover_files([p])[0]]
    if empty and not prune:
        raise click.ClickException(
            f"no help file in {', '.join(empty)} (ingest reads Markdown, HTML, text and FAQ "
            "CSV/YAML/JSON files, in subfolders too; --prune drops the documents of files "
            "that are gone)"
        )


@kb.command(name="list")
def list_documents() -> None:
    """The documents in the knowledge base."""
    from bot.cli.settings_errors import load_settings
    from knowledge import KnowledgeBase, KnowledgeError

    try:  # from the catalogue: no sentence model to load for a list
        documents = KnowledgeBase.documents_in(index_dir_of(load_settings()))
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    if not documents:
        click.echo("the knowledge base is empty")
    for d in documents:
        unit = "chunk " if d.chunks == 1 else "chunks"
        click.echo(f"{d.document_id}  {d.chunks:4d} {unit}  {d.title}  ({d.path})")


@kb.command()
def gaps() -> None:
    """Questions customers often ask shops that the help centre never mentions: the bot
    does not answer them from an article that merely shares their other words."""
    from bot.cli.settings_errors import load_settings
    from bot.conversation.route import article_key
    from knowledge import DEFAULT_LANGUAGE, KnowledgeBase, KnowledgeError
    from knowledge.gaps import articles_mentioning, common_topics, mentioned, not_mentioned

    try:  # from the catalogue's words: no sentence model to load
        chunks = KnowledgeBase.article_texts_in(index_dir_of(load_settings()), DEFAULT_LANGUAGE)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    if not chunks:
        click.echo(
            "the knowledge base has no English documents (it is empty, or in other languages only)"
        )
        return
    # one reading of the words for the gaps and the mentioned topics (on a large help
    # centre it takes seconds), a second for the articles of the mentioned ones only
    said = mentioned("\n".join(words for _, words in chunks))
    topics = not_mentioned(said)
    if topics:
        click.echo(
            f"{len(topics)} common topics the help centre never mentions; a question that "
            "names one and reads like it is told so and offered a person:"
        )
    for topic in topics:
        words = ", ".join(topic.words[:4])
        more = ", ..." if len(topic.words) > 4 else ""
        click.echo(f'  {topic.topic}: "{topic.asked[0]}" (its words: {words}{more})')
    if said:
        click.echo(
            f"{len(said)} common topics it mentions, each with the word that mentions it and"
            " the articles that do. A question about one is answered only from those"
            " articles: one whose best article is another is told it is not covered (a"
            " topic named in passing, a material but not how to wash it, reads so):"
        )
        where = articles_mentioning(chunks, [t for t in common_topics() if t.topic in said])
        for topic, word in said.items():
            keys = sorted(filter(None, (article_key(a) for a in where.get(topic, ()))))
            click.echo(f"  {topic} ('{word}'): {', '.join(keys) or 'no article named'}")
    click.echo(
        "To answer a topic, add an article or a section that covers it and run"
        " `switchboard kb ingest` again; the dashboard's support report counts the"
        ' questions asked about each ("Asked about, not in the help centre").'
    )
    click.echo("the topics and all their words: knowledge/common_questions.yaml")


@kb.command()
@click.argument("document_id", required=False)
@click.option(
    "--all-demo",
    is_flag=True,
    help="remove every document of the demo help centre (demo/help_centre)",
)
@click.pass_context
def remove(ctx: click.Context, document_id: str | None, all_demo: bool) -> None:
    """Remove one document (its id is shown by `kb list`), or with --all-demo the demo
    help centre's documents."""
    from knowledge import DocumentNotFound

    if (document_id is None) == (not all_demo):
        raise click.UsageError("give either a DOCUMENT_ID or --all-demo")
    base = _open(ctx, model_needed=False)  # removing encodes nothing
    try:
        if all_demo:
            click.echo(f"removed {_remove_demo(base)} demo help centre documents")
            return
        base.remove(document_id)
    except DocumentNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        base.close()
    click.echo(f"removed {document_id}")


def _remove_demo(base: Any) -> int:
    from demo.help_centre import demo_document_ids

    found = demo_document_ids(base)
    base.remove_many(found)
    return len(found)
