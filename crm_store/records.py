"""Plain records the repositories return: no ORM instance leaves a session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    name: str | None
    email: str | None
    phone: str | None
    lifecycle_stage: str
    account_id: int | None
    attributes: dict[str, Any]
    created_at: datetime
    pending: bool = False  # a pending contact, not (yet) a customer


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    id: int
    customer_id: int
    channel: str
    address: str
    verified: bool


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: int
    customer_id: int
    identity_id: int
    channel: str
    owner: str
    status: str
    assigned_staff_id: int | None
    last_seq: int
    slots: dict[str, Any] = field(default_factory=dict)
    cycle: int = 1  # the care cycle: one more at each reopening


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    id: int
    conversation_id: int
    customer_id: int
    seq: int
    direction: str
    author: str
    channel: str
    text: str
    provider_message_id: str | None
    intent: str | None
    confidence: float | None
    sources: list[Any]
    in_reply_to_id: int | None
    delivery_status: str | None
    attributes: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StaffRecord:
    id: int
    name: str
    email: str
    role: str
    slack_user_id: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    interaction_id: int
    conversation_id: int
    channel: str
    address: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    retry_from: datetime | None = None
    # Claimed again after its lease ran out: an earlier try may have reached the provider.
    recovered: bool = False

    @property
    def window_start(self) -> datetime:
        """When the row's retry window began: its creation, or an admin's retry."""
        return self.retry_from or self.created_at


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    id: int
    channel: str
    provider_message_id: str
    conversation_id: int
    interaction_id: int
    status: str


@dataclass(frozen=True, slots=True)
class NewInteraction:
    """What a caller wants appended to a conversation."""

    direction: str
    author: str
    text: str
    provider_message_id: str | None = None
    intent: str | None = None
    confidence: float | None = None
    sources: list[Any] = field(default_factory=list)
    in_reply_to_id: int | None = None
    staff_id: int | None = None
    delivery_status: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    number: str
    customer_id: int
    conversation_id: int | None
    subject: str
    description: str
    status: str
    priority: str
    assigned_staff_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: int
    number: str
    customer_id: int
    status: str
    total_cents: int
    currency: str
    items: list[Any]
    carrier: str | None
    tracking_url: str | None
    placed_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    id: int
    conversation_id: int
    customer_id: int
    reason: str
    intent: str | None
    confidence: float | None
    summary: str
    status: str
    claimed_by_staff_id: int | None
    slack_channel: str | None
    slack_thread_ts: str | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One entry of the consent ledger (crm_store/consents.py)."""

    id: int
    customer_id: int | None
    channel: str
    address: str
    purpose: str  # marketing | service | surveys
    decision: str  # granted | withdrawn
    means: str
    wording: str | None
    source: str | None
    recorded_at: datetime

    @property
    def opted_out(self) -> bool:
        return self.decision == "withdrawn"

    @property
    def status(self) -> str:
        """The decision in the words the delivery status uses: opted_in | opted_out."""
        return "opted_out" if self.opted_out else "opted_in"


@dataclass(frozen=True, slots=True)
class LeadRecord:
    id: int
    customer_id: int
    account_id: int | None
    company: str | None
    interest: str
    status: str  # new | contacted | qualified | won | lost
    owner_staff_id: int | None
    source_channel: str | None
    created_at: datetime
    updated_at: datetime
