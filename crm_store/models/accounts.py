from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_store.base import Base, utcnow

if TYPE_CHECKING:
    from crm_store.models.customers import Customer


class Account(Base):
    """A company the customers belong to."""

    __tablename__ = "accounts"
    # Name search for account summaries (migration 0005): exact matches on lower(name);
    # on PostgreSQL also a trigram index for "starts with" and "contains".
    __table_args__ = (
        Index("ix_accounts_name_lower", func.lower(text("name"))),
        Index(
            "ix_accounts_name_trgm",
            func.lower(text("name")).label("name_lower"),
            postgresql_using="gin",
            postgresql_ops={"name_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    plan: Mapped[str | None] = mapped_column(String(50))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customers: Mapped[list[Customer]] = relationship(back_populates="account")
