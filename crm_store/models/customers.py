from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_store.base import Base, utcnow

if TYPE_CHECKING:
    from crm_store.models.accounts import Account

# The stages and how a customer moves between them: crm_store/lifecycle.py.
LIFECYCLE_STAGES = (
    "visitor",
    "lead",
    "opportunity",
    "customer",
    "repeat",
    "at_risk",
    "lapsed",
    "churned",
)


class Customer(Base):
    """A person who talks to the company, on any channel."""

    __tablename__ = "customers"
    # Name search for account summaries (migration 0005): exact matches on lower(name);
    # on PostgreSQL also a trigram index for "starts with" and "contains".
    __table_args__ = (
        Index("ix_customers_name_lower", func.lower(text("name"))),
        Index(
            "ix_customers_name_trgm",
            func.lower(text("name")).label("name_lower"),
            postgresql_using="gin",
            postgresql_ops={"name_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="visitor")
    # A pending contact: someone who wrote from an address nobody vouched for (mail no
    # trusted receiver authenticated) and is not on file. Their messages are kept here,
    # but they are no customer: lists, searches, summaries and linking by contact leave
    # them out until a person accepts them or an authenticated message comes.
    pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account | None] = relationship(back_populates="customers")
    identities: Mapped[list[Identity]] = relationship(back_populates="customer")


class Identity(Base):
    """One address a customer is reached at: a phone number, an email, a widget session."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")
