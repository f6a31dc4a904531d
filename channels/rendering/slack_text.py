"""Slack's message text (mrkdwn) as a customer should read it: Markdown, or plain text.

Agents write in a Slack thread; what they write reaches customers by SMS, email and web
chat. Slack sends its text with control sequences in angle brackets and its own markup:
`<https://x|label>` links, `<@U123>` user mentions, `<#C123|name>` channels, `<!here>`
special mentions, `:smile:` shortcodes, `*bold*`, `_italic_`, `~strike~`, and `&amp;
&lt; &gt;` for the three characters it reserves. Here they become the Markdown the rest
of the renderer knows (`to_markdown`), from which every channel draws its own text; or
plain text (`to_plain`) where Markdown has no place.

Names for user mentions are looked up by the caller (an async Slack call, or the staff
directory) and handed in: `mentioned_users` says whom to look up. This module stays pure.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from channels.rendering.emoji import shortcode_emoji
from channels.rendering.markdown import LinkStyle, to_text

__all__ = [
    "UNKNOWN_PERSON",
    "after_opening_mentions",
    "mentioned_users",
    "to_markdown",
    "to_plain",
]

UNKNOWN_PERSON = "a colleague"  # a mention of someone whose name we could not learn
_CONTROL = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_EMOJI = re.compile(r":([a-z0-9_+'-]+):(?::skin-tone-([2-6]):)?")
_SLOT = "\x00{}\x00"
_SLOT_BACK = re.compile(r"\x00(\d+)\x00")
# Slack's markup: one character on each side, not inside a word (Slack's own rule).
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
# Special mentions meant for the people in Slack, not for the customer: dropped.
_DROPPED_SPECIALS = frozenset({"here", "channel", "everyone", "group"})
# A mention that calls people in Slack as Slack sends it: a user `<@U…>` (older clients
# `<@U…|name>`), a user group `<!subteam^S…>` (or `<!subteam^S…|@team>`), `<!here>`,
# `<!channel>`, `<!everyone>` (or `<!here|here>` and the like). `<!date^…>` is not one.
_MENTION = re.compile(
    r"<(?:@[^<>\n]+|!(?:here|channel|everyone|group)(?:\|[^<>\n]*)?|!subteam\^[^<>\n]+)>"
)
# Each opening mention must end at a space, `,`, `:` or the end of the text: the mention
# is then whom the message calls. "<@UKIM>'s team will email you today" names a colleague
# as part of a sentence to the customer, and is sent.
_OPENING_MENTIONS = re.compile(rf"\s*(?:{_MENTION.pattern}(?:[\s,:]+|\Z))+")


def mentioned_users(slack_text: str) -> set[str]:
    """The Slack user ids `<@U…>` mentions in `slack_text`, whose names the caller finds."""
    return {inner[1:].split("|", 1)[0] for inner in _CONTROL.findall(slack_text) if inner[0] == "@"}


def after_opening_mentions(slack_text: str) -> str | None:
    """What follows the mentions `slack_text` opens with (after any spaces), or None
    when it does not open with one: "<!here> can someone help?" is for colleagues."""
    opening = _OPENING_MENTIONS.match(slack_text)
    return slack_text[opening.end() :] if opening else None


def to_markdown(
    slack_text: str, names: Mapping[str, str] | None = None, *, for_colleagues: bool = False
) -> str:
    """`slack_text` as Markdown: links `[label](url)`, mentions as names (`names` maps
    Slack user ids to them), `#channel`, emoji, `**bold**`, `_italic_`, `~~strike~~`,
    code kept, entities unescaped. `for_colleagues` (a note on the ticket): mentions
    stay mentions, `@Kim Lee`, `@here`, `@billing`, as the colleagues read them in Slack."""
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return _SLOT.format(len(kept) - 1)

    text = _CODE.sub(lambda m: keep(html.unescape(m.group(0))), slack_text)
    text = _CONTROL.sub(lambda m: keep(_control(m.group(1), names or {}, for_colleagues)), text)
    text = html.unescape(_markup(text))
    text = _SLOT_BACK.sub(lambda m: kept[int(m.group(1))], text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def to_plain(
    slack_text: str,
    names: Mapping[str, str] | None = None,
    *,
    links: LinkStyle = LinkStyle.IN_PARENTHESES,
) -> str:
    """`slack_text` as plain text: links written out `label (url)`, markup dropped."""
    return to_text(to_markdown(slack_text, names), links=links)


def _markup(text: str) -> str:
    """Emoji shortcodes and Slack's bold, strike and italic, in Markdown."""
    text = _EMOJI.sub(_emoji, text)
    text = _BOLD.sub(r"**\1**", text)
    text = _STRIKE.sub(r"~~\1~~", text)
    return _ITALIC.sub(r"_\1_", text)


def _emoji(shortcode: re.Match[str]) -> str:
    """A shortcode as Unicode; one without it as typed, without a skin tone it had."""
    name, tone = shortcode.group(1), shortcode.group(2)
    return shortcode_emoji(name, tone) or f":{name}:"


def _control(inner: str, names: Mapping[str, str], for_colleagues: bool = False) -> str:
    """One `<…>` sequence as Markdown."""
    target, _, label = inner.partition("|")
    html_label = html.unescape(label).strip()
    kind = target[:1]
    if kind == "@":  # <@U123> or the older <@U123|name>; never the raw id
        name = names.get(target[1:]) or html_label.lstrip("@")
        if for_colleagues:
            return f"@{name}" if name else UNKNOWN_PERSON
        return name or UNKNOWN_PERSON
    if kind == "#":  # <#C123|name>; without a name, the channel is not the customer's
        return f"#{html_label}" if html_label else "a Slack channel"
    if kind == "!":  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        word = target[1:].split("^", 1)[0]
        if word in _DROPPED_SPECIALS:
            return f"@{word}" if for_colleagues else ""
        if word == "subteam":  # a user group by its handle (`@billing-team`), never its id
            return html_label or ("a team" if for_colleagues else "our team")
        return html_label
    url = html.unescape(target)
    if url.startswith("mailto:") and (not html_label or html_label == url[7:]):
        return url[7:]
    if not html_label or html_label == url:
        return f"<{url}>" if re.match(r"https?://", url) else url
    return f"[{_escape_label(_markup(html_label))}]({url})"


def _escape_label(label: str) -> str:
    return label.replace("[", "(").replace("]", ")")
