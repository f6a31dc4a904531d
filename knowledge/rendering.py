"""Turning a passage into a reply for a channel: plain text for SMS, short Markdown for
web chat and email. The channel is a plain string; this layer knows no adapters."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePath

from knowledge.records import Passage

__all__ = ["MARKDOWN_CHANNELS", "SMS_MAX_CHARS", "render_passage", "source_label", "strip_markdown"]

MARKDOWN_CHANNELS = {"web", "email", "slack"}
SMS_MAX_CHARS = 480
WEB_MAX_WORDS = 120


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def source_label(passage: Passage) -> str:
    """The title (and section) a customer can recognise."""
    if passage.section and passage.section != passage.title:
        return f"{passage.title} — {passage.section}"
    return passage.title


def strip_markdown(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1 (\2)", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__|`)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](\S(?:.*?\S)?)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"^\s*[*+]\s+", "- ", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > max_chars // 3 else cut.rsplit(" ", 1)[0] + "…"


def _shorten_words(text: str, max_words: int) -> str:
    words = text.split(" ")
    if len(words) <= max_words:
        return text
    return _shorten(text, len(" ".join(words[:max_words])))


def unwrap(text: str) -> str:
    """Join hard-wrapped lines inside a paragraph; keep list items and blank lines."""
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*(?:\n|[-*+>]\s|\d+[.)]\s))[ \t]*", " ", text)


def render_passage(passage: Passage, channel: str) -> str:
    """The reply text for `channel` ("sms", "web", "email", ...), ending with its source."""
    source = passage.source
    passage = replace(passage, text=unwrap(passage.text))
    if channel in MARKDOWN_CHANNELS:
        body = _shorten_words(passage.text.strip(), WEB_MAX_WORDS)
        label = source_label(passage)
        cite = f"[{label}]({source})" if is_url(source) else f"{label} ({PurePath(source).name})"
        return f"{body}\n\n_Source: {cite}_"
    where = source if is_url(source) else PurePath(source).name
    footer = f"\n\nSource: {source_label(passage)}, {where}"
    body = _shorten(strip_markdown(passage.text), max(80, SMS_MAX_CHARS - len(footer)))
    return body + footer
