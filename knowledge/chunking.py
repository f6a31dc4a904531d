"""Splitting documents into chunks the encoder sees whole.

all-MiniLM-L6-v2 was trained on 128-token inputs and truncates at 256 word pieces. A
chunk holds one section, or, when a section is long, consecutive paragraphs of it up to
`MAX_WORDS` words (about 130 to 200 word pieces with the titles in front). A paragraph
longer than that is cut at sentence ends. Every chunk keeps its document title and
section heading; both are embedded with it ("title — section: text").

Views: a chunk may be embedded several times, each vector pointing at the same chunk,
so a question can match what people ask as well as what the article says (issue 14).
The kinds: "text" (title — heading: text, always), "question" (an FAQ entry's question
alone), "section_text" (heading: text, without the article's title), "heading" (the
heading alone, on a section's first chunk), "title_heading" (title — heading) and
"title" (the article's title alone, on its first chunk). "asked" views are not made
here: they are how customers ask (front matter `asked:`), attached at ingest to the chunk
they are closest to (`knowledge.asked_views`).

`DEFAULT_VIEWS` is what bench/kb_help_centre.py measured best on 112 paraphrased
customer questions (all-MiniLM-L6-v2, no FAQ strictness): text, question and
section_text, recall@1 0.857 against 0.848 for the views from before. The short views
(heading, title and heading, title) lost there: recall@1 0.821 with every kind, and
confidently wrong answers 0.018 -> 0.089, since a short view scores high against any
short query that shares a word ("Storing" for "can you hold a jacket for me"); without
the title, "heading: text" tells an article's sections apart a little better. They are
kept selectable for other encoders and knowledge bases. `TEXT_VIEWS` is the set from
before issue 14 (text, FAQ question), the benchmarks' reference.
"""

from __future__ import annotations

import re

from knowledge.records import Chunk, Section, SourceDocument, article_key

__all__ = [
    "DEFAULT_VIEWS",
    "MAX_WORDS",
    "TEXT_VIEWS",
    "VIEW_KINDS",
    "chunk_document",
    "split_text",
]

VIEW_KINDS = frozenset(
    {"text", "question", "section_text", "heading", "title_heading", "title", "asked"}
)
DEFAULT_VIEWS = frozenset({"text", "question", "section_text", "asked"})
TEXT_VIEWS = frozenset({"text", "question"})

MAX_WORDS = 150
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _words(text: str) -> int:
    return len(text.split())


def _split_long_paragraph(paragraph: str, max_words: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        while _words(sentence) > max_words:  # one enormous sentence: cut by words
            words = sentence.split()
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.append(" ".join(words[:max_words]))
            sentence = " ".join(words[max_words:])
        if current and _words(" ".join([*current, sentence])) > max_words:
            pieces.append(" ".join(current))
            current = []
        if sentence:
            current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def split_text(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Paragraph-aligned pieces of at most `max_words` words each."""
    paragraphs: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if _words(paragraph) > max_words:
            paragraphs.extend(_split_long_paragraph(paragraph, max_words))
        else:
            paragraphs.append(paragraph)
    pieces: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs:
        if current and _words("\n\n".join([*current, paragraph])) > max_words:
            pieces.append("\n\n".join(current))
            current = []
        current.append(paragraph)
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _faq_article(document: SourceDocument, section: Section) -> str:
    """An FAQ entry belongs to the article its URL names; without a URL it is an article
    of its own (one file often holds many unrelated entries, e.g. StackFAQ)."""
    if section.url or document.url:
        return article_key(section.url or document.url or "")
    return f"{document.path}#{section.question}"


def _chunks_of_section(
    document: SourceDocument,
    section: Section,
    max_words: int,
    views: frozenset[str],
    opens_document: bool,
) -> list[Chunk]:
    source = section.url or document.url or document.path
    language = section.language or document.language
    if section.question:
        article = _faq_article(document, section)
    else:
        article = article_key(document.url or document.path)
    chunks = []
    for position, piece in enumerate(split_text(section.text, max_words)):
        draft = Chunk(document.title, section.heading, piece, source)
        named: list[tuple[str, str]] = []
        if section.question:  # every piece of an answer is an answer to its question
            named.append(("question", section.question))
        named.append(("text", draft.embed_text))
        heading = section.heading if section.heading != document.title else ""
        if not section.question:
            named.append(("section_text", f"{heading}: {piece}" if heading else piece))
        if position == 0 and heading and not section.question:
            named.append(("heading", heading))
            named.append(("title_heading", f"{document.title} — {heading}"))
        if position == 0 and opens_document and not section.question:
            named.append(("title", document.title))
        kept: dict[str, str] = {}
        for kind, text in named:
            if (kind in views or kind == "text") and text not in kept.values():
                kept[kind] = text
        chunks.append(
            Chunk(
                document.title,
                section.heading,
                piece,
                source,
                tuple(kept.values()),
                tuple(kept),
                article,
                section.question,
                language,
            )
        )
    return chunks


def chunk_document(
    document: SourceDocument, max_words: int = MAX_WORDS, views: frozenset[str] = DEFAULT_VIEWS
) -> list[Chunk]:
    """The document's chunks, each with the views in `views` ("text" is always there)."""
    return [
        chunk
        for number, section in enumerate(document.sections)
        for chunk in _chunks_of_section(document, section, max_words, views, number == 0)
    ]
