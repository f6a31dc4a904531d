from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class ConsentEntry(Base):
    """One decision about one address's consent for one purpose: granted or withdrawn,
    by which means, with the words shown. Rows are only ever added; the consent in force
    is the newest entry per (channel, address, purpose) (crm_store/consents.py).

    Keyed by the address as well as the customer: an SMS STOP can come from a number no
    customer holds yet, and a customer with two email addresses may stop one of them."""

    __tablename__ = "consent_ledger"
    __table_args__ = (Index("ix_consent_ledger_address", "channel", "address", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    purpose: Mapped[str] = mapped_column(String(30))  # marketing | service | surveys
    decision: Mapped[str] = mapped_column(String(20))  # granted | withdrawn
    means: Mapped[str] = mapped_column(String(30))  # sms_keyword | unsubscribe_link | ...
    wording: Mapped[str | None] = mapped_column(Text)  # the text shown, or its version
    source: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
