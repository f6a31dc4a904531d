"""Whether a person's reply can go by SMS whole, as the phone gets it (plain text).

A reply the bot writes is cut to fit (channels/rendering/sms.py); a person's words have
no article to link to instead, so one that does not fit is refused with the reason and
the agent sends it in parts. Measured in segments, not only characters: the limit,
`max_chars` GSM-7 characters (1,600, Twilio's), takes a number of segments (11), and a
text that goes as UCS-2 (one character outside the GSM alphabet, a degree sign or an
emoji, makes all of it UCS-2: 70 characters in one segment, 67 per part) is held to the
same number, so 737 characters, not 1,600. Decided: Twilio counts characters outside
GSM-7 as more than one toward its 1,600 (its error 21617), and every segment is billed;
the segment count the phone gets is the measure both agree with.
"""

from __future__ import annotations

from channels.rendering.sms import MAX_BODY_CHARS, plain_text
from channels.sms.segments import GSM7, UCS2, capacity, count_segments, outside_gsm7

__all__ = ["too_long_for_one_text"]


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
    allowed = count_segments("a" * max_chars).count
    if found.count <= allowed and len(text) <= max_chars:
        return None
    odd = outside_gsm7(text)
    return (
        f"{len(text)} characters take {found.count} SMS segments as UCS-2, because of "
        f"{odd!r} (not in the GSM alphabet: 70 characters in one segment, 67 per part); "
        f"one text message takes at most {allowed} ({max_chars} GSM characters, or "
        f"{capacity(UCS2, allowed)} like these); send it in shorter parts, or without {odd!r}"
    )
