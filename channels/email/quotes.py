"""What is new in a mail: quoted replies and signatures cut off (mail-parser-reply).

The bot reads only the new part; the full text is kept on the interaction.

mail-parser-reply cuts a forwarded mail below its forward line but keeps the line, and
knows "Sent from my iPhone" but not the other mail programs' own signatures ("Sent from
Outlook for iOS", "Get Outlook for Android", ...). Both were read as the customer's
words: a forward without a note was answered as the question "---------- Forwarded
message ---------", and Outlook's line under "Do your boots run small?" took the answer
away. Such lines at the end of the new part are cut here too; a forward with nothing
above its line reads as empty, so the mail's subject is read instead (inbound.py).
"""

from __future__ import annotations

import re

from mailparser_reply.parser import EmailMessage

# Reply headers ("On ... wrote:", "Am ... schrieb:") of these languages are recognised.
LANGUAGES = ["en", "de", "fr", "it", "es", "nl", "pl", "sv", "da"]

# The line a mail program writes above a forwarded mail (Gmail, Thunderbird, Outlook,
# Apple Mail; English, German, French, Spanish).
_FORWARD_LINE = re.compile(
    r"-{2,}\s*(forwarded message|original message|weitergeleitete nachricht|"
    r"urspr[üu]ngliche nachricht|message transf[ée]r[ée]|message d'origine|"
    r"mensaje reenviado|mensaje original)\s*-{2,}|begin forwarded message:|"
    r"anfang der weitergeleiteten nachricht:|d[ée]but du message r[ée]exp[ée]di[ée]\s?:",
    re.IGNORECASE,
)
# A mail program's own signature line: "Sent from Outlook for iOS", "Sent with Proton
# Mail secure email.", "Get Outlook for Android". A short line of its own, last.
_PROGRAM_SIGNATURE = re.compile(
    r"(sent (from|with|via) .{1,48}|get outlook for \w+( \w+)?)", re.IGNORECASE
)


def new_text(full_text: str) -> str:
    """The latest reply of a mail body without quotes and signature; the whole body when
    the parser finds nothing else (a mail that is all quote); "" for a forward with no
    words above it."""
    if not full_text.strip() or _FORWARD_LINE.fullmatch(full_text.strip().splitlines()[0].strip()):
        return ""  # nothing, or a forward with no words above it
    # keep_hyphen_lists: a customer's "- item" list is text, not a signature.
    parsed = EmailMessage(text=full_text, languages=list(LANGUAGES), keep_hyphen_lists=True)
    replies = parsed.read().replies
    latest = replies[0].body.strip() if replies else ""
    if not latest or all(line.startswith(">") for line in latest.splitlines() if line.strip()):
        return full_text.strip()
    return _without_trailing_program_lines(latest)


def _without_trailing_program_lines(text: str) -> str:
    """`text` without the forward lines and mail program signatures at its end."""
    lines = text.splitlines()
    while lines and (
        not lines[-1].strip()
        or _FORWARD_LINE.fullmatch(lines[-1].strip())
        or _PROGRAM_SIGNATURE.fullmatch(lines[-1].strip())
    ):
        lines.pop()
    return "\n".join(lines).strip()
