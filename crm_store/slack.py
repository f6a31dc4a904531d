"""Slack state: events taken once, the Slack call queue, and Slack users as staff.

The call queue is Slack's own, not the customer outbox: outbox rows are interactions on
a customer's conversation (delivered to that customer), while Slack calls are Web API
methods for agents whose results feed later calls (a card's `ts` is the thread every
later message of that handoff goes to). Calls of one `lane` (a handoff) are sent in
order; a call waits while an earlier one of its lane is unfinished.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_store import claims
from crm_store.base import utcnow
from crm_store.customers import normalise_email
from crm_store.models import Handoff, SlackCall, SlackEvent, StaffUser
from crm_store.models.slack import HANDOFF_CARD, HANDOFF_CARD_COPY
from crm_store.records import StaffRecord
from crm_store.staff import staff_record

UNFINISHED = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class SlackCallRecord:
    id: int
    method: str
    arguments: dict[str, Any]
    purpose: str
    lane: str | None
    handoff_id: int | None
    status: str
    attempts: int
    uncertain: bool
    result: dict[str, Any]
    last_error: str | None
    created_at: datetime
    retry_from: datetime | None = None

    @property
    def window_start(self) -> datetime:
        """When the call's retry window began: its creation, or an admin's retry."""
        return self.retry_from or self.created_at


def _call(row: SlackCall) -> SlackCallRecord:
    return SlackCallRecord(
        id=row.id,
        method=row.method,
        arguments=dict(row.arguments or {}),
        purpose=row.purpose,
        lane=row.lane,
        handoff_id=row.handoff_id,
        status=row.status,
        attempts=row.attempts,
        uncertain=row.uncertain,
        result=dict(row.result or {}),
        last_error=row.last_error,
        created_at=row.created_at,
        retry_from=row.retry_from,
    )


# -- events ------------------------------------------------------------------------


def take_event(session: Session, event_id: str, event_type: str, payload: dict[str, Any]) -> bool:
    """Record an Events API delivery. False when this `event_id` was taken before."""
    if session.get(SlackEvent, event_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SlackEvent(event_id=event_id, event_type=event_type, payload=payload))
    except IntegrityError:  # a concurrent retry got there first
        return False
    return True


def finish_event(session: Session, event_id: str, error: str | None = None) -> None:
    session.execute(
        update(SlackEvent)
        .where(SlackEvent.event_id == event_id)
        .values(status="failed" if error else "handled", error=error)
    )


def forget_events(session: Session, received_before: datetime) -> int:
    """Drop handled events received before the given time (Slack retries for about an
    hour; failed ones stay for a person to see)."""
    return session.execute(
        delete(SlackEvent).where(
            SlackEvent.status == "handled", SlackEvent.received_at < received_before
        )
    ).rowcount


def event_status(session: Session, event_id: str) -> str | None:
    return session.scalar(select(SlackEvent.status).where(SlackEvent.event_id == event_id))


# -- the call queue ------------------------------------------------------------------


def enqueue_call(
    session: Session,
    method: str,
    arguments: dict[str, Any],
    *,
    purpose: str,
    handoff_id: int | None = None,
) -> SlackCallRecord:
    row = SlackCall(
        method=method,
        arguments=arguments,
        purpose=purpose,
        handoff_id=handoff_id,
        lane=f"handoff:{handoff_id}" if handoff_id is not None else None,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    claims.note_queued(session, "slack")
    return _call(row)


def enqueue_card(
    session: Session, handoff_id: int, arguments: dict[str, Any]
) -> SlackCallRecord | None:
    """Queue the post of a handoff's card; None when the handoff has its card already.

    A unique index allows one card call per handoff, so reporting a handoff again (a
    concurrent request, a retried turn) posts nothing more. The insert runs in a
    savepoint, so a refused one leaves the caller's transaction usable."""
    try:
        with session.begin_nested():
            return enqueue_call(
                session, "chat.postMessage", arguments, purpose=HANDOFF_CARD, handoff_id=handoff_id
            )
    except IntegrityError:
        return None


