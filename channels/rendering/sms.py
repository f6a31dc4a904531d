"""Text for an SMS: plain, links bare, never longer than Twilio takes.

Bot, agent and campaign texts may be Markdown (the knowledge base and the Slack thread
write it). A phone shows Markdown as symbols, so it goes out as plain text with
`[label](url)` written `label: url`. A text still longer than the limit is cut to its
first sentences with the article's link after them.

Typographic punctuation (dashes, curly quotes, the ellipsis, odd spaces) is written with
its plain GSM-7 lookalike, and the degree sign as a word: one em dash would otherwise
make the whole text UCS-2, which more than doubles the segments it costs. Letters and
emoji are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from channels.rendering.markdown import LinkStyle, shorten, to_text

__all__ = ["MAX_BODY_CHARS", "SmsText", "plain_text", "render_sms"]

MAX_BODY_CHARS = 1600  # Twilio refuses longer bodies
_URL = re.compile(r"https?://[^\s<>()]+[^\s<>().,;:!?'\"]")
_MORE = "\n\nMore: "

_GSM_LOOKALIKES = str.maketrans(
    {
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2012": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",  # minus sign
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2026": "...",
        "\u00a0": " ",  # no-break space
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",  # zero-width space
        "\u2022": "-",  # bullet
    }
)


@dataclass(frozen=True, slots=True)
class SmsText:
    """The body a phone gets, and whether it had to be cut to fit."""

    body: str
    shortened: bool


# The degree sign is not in the GSM alphabet either: "30 °C (86 °F)" in the demo's down
# care answer made it UCS-2, 6 segments instead of 3. Written out as a word.
_DEGREES_OF_A_SCALE = re.compile(r"(?<!\s)\s*°\s*(?=[CF]\b)")
_DEGREES = re.compile(r"(?<!\s)\s*°")


def plain_text(markdown: str) -> str:
    """`markdown` as a phone shows it: plain, links bare, GSM-7 punctuation."""
    text = to_text(markdown, links=LinkStyle.AFTER_COLON).translate(_GSM_LOOKALIKES)
    return _DEGREES.sub(" degrees", _DEGREES_OF_A_SCALE.sub(" degrees ", text))


def render_sms(text: str, *, link: str | None = None, max_chars: int = MAX_BODY_CHARS) -> SmsText:
    """The SMS body for a reply. `link` is the article the answer came from, if any;
    without one, the last link in the text stands for it when the text is cut."""
    body = plain_text(text)
    if len(body) <= max_chars:
        return SmsText(body, shortened=False)
    links = _URL.findall(body)
    link = link or (links[-1] if links else None)
    if link is None or len(link) + len(_MORE) > max_chars // 2:
        return SmsText(shorten(body, max_chars), shortened=True)
    return SmsText(shorten(body, max_chars - len(_MORE) - len(link)) + _MORE + link, True)
