"""Widget sessions as the store knows them, and their revocation by staff.

A widget session becomes known to the store at its first message, as an identity on the
web channel whose address is the session id (or, for a signed-in customer, when web
campaign messages are carried into it: crm_store/web_campaign_messages.py). Revoking a
customer's sessions appends a `WidgetSessionRevocation`; a token issued before the
latest one, that reaches the customer through its session's identity or the verified
email it carries, no longer counts. Channel names are passed in: this package knows no channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.customers import normalise_email
from crm_store.models import (
    Conversation,
    Customer,
    Identity,
    Interaction,
    WidgetSessionRevocation,
)


@dataclass(frozen=True, slots=True)
class WidgetSessionRecord:
    session_id: str
    verified: bool
    started_at: datetime  # the session's first message
    last_seen_at: datetime | None  # its last message in
    revoked: bool  # issued before the customer's latest revocation


def revoke_widget_sessions(
    session: Session, customer_id: int, *, staff_user_id: int | None
) -> datetime:
    """Revoke every widget session of the customer issued until now; return that time."""
    row = WidgetSessionRevocation(
        customer_id=customer_id, revoked_at=utcnow(), staff_user_id=staff_user_id
    )
    session.add(row)
    session.flush()
    return row.revoked_at


def sessions_valid_from(session: Session, customer_id: int) -> datetime | None:
    """The customer's latest revocation: sessions issued before it do not count."""
    return session.scalar(
        select(func.max(WidgetSessionRevocation.revoked_at)).where(
            WidgetSessionRevocation.customer_id == customer_id
        )
    )


def revocation_after(
    session: Session,
    *,
    channel: str,
    session_id: str,
    verified_email: str | None,
    issued_at: datetime,
) -> datetime | None:
    """The latest revocation after `issued_at` of any customer this token reaches (its
    session's identity, or a customer with the verified email on file), or None."""
    reached = select(Identity.customer_id).where(
        Identity.channel == channel, Identity.address == session_id
    )
    email = normalise_email(verified_email)
    if email is not None:
        reached = union(reached, select(Customer.id).where(Customer.email == email))
    latest = session.scalar(
        select(func.max(WidgetSessionRevocation.revoked_at)).where(
            WidgetSessionRevocation.customer_id.in_(reached)
        )
    )
    return latest if latest is not None and issued_at < latest else None


def widget_sessions_of(
    session: Session, customer_id: int, *, channel: str
) -> list[WidgetSessionRecord]:
    """The customer's widget sessions that wrote at least once (or were carried web
    campaign messages), oldest first."""
    valid_from = sessions_valid_from(session, customer_id)
    last_in = (
        select(func.max(Interaction.created_at))
        .join(Conversation, Conversation.id == Interaction.conversation_id)
        .where(Conversation.identity_id == Identity.id, Interaction.direction == "in")
        .scalar_subquery()
    )
    rows = session.execute(
        select(Identity.address, Identity.verified, Identity.created_at, last_in)
        .where(Identity.customer_id == customer_id, Identity.channel == channel)
        .order_by(Identity.id)
    )
    return [
        WidgetSessionRecord(
            session_id=address,
            verified=verified,
            started_at=started,
            last_seen_at=last_seen,
            revoked=valid_from is not None and started <= valid_from,
        )
        for address, verified, started, last_seen in rows
    ]
