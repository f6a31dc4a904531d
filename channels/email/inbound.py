"""A raw mail -> the engine's `InboundMessage`.

The text the bot reads is the new part of the body (no quotes, no signature), or the
subject when the body is empty (but for a reply bringing only attachments); the full
text, subject, threading headers and attachment list stay on the interaction's
attributes. A mail with no words at all is never read by the bot: its placeholder text
once went to the NLU, which took it for a request to unsubscribe and withdrew the
sender's consent. With attachments it gets
`ATTACHMENTS_ONLY` (as a picture alone does by SMS); without, it is logged unanswered.

`replies_to` lists the Message-IDs the mail answers, most specific first: In-Reply-To,
References (nearest first), then a reply token found in a recipient address.

The From address is verified only when a trusted receiver's Authentication-Results (or
the relay's verdict) vouches for it (channels/email/authentication.py); otherwise it is
a claim (`address_is_claim`), and what was decided is kept on the interaction as
`attributes.email.authentication`.
"""

from __future__ import annotations

import re
from typing import Any

from channels.email.authentication import SenderAuthentication, authenticate_sender
from channels.email.loops import automatic_reason
from channels.email.message_ids import ids_from_tokens
from channels.email.mime import ParsedMail, read_mail
from channels.email.mime_depth import MAX_MIME_DEPTH
from channels.email.quotes import new_text
from channels.messages import Channel, ContactProfile, InboundMessage

# A reply's subject (English, German, Scandinavian, Dutch): the thread's, not new words.
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
EMPTY_MESSAGE = "empty message"  # a `no_reply_reason`
ATTACHMENTS_ONLY = (
    "Thanks, we got your attachment, and our support team can see it with your mail. "
    "I can't open attachments myself: write to me in words what you need and I'll try "
    "to help."
)


def to_inbound(
    raw: bytes,
    *,
    own_addresses: frozenset[str] = frozenset(),
    max_depth: int = MAX_MIME_DEPTH,
    trusted_authserv_ids: frozenset[str] = frozenset(),
    relay_verdict: str | None = None,
) -> InboundMessage:
    """Parse a raw RFC 5322 message; raises `UnreadableMail` for one without a sender or
    nested deeper than `max_depth`.

    `trusted_authserv_ids`: the receivers whose Authentication-Results count;
    `relay_verdict`: the webhook relay's own "pass"/"fail" for the sender, if it sent one.
    """
    mail = read_mail(raw, max_depth=max_depth)
    authentication = authenticate_sender(
        mail.message,
        sender=mail.sender,
        trusted_authserv_ids=trusted_authserv_ids,
        relay_verdict=relay_verdict,
    )
    return from_parsed(mail, own_addresses=own_addresses, authentication=authentication)


def from_parsed(
    mail: ParsedMail, *, own_addresses: frozenset[str], authentication: SenderAuthentication
) -> InboundMessage:
    fresh = new_text(mail.text)
    # An empty body reads the subject, unless the mail is a reply that brings only
    # attachments: "Re: Sizing" over a photo is the question already answered, and was
    # answered again as if asked.
    if not fresh and not (mail.attachments and _REPLY_PREFIX.match(mail.subject)):
        fresh = _plain_subject(mail.subject)
    preset, silent = None, automatic_reason(mail.message, mail.sender, own_addresses)
    if not fresh and mail.attachments:
        names = ", ".join(a.filename or a.content_type for a in mail.attachments)
        fresh, preset = f"(no text, only attachments: {names})", ATTACHMENTS_ONLY
    elif not fresh:
        fresh, silent = "(empty message)", silent or EMPTY_MESSAGE
    replies_to = [*mail.in_reply_to, *reversed(mail.references), *ids_from_tokens(mail.recipients)]
    return InboundMessage(
        channel=Channel.EMAIL,
        address=mail.sender,
        provider_message_id=mail.message_id,
        text=fresh,
        profile=ContactProfile(
            name=mail.sender_name, email=mail.sender, verified=authentication.verified
        ),
        attributes={"email": _attributes(mail, authentication)},
        no_reply_reason=silent,
        preset_reply=preset,
        replies_to=tuple(dict.fromkeys(replies_to)),
        # Unproven, the From address is a claim: it reaches a record only where it is
        # already on file, and every answer still goes only to it.
        address_is_claim=not authentication.verified,
    )


def _attributes(mail: ParsedMail, authentication: SenderAuthentication) -> dict[str, Any]:
    return {
        "message_id": mail.message_id,
        "subject": mail.subject,
        "full_text": mail.text,
        "in_reply_to": list(mail.in_reply_to),
        "references": list(mail.references)[-20:],
        "attachments": [attachment.to_json() for attachment in mail.attachments],
        "authentication": authentication.to_json(),
    }


def sender_verified(attributes: dict[str, Any]) -> bool:
    """Was the mail stored with these attributes from a proven sender?"""
    email = attributes.get("email") or {}
    return (email.get("authentication") or {}).get("verified") is True


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
