"""Reading help content from files: Markdown, HTML, plain text and FAQ lists.

Each reader turns a file's text into a `SourceDocument` (title and sections). Files that
cannot be decoded as UTF-8 text, hold NUL bytes, or have broken front matter raise
`UnreadableFile`; the ingest skips them with a warning naming the file.

Languages: a document is English unless it says otherwise: `language: es` in Markdown
front matter, `<html lang="es">`, or a `language` column or key on FAQ entries (each
entry may differ; the file's language is its most common one). Codes are kept as their
primary subtag in lower case ("es-MX" -> "es"), since the bot's language detector
answers with ISO 639-1 codes; a value that is not a language code is logged and the
document stays English.

How customers ask: Markdown front matter may list, under `asked:`, the ways customers
ask for the article ("when do i get my money back"), one `  - ` line each. A help centre
is written in its own words; customers write in theirs, and the shipped encoder matches a
slangy or situational question to another question far better than to the article's
prose. Each phrasing becomes an "asked" view of the article's closest chunk (see
`knowledge.base`), so it can lead the customer to the article but is never shown.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.records import DEFAULT_LANGUAGE, Section, SourceDocument

__all__ = [
    "NO_TEXT",
    "SUPPORTED_SUFFIXES",
    "UNSUPPORTED_TYPE",
    "UnreadableFile",
    "discover_files",
    "language_code",
    "parse_document",
]

log = logging.getLogger("knowledge")
MAX_ASKED_CHARS = 300  # a phrasing is a question, not a paragraph; longer lines are dropped
_LANGUAGE = re.compile(r"[a-z]{2,3}")

ARTICLE_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".txt"}
FAQ_SUFFIXES = {".csv", ".yaml", ".yml", ".json"}
SUPPORTED_SUFFIXES = ARTICLE_SUFFIXES | FAQ_SUFFIXES
UNSUPPORTED_TYPE = "unsupported file type"  # why a file of another type was skipped
# Why a help file with no text was skipped (a placeholder): listed, not an error.
NO_TEXT = "no text to answer from"

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


class UnreadableFile(KnowledgeError):
    """A file that is binary, not UTF-8, or not in the format its name promises."""


def discover_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Files to ingest under `paths` (folders recursively, sorted) and the files we
    cannot handle: named paths that are missing or of another type, and files of another
    type inside the folders (a PDF among the articles), so the author hears which of
    their files were not read. Hidden files and folders (.git, .DS_Store) are ignored:
    nobody meant those as help content."""
    found: list[Path] = []
    unsupported: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if hidden or not child.is_file():
                    continue
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(child)
                else:
                    unsupported.append(child)
        elif path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            found.append(path)
        else:
            unsupported.append(path)
    return list(dict.fromkeys(p.resolve() for p in found)), unsupported


def decode_text(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:8192]:
        raise UnreadableFile(f"{path}: binary file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: not UTF-8 text ({exc.reason})") from None


def language_code(value: object, path: Path | str) -> str | None:
    """The primary language subtag of `value` ("es-MX" -> "es"), None when empty or
    not a language code (logged, naming the file)."""
    text = str(value or "").strip().lower().replace("_", "-")
    if not text:
        return None
    primary = text.split("-", 1)[0]
    if _LANGUAGE.fullmatch(primary):
        return primary
    log.warning("%s: %r is not a language code; treating it as %s", path, value, DEFAULT_LANGUAGE)
    return None


def parse_document(path: Path, raw: bytes) -> SourceDocument:
    text = decode_text(raw, path)
    suffix = path.suffix.lower()
    if suffix in {".md", ".markdown"}:
        return parse_markdown(text, path)
    if suffix in {".html", ".htm"}:
        return parse_html(text, path)
    if suffix in FAQ_SUFFIXES:
        return parse_faq(text, path)
    return parse_plain(text, path)


