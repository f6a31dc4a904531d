"""The agents' view of handoffs without Slack: the work list and one handoff's state.

Read-only: what an agent needs to find their work (queued, claimed, by whom, waiting how
long) from the staff API or the signed handoff page, whatever the desk is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_store import Database, handoffs
from crm_store.base import utcnow
from crm_store.handoffs import HandoffListing
from crm_store.models import StaffUser

# The states an agent can ask for, and the handoff statuses each one means.
STATES: dict[str, tuple[str, ...]] = {
    "queued": ("queued",),
    "waiting": ("queued",),  # the dashboard's word for queued: waiting for a person
    "claimed": ("claimed",),
    "resolved": ("resolved",),
    "returned_to_bot": ("returned_to_bot",),
    "closed": ("resolved", "returned_to_bot"),
}


@dataclass(frozen=True, slots=True)
class HandoffState:
    """Where one handoff stands: its status, who owns it, since when."""

    handoff_id: int
    status: str
    owner_id: int | None
    owner_name: str | None
    opened_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    age_seconds: int


def _age(opened_at: datetime, now: datetime) -> int:
    return max(0, int((now - opened_at).total_seconds()))


def state_of(database: Database, handoff_id: int) -> HandoffState | None:
    """The handoff's status and owner, or None when there is no such handoff."""
    with database.transaction() as session:
        found = handoffs.get_handoff(session, handoff_id)
        if found is None:
            return None
        owner = (
            session.get(StaffUser, found.claimed_by_staff_id)
            if found.claimed_by_staff_id is not None
            else None
        )
        return HandoffState(
            handoff_id=found.id,
            status=found.status,
            owner_id=found.claimed_by_staff_id,
            owner_name=owner.name if owner is not None else None,
            opened_at=found.created_at,
            claimed_at=found.claimed_at,
            closed_at=found.closed_at,
            age_seconds=_age(found.created_at, utcnow()),
        )


def work_list(
    database: Database,
    *,
    state: str | None,
    owner_staff_id: int | None,
    limit: int,
    offset: int,
) -> list[dict[str, object]]:
    """Handoffs newest first as the staff API shows them (see `STATES` for `state`)."""
    with database.transaction() as session:
        rows = handoffs.list_handoffs(
            session,
            statuses=STATES[state] if state is not None else None,
            owner_staff_id=owner_staff_id,
            limit=limit,
            offset=offset,
        )
    now = utcnow()
    return [_row(listing, now) for listing in rows]


def _row(listing: HandoffListing, now: datetime) -> dict[str, object]:
    handoff = listing.handoff
    return {
        "id": handoff.id,
        "state": handoff.status,
        "owner": (
            {"id": handoff.claimed_by_staff_id, "name": listing.owner_name}
            if handoff.claimed_by_staff_id is not None
            else None
        ),
        "age_seconds": _age(handoff.created_at, now),
        "customer": {"id": handoff.customer_id, "name": listing.customer_name},
        "channel": listing.channel,
        "reason": handoff.reason,
        "conversation_id": handoff.conversation_id,
        "opened_at": handoff.created_at.isoformat(),
    }
