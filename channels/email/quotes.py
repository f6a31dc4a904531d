"""What is new in a mail: quoted replies and signatures cut off (mail-parser-reply).

The bot reads only the new part; the full text is kept on the interaction.
"""

from __future__ import annotations

from mailparser_reply.parser import EmailMessage

# Reply headers ("On ... wrote:", "Am ... schrieb:") of these languages are recognised.
LANGUAGES = ["en", "de", "fr", "it", "es", "nl", "pl", "sv", "da"]


def new_text(full_text: str) -> str:
    """The latest reply of a mail body without quotes and signature; the whole body when
    the parser finds nothing else (a mail that is all quote)."""
    if not full_text.strip():
        return ""
    # keep_hyphen_lists: a customer's "- item" list is text, not a signature.
    parsed = EmailMessage(text=full_text, languages=list(LANGUAGES), keep_hyphen_lists=True)
    replies = parsed.read().replies
    latest = replies[0].body.strip() if replies else ""
    if not latest or all(line.startswith(">") for line in latest.splitlines() if line.strip()):
        return full_text.strip()
    return latest
