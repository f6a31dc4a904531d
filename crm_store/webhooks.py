"""Outbound webhook events in the store: written in the transaction of the change they
tell of (`emit`, one delivery row per listening subscription), then claimed and settled
by the queue worker (bot/webhooks/queue.py signs and sends them). Subscriptions are in
crm_store/webhook_subscriptions.py, the delivery log in crm_store/webhook_log.py.

Events of one subject (a conversation, a ticket, a lead) go to a receiver in the order
they happened: a row is not claimed while an earlier row of its subject for the same
subscription is waiting for its retry or being sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from crm_store import claims
from crm_store.base import utcnow
from crm_store.claims import due_in_order
from crm_store.models import WebhookDelivery, WebhookSubscription
from crm_store.webhook_listeners import listening_to
from crm_store.webhook_subscriptions import EVENT_TYPES

__all__ = [
    "ClaimedDelivery",
    "claim_due",
    "emit",
    "finish",
    "mark_delivered",
    "next_due",
    "release",
    "schedule_retry",
]


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery row as the queue worker works it, with its subscription's target."""

    id: int
    subscription_id: int
    url: str
    secret: str
    event_id: str
    event_type: str
    subject: str
    body: str
    attempts: int
    window_start: datetime


def emit(
    session: Session,
    event_type: str,
    *,
    subject: str,
    data: dict[str, Any],
    customer_id: int | None,
) -> int:
    """Queue the event for every active subscription that names it, in the caller's
    transaction (the change and its event commit together or not at all). Returns how
    many deliveries were queued."""
    return emit_many(session, event_type, [(subject, customer_id, data)])


def emit_many(
    session: Session,
    event_type: str,
    events: Sequence[tuple[str, int | None, dict[str, Any]]],
) -> int:
    """`emit` for several events of one type, each `(subject, customer id, data)`: the
    subscriptions are read once (a batch of campaign sends logs one message each)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event {event_type!r}")
    targets = listening_to(session, event_type)  # cached: crm_store/webhook_listeners.py
    if not targets or not events:
        return 0
    now = utcnow()
    for subject, customer_id, data in events:
        event_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps(
            {"type": event_type, "timestamp": now.isoformat(), "data": data},
            separators=(",", ":"),
            default=str,
        )
        session.add_all(
            WebhookDelivery(
                subscription_id=subscription_id,
                customer_id=customer_id,
                event_id=event_id,
                event_type=event_type,
                subject=subject,
                body=body,
                next_attempt_at=now,
                window_start=now,
                created_at=now,
            )
            for subscription_id in targets
        )
    session.flush()
    claims.note_queued(session, "webhooks")
    return len(targets) * len(events)


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> list[ClaimedDelivery]:
    """Take up to `limit` due rows of active subscriptions (or rows whose claim's lease
    ran out), oldest first, each after the earlier rows of its subject."""
    active = select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
    rows = session.scalars(
        select(WebhookDelivery)
        .where(
            due_in_order(WebhookDelivery, ordered_by=("subscription_id", "subject"), now=now),
            WebhookDelivery.subscription_id.in_(active),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    targets = {
        row.id: row
        for row in session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.id.in_({row.subscription_id for row in rows})
            )
        )
    }
    claimed = []
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.claimed_until = now + lease
        target = targets[row.subscription_id]
        claimed.append(
            ClaimedDelivery(
                id=row.id,
                subscription_id=row.subscription_id,
                url=target.url,
                secret=target.secret,
                event_id=row.event_id,
                event_type=row.event_type,
                subject=row.subject,
                body=row.body,
                attempts=row.attempts,
                window_start=row.window_start,
            )
        )
    session.flush()
    return claimed


def next_due(session: Session, *, after: datetime) -> datetime | None:
    """When the first delivery of an active subscription not due at `after` falls due:
    a retry's time, or the end of a claim's lease (crm_store/claims.py)."""
    active = WebhookDelivery.subscription_id.in_(
        select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
    )
    return claims.next_due(
        session,
        waiting=(
            and_(WebhookDelivery.status == "pending", active),
            WebhookDelivery.next_attempt_at,
        ),
        claimed=(and_(WebhookDelivery.status == "sending", active), WebhookDelivery.claimed_until),
        after=after,
    )


def mark_delivered(session: Session, delivery_id: int) -> None:
    row = session.get_one(WebhookDelivery, delivery_id)
    row.status = "delivered"
    row.delivered_at = utcnow()
    row.claimed_until = None
    row.last_error = None
    session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == row.subscription_id)
        .values(failing_since=None)
    )


def schedule_retry(
    session: Session, delivery_id: int, *, error: str, at: datetime, count_attempt: bool
) -> None:
    row = session.get_one(WebhookDelivery, delivery_id)
    row.status = "pending"
    row.next_attempt_at = at
    row.claimed_until = None
    row.last_error = error
    if not count_attempt:
        row.attempts -= 1


def finish(session: Session, delivery_id: int, *, status: str, error: str) -> None:
    """A row given up on: `failed` (refused for good) or `dead` (its window is over)."""
    row = session.get_one(WebhookDelivery, delivery_id)
    row.status = status
    row.claimed_until = None
    row.last_error = error


def release(session: Session, delivery_ids: list[int]) -> None:
    """Hand claimed rows back untried (their claim uncounted)."""
    for row in session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.status == "sending"
        )
    ):
        row.status = "pending"
        row.claimed_until = None
        row.attempts = max(0, row.attempts - 1)