def handoff_of_card(session: Session, channel: str, ts: str) -> int | None:
    """The handoff whose card (or a second card of it, posted before cards were one per
    handoff) is the message `ts` in `channel`."""
    return session.scalar(
        select(SlackCall.handoff_id)
        .where(
            SlackCall.purpose.in_((HANDOFF_CARD, HANDOFF_CARD_COPY)),
            SlackCall.status == "done",
            SlackCall.result["ts"].as_string() == ts,
            SlackCall.result["channel"].as_string() == channel,
        )
        .limit(1)
    )


def holds_cards(session: Session, channel: str) -> bool:
    """Whether handoff cards are posted in this channel (by Slack's channel id)."""
    found = session.scalar(select(Handoff.id).where(Handoff.slack_channel == channel).limit(1))
    return found is not None


def next_call_due(session: Session, *, after: datetime) -> datetime | None:
    """When the first call not due at `after` falls due: a retry's time, or the end of
    a claim's lease (crm_store/claims.py)."""
    return claims.next_due(
        session,
        waiting=(SlackCall.status == "pending", SlackCall.next_attempt_at),
        claimed=(SlackCall.status == "sending", SlackCall.claimed_until),
        after=after,
    )


def claim_due_calls(
    session: Session, *, now: datetime, lease: timedelta, limit: int = 20
) -> list[SlackCallRecord]:
    """Take due calls whose lane has nothing unfinished before them (oldest first)."""
    rows = session.scalars(
        select(SlackCall)
        .where(SlackCall.status.in_(UNFINISHED))
        .order_by(SlackCall.id)
        .limit(limit * 5)
        .with_for_update(skip_locked=True)
    ).all()
    blocked: set[str] = set()
    taken: list[SlackCall] = []
    for row in rows:
        free = row.status == "pending" or (
            row.claimed_until is not None and row.claimed_until < now
        )
        due = free and row.next_attempt_at <= now
        if due and (row.lane is None or row.lane not in blocked) and len(taken) < limit:
            taken.append(row)
        if row.lane is not None:
            blocked.add(row.lane)
    for row in taken:
        if row.status == "sending" and row.method == "chat.postMessage":
            row.uncertain = True  # its worker vanished mid-call: it may have posted
        row.status = "sending"
        row.attempts += 1
        row.claimed_until = now + lease
    session.flush()
    return [_call(row) for row in taken]


def call_done(session: Session, call_id: int, result: dict[str, Any]) -> None:
    session.execute(
        update(SlackCall)
        .where(SlackCall.id == call_id)
        .values(status="done", result=result, done_at=utcnow(), claimed_until=None)
    )


def call_retry(
    session: Session,
    call_id: int,
    *,
    at: datetime,
    error: str,
    uncertain: bool = False,
    count_attempt: bool = True,
) -> None:
    values: dict[str, Any] = {
        "status": "pending",
        "next_attempt_at": at,
        "last_error": error,
        "claimed_until": None,
    }
    if uncertain:
        values["uncertain"] = True
    if not count_attempt:
        values["attempts"] = SlackCall.attempts - 1
    session.execute(update(SlackCall).where(SlackCall.id == call_id).values(**values))


def call_failed(session: Session, call_id: int, error: str) -> None:
    session.execute(
        update(SlackCall)
        .where(SlackCall.id == call_id)
        .values(status="failed", last_error=error, claimed_until=None, done_at=utcnow())
    )


def call_dead(session: Session, call_id: int, error: str) -> None:
    """Retried until its window ended (or its handoff's card call died): kept, with the
    last error, for an admin to retry or discard."""
    session.execute(
        update(SlackCall)
        .where(SlackCall.id == call_id)
        .values(status="dead", last_error=error, claimed_until=None, done_at=utcnow())
    )