def _front_matter(text: str, path: Path) -> tuple[dict[str, str], dict[str, list[str]], str]:
    """Optional `---` block at the top of Markdown: `key: value` lines (title, url,
    language) and lists (`asked:` followed by `  - item` lines), then the body.

    Decided: a value that opens a bracket or a quote and never closes it (`title:
    [unclosed`, `title: "Refunds`) makes the file unreadable (`UnreadableFile`, naming
    the line), so the ingest skips and lists it instead of ingesting it with a warning:
    the author meant something this reader cannot see, and ingesting it would show
    customers, and cite, a title such as "[unclosed". A version ingested before stays as
    it was until the file is fixed. Not a YAML parser: PyYAML refuses blocks the authors
    here write and this reader reads well (`asked: [..., money back?]`), so only what
    cannot mean anything is refused."""
    if not text.startswith("---\n"):
        return {}, {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, {}, text
    meta: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    current: list[str] | None = None
    # Line 1 of the file is the opening `---`.
    for number, line in enumerate(text[4:end].splitlines(), start=2):
        item = line.strip()
        if current is not None and item.startswith("- "):
            value = _front_matter_value(item[2:], path, number)
            if value:
                current.append(value)
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        value = _front_matter_value(value, path, number)
        if value:
            meta[key], current = value, None
        else:  # `asked:` alone on its line opens a list
            current = lists.setdefault(key, [])
    return meta, lists, text[end + 4 :].lstrip("\n")


_CLOSERS = {"[": "]", "{": "}", '"': '"', "'": "'"}


def _front_matter_value(raw: str, path: Path, line: int) -> str:
    """A front matter value without its quotes; an unclosed bracket or quote raises
    `UnreadableFile` (see `_front_matter`)."""
    value = raw.strip()
    closer = _CLOSERS.get(value[:1])
    if closer is not None and (len(value) == 1 or not value.endswith(closer)):
        raise UnreadableFile(
            f"{path}: broken front matter at line {line}: {value!r} opens a {value[0]} "
            "it does not close"
        )
    return value.strip("\"'")


def parse_markdown(text: str, path: Path) -> SourceDocument:
    meta, lists, body = _front_matter(text, path)
    title = meta.get("title", "")
    sections: list[Section] = []
    heading, lines = "", []
    in_fence = False

    def flush() -> None:
        content = "\n".join(lines).strip()
        if content:
            sections.append(Section(heading=heading, text=content))

    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        level, name = len(match.group(1)), match.group(2).strip()
        if level == 1 and not title:
            title = name
            continue
        flush()
        heading, lines = name, []
    flush()
    language = language_code(meta.get("language") or meta.get("lang"), path) or DEFAULT_LANGUAGE
    if "asked" in meta:  # `asked: [a, b]` or `asked: a`: not read, and the author should know
        log.warning("%s: write `asked:` alone on its line, then one `  - ` line a phrasing", path)
    listed = lists.get("asked", [])
    asked = tuple(dict.fromkeys(q for q in listed if len(q) <= MAX_ASKED_CHARS))
    if any(len(q) > MAX_ASKED_CHARS for q in listed):
        log.warning("%s: `asked:` lines over %d characters are not read", path, MAX_ASKED_CHARS)
    return SourceDocument(
        str(path), title or _title_from_name(path), meta.get("url"), sections, language, asked
    )


class _HtmlSections(HTMLParser):
    BLOCKS = frozenset({"p", "li", "div", "br", "tr", "section", "article", "pre", "blockquote"})
    SKIP = frozenset({"script", "style", "nav", "footer", "head", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1 = ""
        self.lang = ""
        self.sections: list[tuple[str, list[str]]] = [("", [])]
        self._heading: list[str] | None = None
        self._in_title = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = self.lang or (dict(attrs).get("lang") or "")
        if tag in self.SKIP and tag != "head":
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        elif tag in self.BLOCKS:
            self.sections[-1][1].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and tag != "head":
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            name = " ".join("".join(self._heading).split())
            self._heading = None
            if tag == "h1" and not self.h1:
                self.h1 = name
            elif name:
                self.sections.append((name, []))
        elif tag in self.BLOCKS:
            self.sections[-1][1].append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title = self.title or data.strip()
        elif self._heading is not None:
            self._heading.append(data)
        else:
            self.sections[-1][1].append(data)


def parse_html(text: str, path: Path) -> SourceDocument:
    parser = _HtmlSections()
    parser.feed(text)
    parser.close()
    sections = []
    for heading, parts in parser.sections:
        paragraphs = [" ".join(p.split()) for p in "".join(parts).split("\n")]
        body = "\n\n".join(p for p in paragraphs if p)
        if body:
            sections.append(Section(heading=heading, text=body))
    title = parser.h1 or parser.title or _title_from_name(path)
    language = language_code(parser.lang, path) or DEFAULT_LANGUAGE
    return SourceDocument(str(path), title, None, sections, language)


def parse_plain(text: str, path: Path) -> SourceDocument:
    body = text.strip()
    sections = [Section(heading="", text=body)] if body else []
    return SourceDocument(str(path), _title_from_name(path), None, sections)


def parse_faq(text: str, path: Path) -> SourceDocument:
    """CSV with `question,answer[,url,title]` columns, or a YAML/JSON list of the same."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            reader = csv.DictReader(io.StringIO(text))
            rows: Any = list(reader)
            _check_faq_columns(reader.fieldnames, path)
        elif suffix == ".json":
            rows = json.loads(text)
        else:
            import yaml

            rows = yaml.safe_load(text)
    except (ValueError, csv.Error) as exc:
        raise UnreadableFile(f"{path}: not a valid FAQ file ({exc})") from None
    except Exception as exc:  # yaml.YAMLError without importing yaml at module level
        raise UnreadableFile(f"{path}: not a valid FAQ file ({exc})") from None
    if isinstance(rows, dict):
        rows = rows.get("faq") or rows.get("questions") or []
    if not isinstance(rows, list):
        raise UnreadableFile(f"{path}: an FAQ file must be a list of question/answer entries")
    sections: list[Section] = []
    title = _title_from_name(path)
    for row in rows:
        if not isinstance(row, dict):
            continue
        question = str(row.get("question") or "").strip()
        answer = row.get("answer")
        if isinstance(answer, list):
            answer = "\n\n".join(str(a) for a in answer)
        answer = str(answer or "").strip()
        if not question or not answer:
            continue
        url = str(row.get("url") or "").strip() or None
        entry_title = str(row.get("title") or "").strip()
        heading = f"{entry_title}: {question}" if entry_title else question
        language = language_code(row.get("language"), path) or DEFAULT_LANGUAGE
        sections.append(Section(heading, answer, url, question, language))
    if not sections and rows:
        raise UnreadableFile(f"{path}: no entries with both a question and an answer")
    counts = Counter(section.language for section in sections)
    language = counts.most_common(1)[0][0] if counts else DEFAULT_LANGUAGE
    return SourceDocument(str(path), title, None, sections, language or DEFAULT_LANGUAGE)


def _check_faq_columns(header: Sequence[str] | None, path: Path) -> None:
    """A CSV whose header lacks a question or an answer column can hold no entry; say
    so even when it has no rows yet, rather than ingest it as an empty document. (An
    empty file, or only the right header, is an FAQ with no entries: it empties the
    document, as removing every row should.)"""
    columns = list(header or ())
    missing = [name for name in ("question", "answer") if name not in columns]
    if header is not None and missing:
        raise UnreadableFile(
            f"{path}: an FAQ CSV needs question and answer columns; its header has "
            f"{', '.join(columns) or 'none'} (missing: {', '.join(missing)})"
        )


def _title_from_name(path: Path) -> str:
    if path.stem.lower() in {"faq", "faqs"}:
        return "Frequently asked questions"
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name
