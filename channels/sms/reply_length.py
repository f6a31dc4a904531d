"""Whether a reply can go by SMS whole, as the phone gets it (plain text), and the bot's
reply cut to fit.

A reply the bot writes is cut to fit (`fitted_text`); a person's words have no article
to link to instead, so one that does not fit is refused with the reason and the agent
sends it in parts (`too_long_for_one_text`). Both are measured in segments, not only
characters: the limit, `max_chars` GSM-7 characters (1,600, Twilio's), takes a number
of segments (11), and a text that goes as UCS-2 (one character outside the GSM
alphabet, a degree sign or an emoji, makes all of it UCS-2: 70 characters in one
segment, 67 per part) is held to the same number, so 737 characters, not 1,600.
Decided: Twilio counts characters outside GSM-7 as more than one toward its 1,600 (its
error 21617), and every segment is billed; the segment count the phone gets is the
measure both agree with. (Cut at 1,600 characters, a bot answer in UCS-2 went in 24.)
"""

from __future__ import annotations

from channels.rendering.sms import MAX_BODY_CHARS, SmsText, plain_text, render_sms
from channels.sms.segments import GSM7, UCS2, capacity, count_segments, outside_gsm7

__all__ = ["fitted_text", "too_long_for_one_text"]


def segments_allowed(max_chars: int = MAX_BODY_CHARS) -> int:
    """The segments `max_chars` GSM-7 characters take: the most any one text may."""
    return count_segments("a" * max_chars).count


def fitted_text(markdown: str, *, link: str | None, max_chars: int = MAX_BODY_CHARS) -> SmsText:
    """The bot's reply as the phone gets it, cut to its first sentences and `link` when
    it takes more segments than `max_chars` GSM-7 characters do."""
    allowed = segments_allowed(max_chars)
    text = render_sms(markdown, link=link, max_chars=max_chars)
    found = count_segments(text.body)
    # Cut to the characters the segments hold (737 as UCS-2); a character of two units
    # (an emoji, the euro sign in GSM-7) can make that a part too many: a part less.
    budget = min(max_chars, capacity(found.encoding, allowed))
    part = capacity(found.encoding, 2) // 2  # 153 or 67
    while found.count > allowed and budget > 0:
        text = render_sms(markdown, link=link, max_chars=budget)
        found, budget = count_segments(text.body), budget - part
    return text


def too_long_for_one_text(markdown: str, max_chars: int = MAX_BODY_CHARS) -> str | None:
    """Why `markdown` cannot go as one text whole (None when it can)."""
    text = plain_text(markdown)
    found = count_segments(text)
    if found.encoding == GSM7:
        if len(text) <= max_chars:
            return None
        return (
            f"{len(text)} characters are more than one text message takes ({max_chars}); "
            "send it in shorter parts"
        )
    allowed = segments_allowed(max_chars)
    if found.count <= allowed and len(text) <= max_chars:
        return None
    odd = outside_gsm7(text)
    return (
        f"{len(text)} characters take {found.count} SMS segments as UCS-2, because of "
        f"{odd!r} (not in the GSM alphabet: 70 characters in one segment, 67 per part); "
        f"one text message takes at most {allowed} ({max_chars} GSM characters, or "
        f"{capacity(UCS2, allowed)} like these); send it in shorter parts, or without {odd!r}"
    )
