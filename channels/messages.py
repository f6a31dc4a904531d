"""The message types every channel adapter speaks: in from a provider, out to one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    WEB = "web"
    SMS = "sms"
    EMAIL = "email"
    SLACK = "slack"
    TERMINAL = "terminal"


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """What the channel tells about the sender besides the address (may be unverified)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    # True when the channel proves the email/phone (a widget identity signed by the
    # host site, the carrier's number, mail a trusted receiver authenticated); claims
    # typed into a chat, and mail nobody vouched for, are never verified.
    verified: bool = False


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a customer, as the adapter parsed it from the provider's request.

    `provider_message_id` is the provider's own id (Twilio MessageSid, email Message-ID,
    widget session + client message id); a retry of the same event carries the same id.
    """

    channel: Channel
    address: str
    provider_message_id: str
    text: str
    profile: ContactProfile = field(default_factory=ContactProfile)
    attributes: dict[str, Any] = field(default_factory=dict)
    # Set by an adapter that already knows the answer (an SMS keyword such as STOP or
    # HELP): the engine logs it as the bot's reply and runs no NLU and no dialogue.
    preset_reply: str | None = None
    # Attributes for the preset reply's interaction and outbox payload (for example
    # `consent_notice`: the STOP confirmation that must go out after the opt-out).
    preset_reply_attributes: dict[str, Any] = field(default_factory=dict)
    # Set by an adapter to put a line before the bot's answer (an SMS with a picture:
    # what the bot can do with it); nothing is added when the bot does not answer.
    reply_note: str | None = None
    # Set by an adapter when the message must get no automatic reply (a mail loop, a
    # rate limit): the message is logged with this reason and nothing is sent.
    no_reply_reason: str | None = None
    # Provider ids of the messages this one answers, most specific first (an email's
    # In-Reply-To, then its References, then its reply token): the engine continues the
    # conversation that holds one of them, on the same channel and customer.
    replies_to: tuple[str, ...] = ()
    # Set by an adapter whose address itself is only a claim (mail whose sender no
    # trusted receiver vouched for): an address already on file joins that customer,
    # whose address it is and to whom alone every answer goes; an address not on file
    # becomes a pending contact, not a customer, until a person or an authenticated
    # message makes one.
    address_is_claim: bool = False


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One logged reply to hand to a provider. `outbox_id` doubles as an idempotency key."""

    outbox_id: int
    interaction_id: int
    conversation_id: int
    seq: int
    channel: Channel
    address: str
    author: str
    text: str
    created_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConversationMessage:
    """A message as a customer-facing client sees it (no internal fields)."""

    conversation_id: int
    seq: int
    direction: str
    author: str
    text: str
    created_at: datetime
    client_message_id: str | None = None
    # Quick replies the bot offers with this message ("which did you mean?"): each a
    # `label` to show and the `reply` text a tap sends. The text lists them too.
    choices: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        found = {
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "direction": self.direction,
            "author": self.author,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "client_message_id": self.client_message_id,
        }
        if self.choices:
            found["choices"] = [dict(choice) for choice in self.choices]
        return found


def quick_replies(attributes: dict[str, Any]) -> tuple[dict[str, str], ...]:
    """The well-formed quick replies among a stored message's attributes."""
    found = attributes.get("choices")
    if not isinstance(found, list):
        return ()
    return tuple(
        {"label": str(c["label"]), "reply": str(c["reply"])}
        for c in found
        if isinstance(c, dict) and c.get("label") and c.get("reply")
    )


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What the engine did with an inbound message: where it landed and what was answered.
    `no_reply_reason`: why it was logged without a reply, as decided on its way in (a
    mail loop, a reply cap), the first time for a duplicate."""

    conversation_id: int
    message: ConversationMessage
    replies: list[ConversationMessage]
    duplicate: bool = False
    no_reply_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """The provider's acceptance of an outbound message; `attributes` (what was sent,
    SMS segments) are kept on the interaction."""

    provider_message_id: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
