"""Replies are short Markdown (paragraphs, lists, emphasis, links, as the web widget
shows them): a mail carries them as readable plain text and as simple HTML.

HTML comes from markdown-it-py with raw HTML off (it is escaped) and its link check on
(no `javascript:` or `data:` links).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": False, "breaks": True})


def as_html(markdown: str) -> str:
    body = _RENDERER.render(markdown)
    return f"<!DOCTYPE html>\n<html><body>\n{body}</body></html>\n"


def as_plain_text(markdown: str) -> str:
    """Links as `label (address)`, emphasis marks dropped, the rest as written."""
    text = re.sub(r"!?\[([^\]]+)\]\(([^)\s]+)\)", r"\1 (\2)", markdown)
    text = re.sub(r"(\*\*|__)(\S(?:.*?\S)?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](\S(?:.*?\S)?)[*_](?![\w*])", r"\1", text)
    return text.strip() + "\n"
