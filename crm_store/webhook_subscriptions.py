"""Webhook subscriptions: who hears which events, signed with which secret, and whether
they are on. A subscription whose every try has failed for a day is turned off here
(`note_failure`), and turned on again by an admin (`change_subscription`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.models import WebhookSubscription

# Every event a subscription may name. `customer.erased` has no source yet (erasure).
EVENT_TYPES = (
    "conversation.created",
    "message.created",
    "handoff.opened",
    "handoff.claimed",
    "ticket.updated",
    "lead.created",
    "survey.answered",
    "customer.erased",
)

__all__ = [
    "EVENT_TYPES",
    "SubscriptionRecord",
    "change_subscription",
    "create_subscription",
    "get_subscription",
    "note_failure",
    "subscriptions",
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
