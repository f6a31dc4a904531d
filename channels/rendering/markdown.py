"""Markdown as plain text and as HTML: the one place a reply's Markdown is converted.

Replies are short Markdown (paragraphs, lists, emphasis, links), as the knowledge base,
the Slack thread and the web widget write and show them. A channel that cannot show
Markdown gets plain text: emphasis, heading, quote and code marks dropped, bullets as
dashes, images and links written out with their address (after a colon for a phone,
in parentheses for a mail or a quoted answer), `~~strike~~` as its words. HTML comes
from markdown-it-py with raw HTML off (it is escaped), its link check on (no
`javascript:` or `data:` links), and bare http(s) addresses made links.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import partial

from markdown_it import MarkdownIt

__all__ = ["LinkStyle", "shorten", "to_html", "to_text"]

_HTML = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True}).enable(
    ["strikethrough", "linkify"]
)
# A bare address with its scheme is a link in the mail's HTML, as in the widget (a
# tracking page, a campaign's unsubscribe link); "acme.com" or an email address alone
# stays text, as the plain-text part writes it.
_HTML.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
for _schema in ("//", "ftp:", "mailto:"):  # linkify-it's other defaults: not web pages
    _HTML.linkify.add(_schema, None)
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)")


class LinkStyle(StrEnum):
    """How a link `[label](address)` is written out in plain text."""

    AFTER_COLON = "after_colon"  # "label: address", the address alone on a phone
    IN_PARENTHESES = "in_parentheses"  # "label (address)", as a mail quotes a link


def to_text(markdown: str, *, links: LinkStyle) -> str:
    """`markdown` as plain text, its links written out in the style `links` asks for."""
    text = re.sub(r"```[^\n]*\n(.*?)```", r"\1", markdown, flags=re.DOTALL)
    text = _LINK.sub(partial(_written_out, links), text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}>[ \t]?", "", text, flags=re.MULTILINE)
    text = re.sub(r"^([ \t]*)[*+][ \t]+", r"\1- ", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(\S(?:.*?\S)?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w/])_(\S(?:.*?\S)?)_(?![\w/])", r"\1", text)
    text = re.sub(r"~~(\S(?:.*?\S)?)~~", r"\1", text)
    # A code span opens and closes with the same run of backticks (CommonMark): Slack's
    # one-line ```SAVE15``` is one, and lost only one backtick a side to a one-tick rule.
    text = re.sub(r"(`+)([^`\n](?:[^\n]*?[^`\n])?)\1(?!`)", r"\2", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _written_out(style: LinkStyle, match: re.Match[str]) -> str:
    label, address = match.group(1).strip(), match.group(2)
    if not label or label == address:
        return address
    if style is LinkStyle.AFTER_COLON:
        return f"{label}: {address}"
    return f"{label} ({address})"


def to_html(markdown: str) -> str:
    """`markdown` as an HTML fragment that is safe to show (no raw HTML, no script links)."""
    return _HTML.render(markdown)


def shorten(text: str, max_chars: int, *, ellipsis: str = "...") -> str:
    """`text` if it fits in `max_chars`; otherwise its first sentences that fit or, when
    the first sentence alone is too long, its first words and `ellipsis`."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("? "), cut.rfind("! "))
    if end > max_chars // 3:
        return cut[: end + 1]
    return cut[: max_chars - len(ellipsis)].rsplit(" ", 1)[0].rstrip() + ellipsis
