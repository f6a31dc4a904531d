"""The webhook delivery log: every try of every delivery (status code, error, time
taken), as admins read it, and the replay of a delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.models import WebhookAttempt, WebhookDelivery

__all__ = ["DeliveryLogEntry", "delivery_log", "log_attempt", "replay"]


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
