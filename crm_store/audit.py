"""The audit log: who read or changed which customer's data, when, through which
endpoint or action. Append-only; ids, not content (crm_store/models/audit.py).

Recorded by the edges that serve people (bot/api/audit.py for the staff API, the CLI),
in the caller's transaction where the change is made, so a change is never without its
entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import AuditEntry

ACTIONS = ("read", "change", "export", "erase")
ACTORS = ("staff", "system")
VIAS = ("api", "slack", "cli")

__all__ = ["ACTIONS", "AuditRecord", "audit_entries", "record_access"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor_kind: str
    staff_id: int | None
    action: str
    customer_id: int
    via: str
    endpoint: str
    subject: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": {"kind": self.actor_kind, "staff_id": self.staff_id},
            "action": self.action,
            "customer_id": self.customer_id,
            "via": self.via,
            "endpoint": self.endpoint,
            "subject": self.subject,
        }


def record_access(
    session: Session,
    *,
    customer_ids: Iterable[int],
    action: str,
    endpoint: str,
    via: str,
    staff_id: int | None,
    subject: str | None = None,
) -> int:
    """One entry per customer touched; `staff_id` None is the system. Returns how many."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if via not in VIAS:
        raise ValueError(f"unknown audit channel {via!r}")
    now = utcnow()
    entries = [
        AuditEntry(
            at=now,
            actor_kind="staff" if staff_id is not None else "system",
            staff_id=staff_id,
            action=action,
            customer_id=customer_id,
            via=via,
            endpoint=endpoint[:200],
            subject=subject[:100] if subject else None,
        )
        for customer_id in dict.fromkeys(customer_ids)
    ]
    session.add_all(entries)
    session.flush()
    return len(entries)


def audit_entries(
    session: Session,
    *,
    customer_id: int | None = None,
    staff_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditRecord]:
    """Entries newest first, optionally of one customer or one staff user."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(AuditEntry.customer_id == customer_id)
    if staff_id is not None:
        query = query.where(AuditEntry.staff_id == staff_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return [
        AuditRecord(
            id=row.id,
            at=row.at,
            actor_kind=row.actor_kind,
            staff_id=row.staff_id,
            action=row.action,
            customer_id=row.customer_id,
            via=row.via,
            endpoint=row.endpoint,
            subject=row.subject,
        )
        for row in session.scalars(query)
    ]
