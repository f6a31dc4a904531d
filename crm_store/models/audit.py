from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class AuditEntry(Base):
    """Who read or changed which customer's data, when, and through what: one row per
    customer touched, added and never edited (crm_store/audit.py).

    Ids, never content: no names, addresses or texts, so the log can be kept and shown
    to admins without becoming another copy of what it watches. `customer_id` is
    deliberately not a foreign key: the log must outlive the customer (an erasure is
    itself audited), and the export and erasure walks over `customers.id` must not take
    the log for customer data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))  # staff | system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # read | change | export
    customer_id: Mapped[int] = mapped_column()
    via: Mapped[str] = mapped_column(String(10))  # api | slack | cli
    endpoint: Mapped[str] = mapped_column(String(200))  # "GET /api/v1/customers/{customer_id}"
    subject: Mapped[str | None] = mapped_column(String(100))  # another id touched: "ticket T-1001"
