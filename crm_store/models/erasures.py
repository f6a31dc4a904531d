"""Erasure jobs (right to be forgotten), their checklist, and the tombstones they leave.

None of these tables has a foreign key to `customers.id`: an erasure must outlive what
it erased, and the export and erasure walks over `customers.id` must not take the
erasure's own record for customer data. Nothing here holds personal data: the steps
hold ids of copies outside the store (Slack message timestamps, Twilio message SIDs,
mail Message-IDs) until their step is done, then only counts; tombstones hold keyed
hashes (crm_store/tombstones.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

ERASURE_STATES = ("running", "done")
# The checklist, in the order it is shown; every step runs on its own and is retried
# until it is done (`dead` when its retry window is over, kept for an admin to retry).
STEP_STATES = ("pending", "sending", "done", "failed", "dead")


class Erasure(Base):
    """One request to erase one customer, and, once every step is done, its report."""

    __tablename__ = "erasures"
    __table_args__ = (Index("ix_erasures_customer", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column()  # not a foreign key: see the module
    status: Mapped[str] = mapped_column(String(20), default="running")
    reason: Mapped[str] = mapped_column(String(30), default="request")  # request | retention
    requested_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    via: Mapped[str] = mapped_column(String(10))  # api | cli | system
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class ErasureStep(Base):
    """One item of an erasure's checklist, worked by the queue worker."""

    __tablename__ = "erasure_steps"
    __table_args__ = (
        UniqueConstraint("erasure_id", "name"),
        Index("ix_erasure_steps_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("erasures.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))  # store | slack | sms | mailbox | webhook
    # What the step needs from the store, taken when the erasure began (the store step
    # may run first): ids of the copies outside it, never names, addresses or texts.
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Counts and reasons only: what was erased, pseudonymised, or could not be reached.
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    done_at: Mapped[datetime | None] = mapped_column()


class ErasedIdentifier(Base):
    """A keyed hash (HMAC-SHA256 with the server's erasure key) of one identifier an
    erasure removed: an email, a phone number, an external id. Tells an import that an
    address was erased, without holding the address."""

    __tablename__ = "erased_identifiers"
    __table_args__ = (UniqueConstraint("kind", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # email | phone | sms | web | slack ...
    digest: Mapped[str] = mapped_column(String(64))
    erasure_id: Mapped[int] = mapped_column(ForeignKey("erasures.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