def revive_call(session: Session, call_id: int, *, now: datetime) -> list[SlackCallRecord]:
    """An admin's retry of a dead call: due at once, with a fresh retry window. The dead
    calls behind it in its lane (a dead card's thread messages) come back with it, in
    their order. Empty when there is no dead call with that id."""
    row = session.get(SlackCall, call_id, with_for_update=True)
    if row is None or row.status != "dead":
        return []
    rows = [row]
    if row.lane is not None:
        rows += session.scalars(
            select(SlackCall)
            .where(SlackCall.lane == row.lane, SlackCall.id > row.id, SlackCall.status == "dead")
            .order_by(SlackCall.id)
        ).all()
    for each in rows:
        each.status = "pending"
        each.attempts = 0
        each.next_attempt_at = now
        each.retry_from = now
        each.done_at = None
    session.flush()
    return [_call(each) for each in rows]


def discard_call(session: Session, call_id: int) -> SlackCallRecord | None:
    """An admin gives a dead call up; it stays in the table, marked `discarded`."""
    row = session.get(SlackCall, call_id, with_for_update=True)
    if row is None or row.status != "dead":
        return None
    row.status = "discarded"
    session.flush()
    return _call(row)


def calls_in_state(session: Session, status: str, *, limit: int = 200) -> list[SlackCallRecord]:
    rows = session.scalars(
        select(SlackCall).where(SlackCall.status == status).order_by(SlackCall.id).limit(limit)
    )
    return [_call(row) for row in rows]


def count_calls_in_state(session: Session, status: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(SlackCall).where(SlackCall.status == status)
        )
        or 0
    )


def card_call_status(session: Session, handoff_id: int) -> str | None:
    """The status of the call that posts a handoff's card (None: there is none)."""
    return session.scalar(
        select(SlackCall.status)
        .where(SlackCall.handoff_id == handoff_id, SlackCall.purpose == HANDOFF_CARD)
        .order_by(SlackCall.id)
        .limit(1)
    )


def release_calls(session: Session, call_ids: list[int]) -> int:
    """Give claimed calls back (at shutdown), uncounting the try. A post may have been
    cut off mid-call, so it is marked uncertain: the next try looks before posting."""
    if not call_ids:
        return 0
    claimed = (SlackCall.id.in_(call_ids)) & (SlackCall.status == "sending")
    values: dict[str, Any] = {
        "status": "pending",
        "claimed_until": None,
        "attempts": SlackCall.attempts - 1,
        "next_attempt_at": utcnow(),
    }
    posts = session.execute(
        update(SlackCall)
        .where(claimed, SlackCall.method == "chat.postMessage")
        .values(**values, uncertain=True)
    ).rowcount
    others = session.execute(
        update(SlackCall).where(claimed, SlackCall.method != "chat.postMessage").values(**values)
    ).rowcount
    return posts + others


def card_call(session: Session, handoff_id: int) -> SlackCallRecord | None:
    """The call that posted (or will post) a handoff's card."""
    row = session.scalars(
        select(SlackCall)
        .where(SlackCall.handoff_id == handoff_id, SlackCall.purpose == HANDOFF_CARD)
        .order_by(SlackCall.id)
        .limit(1)
    ).first()
    return _call(row) if row is not None else None


def calls(session: Session) -> list[SlackCallRecord]:
    return [_call(row) for row in session.scalars(select(SlackCall).order_by(SlackCall.id))]


def due_soonest(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(SlackCall.next_attempt_at)).where(SlackCall.status == "pending")
    )


# -- Slack users as staff --------------------------------------------------------------


def staff_by_slack_user(session: Session, slack_user_id: str) -> StaffRecord | None:
    row = session.scalars(
        select(StaffUser).where(
            StaffUser.slack_user_id == slack_user_id, StaffUser.active.is_(True)
        )
    ).first()
    return staff_record(row) if row is not None else None


def link_slack_user_by_email(
    session: Session, slack_user_id: str, email: str
) -> StaffRecord | None:
    """Give the active staff user with this email, and no Slack user yet, this Slack id."""
    address = normalise_email(email) or email
    row = session.scalars(
        select(StaffUser).where(
            func.lower(StaffUser.email) == address.lower(),
            StaffUser.active.is_(True),
            or_(StaffUser.slack_user_id.is_(None), StaffUser.slack_user_id == slack_user_id),
        )
    ).first()
    if row is None:
        return None
    row.slack_user_id = slack_user_id
    session.flush()
    return staff_record(row)
