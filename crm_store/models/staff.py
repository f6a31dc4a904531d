from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

# `marketing`: segments and campaigns (the staff API's /api/v1/campaigns, with admin).
# `shop`: a system account, not a person: the shop's backend recording orders
# (PUT /api/v1/orders/{number}); it can do nothing else.
SYSTEM_ROLES = ("shop",)
STAFF_ROLES = ("agent", "sales", "marketing", "admin", *SYSTEM_ROLES)


class StaffUser(Base):
    """A person at the company: an agent, a salesperson, a marketer or an admin."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    slack_user_id: Mapped[str | None] = mapped_column(String(50), unique=True)
    # SHA-256 of the API token; the token itself is shown once and never stored.
    api_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
