"""An answer quoted from an article, as each channel shows it.

Where Markdown shows (web chat, email, Slack) the answer goes out as the knowledge base
wrote it, its source cited in Markdown. Elsewhere (SMS, the terminal) it becomes plain
text short enough for a phone, with the source in a last line a person can read out:
`Source: Refunds — How long do refunds take?, https://help.example/refunds`.
"""

from __future__ import annotations

from typing import Protocol

from channels.messages import Channel
from channels.rendering.markdown import LinkStyle, shorten, to_text

__all__ = ["MARKDOWN_CHANNELS", "PLAIN_ANSWER_MAX_CHARS", "SourcedAnswer", "answer_text"]

MARKDOWN_CHANNELS = frozenset({Channel.WEB, Channel.EMAIL, Channel.SLACK})
PLAIN_ANSWER_MAX_CHARS = 480  # about three SMS segments, the source line included
_MIN_BODY_CHARS = 80


class SourcedAnswer(Protocol):
    """An answer taken from an article; the knowledge base's `KnowledgeAnswer` is one."""

    @property
    def text(self) -> str:
        """The answer in Markdown, its source cited at the end."""
        ...

    @property
    def body(self) -> str | None:
        """The article's passage alone, in Markdown; None when nothing was quoted."""
        ...

    @property
    def source_title(self) -> str | None:
        """The title (and section) a customer recognises."""
        ...

    @property
    def source_link(self) -> str | None:
        """The article's URL; None when it has none (cited by its title alone)."""
        ...


def answer_text(answer: SourcedAnswer, channel: str) -> str:
    """The reply `channel` shows for `answer`: its Markdown, or plain text with a source
    line where Markdown would show as symbols (any channel not known to show Markdown)."""
    if channel in MARKDOWN_CHANNELS or answer.body is None:
        return answer.text
    link = f", {answer.source_link}" if answer.source_link else ""
    footer = f"\n\nSource: {answer.source_title}{link}"
    budget = max(_MIN_BODY_CHARS, PLAIN_ANSWER_MAX_CHARS - len(footer))
    body = shorten(to_text(answer.body, links=LinkStyle.IN_PARENTHESES), budget, ellipsis="…")
    return body + footer
