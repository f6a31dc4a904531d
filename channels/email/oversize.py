"""A mail over the size limit: taken in from its header alone, and its sender told.

Neither way in reads such a mail whole: the mailbox poller fetches its first bytes, the
webhook reads its first `HEAD_BYTES` and answers 413. Either way the header says who
sent it and which mail it was, so it is logged in their conversation with a note in
place of its text, and the sender gets `TOO_LARGE` (a bounce-style reply: what we could
not read, and how to send it again), so they are not left waiting for an answer to a
mail nobody read. It is a preset reply, held to the same rules as any automatic
answer: none to an automatic mail (a bounce of a bounce would loop), none over the
reply caps, none over a person who has the conversation (they see the note).
"""

from __future__ import annotations

import dataclasses

from channels.email.inbound import EMPTY_MESSAGE
from channels.messages import InboundMessage

__all__ = ["BODY_CUT_KEY", "HEAD_BYTES", "TOO_LARGE", "header_block", "header_only"]

# The ASGI scope key under which the body-size middleware (bot/api/limits.py) tells the
# webhook its body was cut: `{"size": int | None, "limit": int}`.
BODY_CUT_KEY = "switchboard.body_cut"

# How much of an oversized mail the webhook reads to find its header: a header longer
# than this (hundreds of Received lines) is refused without it.
HEAD_BYTES = 64 * 1024
TOO_LARGE = (
    "Your mail{size} was over the {limit} we can take by email, so we could read who it "
    "was from and its subject, but not what you wrote or attached. Please send it again "
    "with smaller attachments (or links to them), or in parts."
)
_MIB = 1024 * 1024


def _amount(n: int) -> str:
    if n >= _MIB:
        return f"{n / _MIB:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1024))} KB"


def header_block(head: bytes) -> bytes | None:
    """The header of a mail from its first bytes (up to the blank line), or None when
    they hold no end of header."""
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    if not ends:
        return None
    end = min(ends)
    return head[:end] + (b"\r\n\r\n" if head[end : end + 2] == b"\r\n" else b"\n\n")


def header_only(
    message: InboundMessage, *, size: int | None, limit: int, find_it: str
) -> InboundMessage:
    """The mail as taken in from its header: a note for its text (`find_it`: where a
    person can read the whole), and the reply telling the sender, unless it is a mail
    that gets no automatic reply (its body unread, "empty" is no reason to keep quiet)."""
    silent = message.no_reply_reason if message.no_reply_reason != EMPTY_MESSAGE else None
    sized = f"a mail of {size} bytes" if size is not None else "a mail"
    note = f"({sized}, over the {limit}-byte limit: only its header was read; {find_it})"
    if silent is not None:
        return dataclasses.replace(message, text=note)
    reply = TOO_LARGE.format(
        size=f" ({_amount(size)})" if size is not None else "", limit=_amount(limit)
    )
    return dataclasses.replace(
        message,
        text=note,
        no_reply_reason=None,
        preset_reply=reply,
        preset_reply_attributes={"too_large": True},
    )
