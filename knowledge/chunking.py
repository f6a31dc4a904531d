"""Splitting documents into chunks the encoder sees whole.

all-MiniLM-L6-v2 was trained on 128-token inputs and truncates at 256 word pieces. A
chunk holds one section, or, when a section is long, consecutive paragraphs of it up to
`MAX_WORDS` words (about 130 to 200 word pieces with the titles in front). A paragraph
longer than that is cut at sentence ends. Every chunk keeps its document title and
section heading; both are embedded with it ("title — section: text").
"""

from __future__ import annotations

import re

from knowledge.records import Chunk, Section, SourceDocument

__all__ = ["MAX_WORDS", "chunk_document", "split_text"]

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


def _chunks_of_section(document: SourceDocument, section: Section, max_words: int) -> list[Chunk]:
    source = section.url or document.url or document.path
    chunks = []
    for piece in split_text(section.text, max_words):
        draft = Chunk(document.title, section.heading, piece, source)
        views = (draft.embed_text,)
        if section.question:
            views = (section.question, draft.embed_text)
        chunks.append(Chunk(document.title, section.heading, piece, source, views))
    return chunks


def chunk_document(document: SourceDocument, max_words: int = MAX_WORDS) -> list[Chunk]:
    return [
        chunk
        for section in document.sections
        for chunk in _chunks_of_section(document, section, max_words)
    ]
