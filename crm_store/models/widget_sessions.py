from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class WidgetSessionRevocation(Base):
    """Staff revoked a customer's widget sessions: every session token issued before
    `revoked_at` that reaches this customer is refused from then on.

    A ledger, one row per revocation (who and when), never edited: the customer's
    sessions are valid from the latest row's time. A merge moves the rows with the rest.
    """

    __tablename__ = "widget_session_revocations"
    __table_args__ = (Index("ix_widget_session_revocations_customer", "customer_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
