"""The one Markdown renderer the channels share: link styles, mail parts, quoted answers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from channels.rendering import (
    PLAIN_ANSWER_MAX_CHARS,
    LinkStyle,
    answer_text,
    render_mail,
    shorten,
    to_text,
)

MARKDOWN = "## Refunds\n\n**Refunds** take *5 days*, see [the page](https://help.example/r)."


@dataclass(frozen=True)
class Answer:
    text: str
    body: str | None
    source_title: str | None = "Refunds"
    source_link: str | None = "https://help.example/r"


def test_links_are_written_out_after_a_colon_or_in_parentheses() -> None:
    assert to_text(MARKDOWN, links=LinkStyle.AFTER_COLON) == (
        "Refunds\n\nRefunds take 5 days, see the page: https://help.example/r."
    )
    assert to_text(MARKDOWN, links=LinkStyle.IN_PARENTHESES) == (
        "Refunds\n\nRefunds take 5 days, see the page (https://help.example/r)."
    )
    bare = "[https://help.example/r](https://help.example/r) and ![](https://x.example/i.png)"
    assert to_text(bare, links=LinkStyle.IN_PARENTHESES) == (
        "https://help.example/r and https://x.example/i.png"
    )


def test_a_mail_gets_the_same_plain_text_and_safe_html() -> None:
    body = render_mail(MARKDOWN)
    assert body.text == to_text(MARKDOWN, links=LinkStyle.IN_PARENTHESES) + "\n"
    assert body.html.startswith("<!DOCTYPE html>\n<html><body>\n<h2>Refunds</h2>")
    assert '<a href="https://help.example/r">the page</a>' in body.html


def test_a_bare_web_address_is_a_link_in_the_mails_html_and_a_domain_alone_is_not() -> None:
    """A tracking page or a campaign's unsubscribe link written bare is clickable in the
    HTML part, as in the widget; "acme.com" and an email address stay text."""
    body = render_mail(
        "Your parcel: https://track.example/1Z999?ref=a.\n\n---\n"
        "Unsubscribe: https://shop.example/u/tok\n\nacme.com or help@acme.com"
    )
    assert '<a href="https://track.example/1Z999?ref=a">https://track.example/1Z999?ref=a</a>.' in (
        body.html
    )
    assert '<a href="https://shop.example/u/tok">' in body.html
    assert "acme.com or help@acme.com" in body.html and body.html.count("<a ") == 2
    assert "Unsubscribe: https://shop.example/u/tok" in body.text
    assert "<a " not in render_mail("javascript:alert(1) and data:text/html,x").html
    # Web pages only: no protocol-relative, ftp or mailto links made from bare text.
    others = render_mail("//evil.example/x ftp://files.example/f mailto:help@acme.com").html
    assert "<a " not in others


def test_shorten_keeps_whole_sentences_or_cuts_at_a_word() -> None:
    assert shorten("Short.", 10) == "Short."
    assert shorten("One two. Three four five six.", 20) == "One two."
    assert shorten("one two three four five six", 15) == "one two..."
    assert shorten("one two three four five six", 15, ellipsis="…") == "one two three…"


@pytest.mark.parametrize("channel", ["web", "email", "slack"])
def test_markdown_channels_show_the_answer_as_written(channel: str) -> None:
    answer = Answer(text="**Yes.**\n\n_Source: [Refunds](https://help.example/r)_", body="**Yes.**")
    assert answer_text(answer, channel) == answer.text


@pytest.mark.parametrize("channel", ["sms", "terminal", "whatsapp"])
def test_other_channels_get_plain_text_with_a_source_line(channel: str) -> None:
    answer = Answer(text="ignored", body="Refunds take **5 days**. " * 40)
    text = answer_text(answer, channel)
    assert text.endswith("5 days.\n\nSource: Refunds, https://help.example/r")
    assert "**" not in text and len(text) <= PLAIN_ANSWER_MAX_CHARS


def test_an_answer_that_quotes_nothing_is_shown_as_written() -> None:
    answer = Answer(text="I'm not sure I have a good answer to that.", body=None)
    assert answer_text(answer, "sms") == answer.text
