from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class Consent(Base):
    """The current consent of one address for one purpose (opted in or out)."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("channel", "address", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    purpose: Mapped[str] = mapped_column(String(30), default="messages")
    status: Mapped[str] = mapped_column(String(20))  # opted_in | opted_out
    source: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
