"""What an agent desk (Slack) is given when the bot hands a conversation to a person,
and what it answers with. Plain data: the desk formats it, `bot` fills it in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SentFile:
    """A file that came with a customer's message: what it is, and where an agent can
    open it (an MMS picture's link), or None where only its name is kept (mail)."""

    label: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PacketMessage:
    """One message of the conversation as the agent sees it, with the files it brought."""

    author: str  # customer | bot | agent | system
    text: str
    created_at: datetime
    files: tuple[SentFile, ...] = ()
    # An outbound message the customer never got: why, in words ("not delivered: ..."),
    # so the desk does not show it as read.
    not_delivered: str | None = None


@dataclass(frozen=True, slots=True)
class HandoffPacket:
    """Everything the person taking over needs, so nobody has to ask the customer again."""

    handoff_id: int
    conversation_id: int
    customer_id: int
    channel: str  # web | sms | email | ...: where the agent's replies will go
    reason: str  # customer_asked | not_understood | not_in_help_centre | complaint | ...
    intent: str | None
    confidence: float | None
    created_at: datetime
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    customer_verified: bool
    lifecycle_stage: str
    account_name: str | None
    summary: str
    last_messages: list[PacketMessage] = field(default_factory=list)
    # Knowledge passages the bot tried: {"title", "url", "score"}
    passages_tried: list[dict[str, Any]] = field(default_factory=list)
    # {"number", "subject", "status", "priority"}
    open_tickets: list[dict[str, Any]] = field(default_factory=list)
    # {"number", "status", "total", "placed_at"}
    recent_orders: list[dict[str, Any]] = field(default_factory=list)
    # Link to the handoff's record in the staff API.
    record_url: str = ""


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The outcome of pressing Claim: `won`, or who has it already."""

    won: bool
    handoff_id: int
    owner_staff_id: int | None
    owner_name: str | None


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    """A customer's message that arrived while a person owns the conversation, with the
    files it brought (a picture alone has no text)."""

    handoff_id: int
    conversation_id: int
    text: str
    created_at: datetime
    files: tuple[SentFile, ...] = ()
