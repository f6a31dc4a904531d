"""Handoffs: the bot passing a conversation to a person, and who took it.

Ownership moves with the handoff: queued -> the conversation is `queued_for_agent`;
claimed -> `agent`, assigned to the claimer; resolved or returned to the bot -> `bot`.
Claiming is one conditional UPDATE, so of two agents pressing Claim at once one wins.
A conversation has at most one live (queued or claimed) handoff: a partial unique index
says so, so concurrent requests for a person open one handoff, never one each.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_store import history, webhooks
from crm_store.base import utcnow
from crm_store.event_log import record_event
from crm_store.models import Conversation, Customer, Handoff, StaffUser
from crm_store.records import HandoffRecord

ACTIVE = ("queued", "claimed")
# A second live handoff of one conversation, closed by migration 0008 (see the model).
SUPERSEDED = "superseded"


def handoff_record(row: Handoff) -> HandoffRecord:
    return HandoffRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        reason=row.reason,
        intent=row.intent,
        confidence=row.confidence,
        summary=row.summary,
        status=row.status,
        claimed_by_staff_id=row.claimed_by_staff_id,
        slack_channel=row.slack_channel,
        slack_thread_ts=row.slack_thread_ts,
        created_at=row.created_at,
        claimed_at=row.claimed_at,
        closed_at=row.closed_at,
    )


def open_handoff(
    session: Session,
    *,
    conversation_id: int,
    customer_id: int,
    reason: str,
    intent: str | None,
    confidence: float | None,
    summary: str,
) -> tuple[HandoffRecord, bool]:
    """Queue the conversation for a person. Returns the handoff and whether it is new:
    asking again while one is live keeps the one there is.

    The insert is tried first, in a savepoint: the unique index on live handoffs decides
    between concurrent requests (a check before the insert would let both through), and
    the loser takes the winner's handoff. On PostgreSQL the loser waits at the insert
    until the winner commits, so the handoff it returns is the committed one."""
    row = Handoff(
        conversation_id=conversation_id,
        customer_id=customer_id,
        reason=reason,
        intent=intent,
        confidence=confidence,
        summary=summary,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        live = active_handoff(session, conversation_id)
        if live is None:  # the index refused something else: not ours to hide
            raise
        return live, False
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(owner="queued_for_agent", assigned_staff_id=None)
    )
    session.flush()
    _log(
        session,
        "handoff.opened",
        row,
        actor="bot",
        detail=reason,
        data={"reason": reason, "intent": intent},
    )
    webhooks.emit(
        session,
        "handoff.opened",
        subject=f"conversation:{conversation_id}",
        customer_id=customer_id,
        data={
            "handoff_id": row.id,
            "conversation_id": conversation_id,
            "customer_id": customer_id,
            "reason": reason,
            "intent": intent,
        },
    )
    return handoff_record(row), True


def active_handoff(session: Session, conversation_id: int) -> HandoffRecord | None:
    row = session.scalars(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status.in_(ACTIVE))
        .order_by(Handoff.id.desc())
        .limit(1)
    ).first()
    return handoff_record(row) if row is not None else None


def get_handoff(session: Session, handoff_id: int) -> HandoffRecord | None:
    row = session.get(Handoff, handoff_id)
    return handoff_record(row) if row is not None else None


def claim(session: Session, handoff_id: int, staff_id: int) -> bool:
    """Give a queued handoff to `staff_id`. False when someone else got there first."""
    won = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "queued")
        .values(status="claimed", claimed_by_staff_id=staff_id, claimed_at=utcnow())
    ).rowcount
    if not won:
        return False
    conversation_id, customer_id = session.execute(
        select(Handoff.conversation_id, Handoff.customer_id).where(Handoff.id == handoff_id)
    ).one()
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(owner="agent", assigned_staff_id=staff_id)
    )
    _log(session, "handoff.claimed", session.get_one(Handoff, handoff_id), staff_id=staff_id)
    webhooks.emit(
        session,
        "handoff.claimed",
        subject=f"conversation:{conversation_id}",
        customer_id=customer_id,
        data={
            "handoff_id": handoff_id,
            "conversation_id": conversation_id,
            "customer_id": customer_id,
            "staff_id": staff_id,
        },
    )
    return True


def close(
    session: Session, handoff_id: int, outcome: str, *, staff_id: int | None = None
) -> HandoffRecord | None:
    """End an active handoff (`resolved` or `returned_to_bot`); the bot owns the
    conversation again. Resolving also resolves the conversation, credited to
    `staff_id` (the agent who closed it) in the event log. None if not active."""
    if outcome not in ("resolved", "returned_to_bot"):
        raise ValueError(f"unknown handoff outcome {outcome!r}")
    row = session.get(Handoff, handoff_id, with_for_update=True)
    if row is None or row.status not in ACTIVE:
        return None
    row.status = outcome
    row.closed_at = utcnow()
    session.flush()
    if outcome == "resolved":
        history.resolve(
            session,
            row.conversation_id,
            actor="agent",
            staff_id=staff_id,
            data={"handoff_id": row.id},
        )
    else:
        history.set_owner(session, row.conversation_id, "bot")
        _log(session, "handoff.returned", row, staff_id=staff_id)
    return handoff_record(row)


def _log(
    session: Session,
    event_type: str,
    row: Handoff,
    *,
    actor: str = "agent",
    staff_id: int | None = None,
    detail: str | None = None,
    data: dict[str, object] | None = None,
) -> None:
    channel, cycle = session.execute(
        select(Conversation.channel, Conversation.cycle).where(
            Conversation.id == row.conversation_id
        )
    ).one()
    record_event(
        session,
        event_type,
        key=str(row.id),
        actor=actor,
        conversation_id=row.conversation_id,
        cycle=cycle,
        customer_id=row.customer_id,
        channel=channel,
        staff_id=staff_id,
        detail=detail,
        data={"handoff_id": row.id, **(data or {})},
    )


def set_slack_thread(session: Session, handoff_id: int, channel: str, thread_ts: str) -> None:
    session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id)
        .values(slack_channel=channel, slack_thread_ts=thread_ts)
    )


def handoff_by_slack_thread(session: Session, channel: str, thread_ts: str) -> HandoffRecord | None:
    row = session.scalars(
        select(Handoff).where(
            Handoff.slack_channel == channel, Handoff.slack_thread_ts == thread_ts
        )
    ).first()
    return handoff_record(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class HandoffListing:
    """One row of the agents' work list: the handoff, who has it and whose it is."""

    handoff: HandoffRecord
    channel: str
    customer_name: str | None
    owner_name: str | None


def list_handoffs(
    session: Session,
    *,
    statuses: tuple[str, ...] | None = None,
    owner_staff_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[HandoffListing]:
    """Handoffs newest first, optionally only some statuses and one owner. Without
    `statuses`, every handoff but the superseded duplicates (they are not work)."""
    query = (
        select(Handoff, Conversation.channel, Customer.name, StaffUser.name)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .join(Customer, Customer.id == Handoff.customer_id)
        .outerjoin(StaffUser, StaffUser.id == Handoff.claimed_by_staff_id)
        .order_by(Handoff.created_at.desc(), Handoff.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if statuses is not None:
        query = query.where(Handoff.status.in_(statuses))
    else:
        query = query.where(Handoff.status != SUPERSEDED)
    if owner_staff_id is not None:
        query = query.where(Handoff.claimed_by_staff_id == owner_staff_id)
    return [
        HandoffListing(handoff_record(row), channel, customer_name, owner_name)
        for row, channel, customer_name, owner_name in session.execute(query)
    ]
