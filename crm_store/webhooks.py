"""Outbound webhooks in the store: subscriptions, the events they hear (written in the
transaction of the change, one delivery row per subscription), and the rows the queue
worker claims and settles. Signing and sending are bot/delivery/webhook_queue.py's.

Events of one subject (a conversation, a ticket, a lead) go to a receiver in the order
they happened: a row is not claimed while an earlier row of its subject for the same
subscription is waiting for its retry or being sent.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from crm_store.base import utcnow
from crm_store.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

# Every event a subscription may name. `customer.erased` has no source yet (erasure).
EVENT_TYPES = (
    "conversation.created",
    "message.created",
    "handoff.opened",
    "handoff.claimed",
    "ticket.updated",
    "lead.created",
    "customer.erased",
)

__all__ = [
    "EVENT_TYPES",
    "ClaimedDelivery",
    "DeliveryLogEntry",
    "SubscriptionRecord",
    "claim_due",
    "create_subscription",
    "emit",
]


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: int
    url: str
    events: list[str]
    description: str | None
    active: bool
    failing_since: datetime | None
    disabled_reason: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": self.events,
            "description": self.description,
            "active": self.active,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at.isoformat(),
        }


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


@dataclass(frozen=True, slots=True)
class DeliveryLogEntry:
    id: int
    event_id: str
    event_type: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    tries: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "tries": self.tries,
        }


def _subscription(row: WebhookSubscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        active=row.active,
        failing_since=row.failing_since,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
    )


def create_subscription(
    session: Session, *, url: str, events: list[str], secret: str, description: str | None
) -> SubscriptionRecord:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown events {', '.join(unknown)}: one of {', '.join(EVENT_TYPES)}")
    row = WebhookSubscription(
        url=url, events=sorted(set(events)), secret=secret, description=description
    )
    session.add(row)
    session.flush()
    return _subscription(row)


def subscriptions(session: Session) -> list[SubscriptionRecord]:
    rows = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    return [_subscription(row) for row in rows]


def get_subscription(session: Session, subscription_id: int) -> SubscriptionRecord | None:
    row = session.get(WebhookSubscription, subscription_id)
    return _subscription(row) if row is not None else None


def change_subscription(
    session: Session,
    subscription_id: int,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> SubscriptionRecord | None:
    """Change a subscription; turning it on again clears its failure streak."""
    row = session.get(WebhookSubscription, subscription_id, with_for_update=True)
    if row is None:
        return None
    if events is not None:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown events {', '.join(unknown)}")
        row.events = sorted(set(events))
    if url is not None:
        row.url = url
    if active is not None:
        if active and not row.active:
            row.failing_since = None
            row.disabled_reason = None
        row.active = active
    session.flush()
    return _subscription(row)


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
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event {event_type!r}")
    listeners = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.events).where(
            WebhookSubscription.active.is_(True)
        )
    ).all()
    targets = [row.id for row in listeners if event_type in row.events]
    if not targets:
        return 0
    now = utcnow()
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
    return len(targets)


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> list[ClaimedDelivery]:
    """Take up to `limit` due rows of active subscriptions (or rows whose claim's lease
    ran out), oldest first, each after the earlier rows of its subject."""
    claimable = or_(
        and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "sending", WebhookDelivery.claimed_until < now),
    )
    earlier = aliased(WebhookDelivery)
    earlier_waiting = exists().where(
        earlier.subscription_id == WebhookDelivery.subscription_id,
        earlier.subject == WebhookDelivery.subject,
        earlier.id < WebhookDelivery.id,
        or_(
            and_(earlier.status == "pending", earlier.next_attempt_at > now),
            and_(earlier.status == "sending", earlier.claimed_until >= now),
        ),
    )
    active = select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
    rows = session.scalars(
        select(WebhookDelivery)
        .where(claimable, ~earlier_waiting, WebhookDelivery.subscription_id.in_(active))
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


def log_attempt(
    session: Session,
    delivery_id: int,
    *,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> None:
    session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            status_code=status_code,
            error=error[:2000] if error else None,
            duration_ms=duration_ms,
        )
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


def note_failure(
    session: Session, subscription_id: int, *, now: datetime, disable_after: timedelta
) -> SubscriptionRecord | None:
    """Count a failed try against the subscription; returns it when this failure ends a
    streak longer than `disable_after` and turns it off (None otherwise)."""
    row = session.get_one(WebhookSubscription, subscription_id, with_for_update=True)
    if not row.active:
        return None
    if row.failing_since is None:
        row.failing_since = now
        return None
    if now - row.failing_since < disable_after:
        return None
    row.active = False
    hours = (now - row.failing_since).total_seconds() / 3600
    row.disabled_reason = (
        f"disabled at {now:%Y-%m-%d %H:%M:%S} UTC: every delivery failed for {hours:.1f} hours"
    )
    session.flush()
    return _subscription(row)


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


def replay(session: Session, delivery_id: int, *, now: datetime) -> str | None:
    """Send a delivery again (same `webhook-id` and body) with a fresh window. Returns
    its state before, or None for no such delivery; a row still on its way is left."""
    row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        return None
    before = row.status
    if before in ("pending", "sending"):
        return before
    row.status = "pending"
    row.next_attempt_at = now
    row.window_start = now
    row.claimed_until = None
    row.attempts = 0
    return before


def delivery_log(
    session: Session, subscription_id: int, *, status: str | None = None, limit: int = 100
) -> list[DeliveryLogEntry]:
    """The subscription's deliveries, newest first, each with its tries."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    rows = session.scalars(query).all()
    tries: dict[int, list[dict[str, Any]]] = {row.id: [] for row in rows}
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(tries)))
        .order_by(WebhookAttempt.id)
    ):
        tries[attempt.delivery_id].append(
            {
                "at": attempt.at.isoformat(),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
            }
        )
    return [
        DeliveryLogEntry(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            subject=row.subject,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            tries=tries[row.id],
        )
        for row in rows
    ]
