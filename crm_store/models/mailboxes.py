from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class MailboxWatermark(Base):
    """How far the IMAP poller has read one mailbox folder: the highest UID handed to the
    engine, per UIDVALIDITY (a new UIDVALIDITY means the server renumbered the folder)."""

    __tablename__ = "mailbox_watermarks"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(400))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
