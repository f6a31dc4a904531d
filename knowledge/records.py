"""Plain values the knowledge layer hands out and takes in."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_LANGUAGE",
    "Chunk",
    "DocumentInfo",
    "IngestProgress",
    "IngestSummary",
    "Passage",
    "Section",
    "SkippedFile",
    "SourceDocument",
    "article_key",
]


DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the text under it. `url` overrides the document's (FAQ entries)."""

    heading: str
    text: str
    url: str | None = None
    # FAQ entries: the question alone is also embedded (paraphrases match it best).
    question: str | None = None
    language: str | None = None  # FAQ entries with their own `language`; else the document's


@dataclass(frozen=True, slots=True)
class SourceDocument:
    path: str
    title: str
    url: str | None
    sections: list[Section]
    language: str = DEFAULT_LANGUAGE  # ISO 639-1 code, from front matter, `<html lang>`...
    asked: tuple[str, ...] = ()  # how customers ask for it (front matter `asked:`)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document sized for the encoder, with the titles that frame it."""

    title: str
    section: str
    text: str
    source: str
    views: tuple[str, ...] = field(default=())  # the texts embedded for this chunk
    # What each view is, in order ("text", "question", "section_text"...; see chunking).
    view_kinds: tuple[str, ...] = field(default=())
    article: str = ""  # the article key: passages with the same key are one article
    question: str | None = None  # FAQ entries: the question this chunk answers
    language: str = DEFAULT_LANGUAGE

    @property
    def embed_text(self) -> str:
        section = f"{self.section}: " if self.section and self.section != self.title else ""
        return f"{self.title} — {section}{self.text}"


@dataclass(frozen=True, slots=True)
class Passage:
    """One search hit. `score` ranks results; `similarity` is the dense cosine (confidence).

    `article` names the article the passage belongs to: its URL without a fragment, or
    its file's path when it has none (an FAQ entry without a URL is an article of its
    own: the file's path and `#` and the question). An FAQ entry with its article's URL
    has the same key as the article's sections, so search returns one or the other.
    `question` is set for FAQ entries (`is_faq`), and `question_similarity` is then the
    cosine between the query and that question alone.
    """

    document_id: str
    chunk_id: int
    title: str
    section: str
    source: str
    score: float
    text: str
    similarity: float = 0.0
    article: str = ""  # filled from `source` when not given
    question: str | None = None
    question_similarity: float = 0.0
    language: str = DEFAULT_LANGUAGE
    # Set when the article was found through how customers ask (an "asked" view scored
    # higher than the passage's own words): the cosine on its own words. Routing answers
    # in the probable zone below the threshold on this one, since that zone was
    # calibrated on article text, not on question-to-question matches.
    own_similarity: float | None = None
    # The question's probability of being about this passage's article, from the model
    # fitted on the help centre's own views (knowledge.article_classifier); None without one.
    article_probability: float | None = None

    def __post_init__(self) -> None:
        if not self.article:
            object.__setattr__(self, "article", article_key(self.source))

    @property
    def is_faq(self) -> bool:
        """An FAQ entry: a short answer written for one question (`question`)."""
        return self.question is not None


def article_key(source: str) -> str:
    """The article a passage cited as `source` belongs to: a URL without its fragment,
    or the file path as it is (see `Passage`)."""
    if source.startswith(("http://", "https://")):
        return source.split("#", 1)[0]
    return source


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    document_id: str
    path: str
    title: str
    chunks: int
    content_hash: str
    ingested_at: str
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file an ingest did not read, and why ("unsupported file type", "binary file")."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class IngestSummary:
    documents_added: int
    documents_updated: int
    documents_unchanged: int
    documents_removed: int
    chunks: int  # chunks embedded in this run
    seconds: float
    skipped: tuple[SkippedFile, ...] = ()  # files that could not be read, with why


@dataclass(frozen=True, slots=True)
class IngestProgress:
    files_done: int
    files_total: int
    chunks_done: int
    chunks_total: int
    current: str = ""
