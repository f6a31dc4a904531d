"""A reply's Markdown as a mail carries it: readable plain text and simple HTML."""

from __future__ import annotations

from dataclasses import dataclass

from channels.rendering.markdown import LinkStyle, to_html, to_text

__all__ = ["MailBody", "render_mail"]


@dataclass(frozen=True, slots=True)
class MailBody:
    """The two alternatives of a mail: `text/plain` and `text/html`."""

    text: str
    html: str


def render_mail(markdown: str) -> MailBody:
    """The plain-text part (links as `label (address)`) and a whole HTML document."""
    text = to_text(markdown, links=LinkStyle.IN_PARENTHESES) + "\n"
    html = f"<!DOCTYPE html>\n<html><body>\n{to_html(markdown)}</body></html>\n"
    return MailBody(text, html)
