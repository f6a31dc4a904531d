"""A reply's Markdown as each channel shows it: the one renderer the adapters share.

Web chat shows Markdown as written (the widget renders it); email gets plain text and
HTML (`render_mail`); SMS gets plain text that fits Twilio's limit (`render_sms`); an
answer quoted from an article gets a source line where Markdown cannot show
(`answer_text`). An agent's Slack text becomes Markdown in `slack_text.py`; Markdown
is turned into text in `markdown.py` and nowhere else.
"""

from channels.rendering.answers import (
    MARKDOWN_CHANNELS,
    PLAIN_ANSWER_MAX_CHARS,
    SourcedAnswer,
    answer_text,
)
from channels.rendering.mail import MailBody, render_mail
from channels.rendering.markdown import LinkStyle, shorten, to_html, to_text
from channels.rendering.slack_text import (
    after_opening_mentions,
    mentioned_users,
    to_markdown,
    to_plain,
)
from channels.rendering.sms import MAX_BODY_CHARS, SmsText, plain_text, render_sms

__all__ = [
    "MARKDOWN_CHANNELS",
    "MAX_BODY_CHARS",
    "PLAIN_ANSWER_MAX_CHARS",
    "LinkStyle",
    "MailBody",
    "SmsText",
    "SourcedAnswer",
    "after_opening_mentions",
    "answer_text",
    "mentioned_users",
    "plain_text",
    "render_mail",
    "render_sms",
    "shorten",
    "to_html",
    "to_markdown",
    "to_plain",
    "to_text",
]
