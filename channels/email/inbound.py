"""A raw mail -> the engine's `InboundMessage`.

The text the bot reads is the new part of the body (no quotes, no signature), or the
subject when the body is empty; the full text, subject, threading headers and
attachment list stay on the interaction's attributes. `replies_to` lists the Message-IDs
the mail answers, most specific first: In-Reply-To, References (nearest first), then a
reply token found in a recipient address.
"""

from __future__ import annotations

import re
from typing import Any

from channels.email.loops import automatic_reason
from channels.email.message_ids import ids_from_tokens
from channels.email.mime import ParsedMail, read_mail
from channels.email.mime_depth import MAX_MIME_DEPTH
from channels.email.quotes import new_text
from channels.messages import Channel, ContactProfile, InboundMessage

_REPLY_PREFIX = re.compile(r"^(re|aw|fwd?|wg|sv|tr)\s*:", re.IGNORECASE)


def to_inbound(
    raw: bytes,
    *,
    own_addresses: frozenset[str] = frozenset(),
    max_depth: int = MAX_MIME_DEPTH,
) -> InboundMessage:
    """Parse a raw RFC 5322 message; raises `UnreadableMail` for one without a sender or
    nested deeper than `max_depth`."""
    return from_parsed(read_mail(raw, max_depth=max_depth), own_addresses=own_addresses)


def from_parsed(mail: ParsedMail, *, own_addresses: frozenset[str]) -> InboundMessage:
    fresh = new_text(mail.text) or _plain_subject(mail.subject) or "(empty message)"
    replies_to = [*mail.in_reply_to, *reversed(mail.references), *ids_from_tokens(mail.recipients)]
    return InboundMessage(
        channel=Channel.EMAIL,
        address=mail.sender,
        provider_message_id=mail.message_id,
        text=fresh,
        # Verified for linking: a forged From gains nothing, since every answer goes only
        # to that address (the outbox address is the identity's, never one from a body).
        profile=ContactProfile(name=mail.sender_name, email=mail.sender, verified=True),
        attributes={"email": _attributes(mail)},
        no_reply_reason=automatic_reason(mail.message, mail.sender, own_addresses),
        replies_to=tuple(dict.fromkeys(replies_to)),
    )


def _attributes(mail: ParsedMail) -> dict[str, Any]:
    return {
        "message_id": mail.message_id,
        "subject": mail.subject,
        "full_text": mail.text,
        "in_reply_to": list(mail.in_reply_to),
        "references": list(mail.references)[-20:],
        "attachments": [attachment.to_json() for attachment in mail.attachments],
    }


def _plain_subject(subject: str) -> str:
    """A subject without its Re:/Fwd: prefixes, for a mail whose body is empty."""
    text = subject.strip()
    while (
        text[:3].lower() in ("re:", "aw:")
        or text[:4].lower() == "fwd:"
        or text[:3].lower() == "fw:"
    ):
        text = text.split(":", 1)[1].strip()
    return text
