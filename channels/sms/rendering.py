"""Text for an SMS: plain, links bare, never longer than Twilio takes.

Bot, agent and campaign texts may be Markdown (the knowledge base and the Slack thread
write it). A phone shows Markdown as symbols, so emphasis and headings lose their marks,
`[label](url)` becomes `label: url` and list bullets become dashes. A text still longer
than the limit is cut to its first sentences with the article's link after them.

Typographic punctuation (dashes, curly quotes, the ellipsis, odd spaces) is written with
its plain GSM-7 lookalike: one em dash would otherwise make the whole text UCS-2, which
more than doubles the segments it costs. Letters and emoji are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    body: str
    shortened: bool


def plain_text(markdown: str) -> str:
    text = re.sub(r"```[^\n]*\n(.*?)```", r"\1", markdown, flags=re.DOTALL)
    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)", _link, text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)", _link, text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}>[ \t]?", "", text, flags=re.MULTILINE)
    text = re.sub(r"^([ \t]*)[*+][ \t]+", r"\1- ", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(\S(?:.*?\S)?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w/])_(\S(?:.*?\S)?)_(?![\w/])", r"\1", text)
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text.translate(_GSM_LOOKALIKES)


def _link(match: re.Match[str]) -> str:
    label, url = match.group(1).strip(), match.group(2)
    return url if not label or label == url else f"{label}: {url}"


def _summary(text: str, budget: int) -> str:
    """The first sentences of `text` that fit in `budget` characters."""
    cut = text[:budget]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("? "), cut.rfind("! "))
    if end > budget // 3:
        return cut[: end + 1].rstrip()
    return cut[: budget - 3].rsplit(" ", 1)[0].rstrip() + "..."


def render_sms(text: str, *, link: str | None = None, max_chars: int = MAX_BODY_CHARS) -> SmsText:
    """The SMS body for a reply. `link` is the article the answer came from, if any;
    without one, the last link in the text stands for it when the text is cut."""
    body = plain_text(text)
    if len(body) <= max_chars:
        return SmsText(body, shortened=False)
    links = _URL.findall(body)
    link = link or (links[-1] if links else None)
    if link is None or len(link) + len(_MORE) > max_chars // 2:
        return SmsText(_summary(body, max_chars), shortened=True)
    return SmsText(_summary(body, max_chars - len(_MORE) - len(link)) + _MORE + link, True)
