"""The send ledger: one row per (campaign, step, customer), claimed by the queue worker.

Rows are written when a send starts (crm_store/campaigns.py freezes the audience),
before any provider is called, and only move forward: `queued -> claimed -> sent |
failed | suppressed(reason)`. A claim is a lease: a row whose process died comes back
when it runs out, marked `uncertain` (the provider may have taken the message), and the
next try asks the provider before sending again. Claims take `FOR UPDATE SKIP LOCKED`
on PostgreSQL, so any number of workers share the ledger without taking a row twice;
on SQLite one writer at a time does the same.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from crm_store import claims
from crm_store.models import Campaign, CampaignRecipient, CampaignSend

__all__ = [
    "ClaimedSend",
    "SentNote",
    "claim_due",
    "finish",
    "mark_sending",
    "mark_sent",
    "mark_sent_many",
    "marketing_sends_of",
    "marketing_sms_sent_to",
    "next_due",
    "note_sending",
    "queue_audience",
    "release",
    "schedule_retry",
    "wait_until",
]

# `uncertain`: an email whose process died between marking it `sending` and recording
# what SMTP said; it is not sent again (bot/delivery/campaign_queue.py says why).
FINISHED = ("sent", "failed", "suppressed", "uncertain")
IN_FLIGHT = ("claimed", "sending")


@dataclass(frozen=True, slots=True)
class ClaimedSend:
    id: int
    campaign_id: int
    step: str
    customer_id: int
    channel: str
    purpose: str
    attempts: int
    window_start: datetime
    uncertain: bool
    interaction_id: int | None
    created_at: datetime
    # Its claim ran out while it was `sending`: the provider may have taken it.
    was_sending: bool = False


def queue_audience(
    session: Session,
    campaign_id: int,
    *,
    steps: Sequence[str],
    purpose: str,
    customers: Iterable[tuple[int, bool]],
    now: datetime,
) -> int:
    """Write the frozen recipients `(customer id, held out)` and one ledger row per step
    each: `queued`, or `suppressed(holdout)` for the held out. Returns the recipients
    written. Inserted as plain executemany in chunks (the caller streams `customers`)."""
    written = 0
    recipients: list[dict[str, object]] = []
    sends: list[dict[str, object]] = []

    def flush() -> None:
        if recipients:
            session.execute(insert(CampaignRecipient.__table__), recipients)
            session.execute(insert(CampaignSend.__table__), sends)
            recipients.clear()
            sends.clear()

    for customer_id, holdout in customers:
        recipients.append(
            {
                "campaign_id": campaign_id,
                "customer_id": customer_id,
                "holdout": holdout,
                "frozen_at": now,
            }
        )
        for step in steps:
            sends.append(
                {
                    "campaign_id": campaign_id,
                    "step": step,
                    "customer_id": customer_id,
                    "channel": step,
                    "purpose": purpose,
                    "state": "suppressed" if holdout else "queued",
                    "reason": "holdout" if holdout else None,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "uncertain": False,
                    "created_at": now,
                }
            )
        written += 1
        if len(recipients) >= 2000:
            flush()
    flush()
    return written


def next_due(session: Session, *, after: datetime) -> datetime | None:
    """When the first row of a sending campaign not due at `after` falls due: a retry's
    or a quiet hour's end, or the end of a claim's lease (crm_store/claims.py). A paused
    campaign's rows wait for its resumption, which wakes the sender."""
    sending = CampaignSend.campaign_id.in_(select(Campaign.id).where(Campaign.status == "sending"))
    return claims.next_due(
        session,
        waiting=(and_(CampaignSend.state == "queued", sending), CampaignSend.next_attempt_at),
        claimed=(and_(CampaignSend.state.in_(IN_FLIGHT), sending), CampaignSend.claimed_until),
        after=after,
    )


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    skip_customers: Collection[int] = (),
) -> list[ClaimedSend]:
    """Take up to `limit` due rows of campaigns that are sending, oldest first, in two
    statements whatever the batch (a locking SELECT, one UPDATE). A row whose earlier
    claim ran out comes back `uncertain`; one that ran out while `sending` (the
    provider was being called) comes back with `was_sending` too. Rows of
    `skip_customers` (whose earlier rows this worker still holds) are left for later."""
    sending = select(Campaign.id).where(Campaign.status == "sending")
    others = CampaignSend.customer_id.not_in(list(skip_customers)) if skip_customers else true()
    rows = session.execute(
        select(
            CampaignSend.id,
            CampaignSend.campaign_id,
            CampaignSend.step,
            CampaignSend.customer_id,
            CampaignSend.channel,
            CampaignSend.purpose,
            CampaignSend.state,
            CampaignSend.attempts,
            CampaignSend.uncertain,
            CampaignSend.interaction_id,
            CampaignSend.created_at,
        )
        .where(
            or_(
                and_(CampaignSend.state == "queued", CampaignSend.next_attempt_at <= now),
                and_(CampaignSend.state.in_(IN_FLIGHT), CampaignSend.claimed_until < now),
            ),
            CampaignSend.campaign_id.in_(sending),
            others,
        )
        .order_by(CampaignSend.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CampaignSend)
    ).all()
    if not rows:
        return []
    session.execute(
        update(CampaignSend)
        .where(CampaignSend.id.in_([row.id for row in rows]))
        .values(
            # its process died mid-send: ask before sending again
            uncertain=case((CampaignSend.state.in_(IN_FLIGHT), True), else_=CampaignSend.uncertain),
            state="claimed",
            attempts=CampaignSend.attempts + 1,
            claimed_until=now + lease,
        )
    )
    return [
        ClaimedSend(
            id=row.id,
            campaign_id=row.campaign_id,
            step=row.step,
            customer_id=row.customer_id,
            channel=row.channel,
            purpose=row.purpose,
            attempts=row.attempts + 1,
            window_start=row.created_at,
            uncertain=row.uncertain or row.state in IN_FLIGHT,
            interaction_id=row.interaction_id,
            created_at=row.created_at,
            was_sending=row.state == "sending",
        )
        for row in rows
    ]


def note_sending(session: Session, notes: Sequence[tuple[int, str, int]]) -> None:
    """Before the provider call: the address used and the logged interaction of each
    `(send id, address, interaction id)`, in one executemany."""
    if not notes:
        return
    session.connection().execute(
        update(CampaignSend.__table__)
        .where(CampaignSend.__table__.c.id == bindparam("send_id"))
        .values(address=bindparam("to"), interaction_id=bindparam("logged")),
        [{"send_id": i, "to": a, "logged": n} for i, a, n in notes],
    )


def mark_sending(session: Session, send_id: int) -> bool:
    """Right before a provider call that cannot be looked up afterwards (SMTP): a row
    whose claim runs out in this state is not sent again. False when the row was no
    longer held."""
    return bool(
        session.execute(
            update(CampaignSend)
            .where(CampaignSend.id == send_id, CampaignSend.state == "claimed")
            .values(state="sending")
        ).rowcount
    )


@dataclass(frozen=True, slots=True)
class SentNote:
    send_id: int
    provider_message_id: str | None
    sms_segments: int | None


def mark_sent_many(session: Session, sent: Sequence[SentNote], *, now: datetime) -> None:
    """Record the provider's acceptance of each row this worker holds, in one
    executemany (a row no longer held is left alone)."""
    if not sent:
        return
    table = CampaignSend.__table__
    session.connection().execute(
        update(table)
        # (no IN here: an executemany takes no expanding parameters)
        .where(
            table.c.id == bindparam("send_id"),
            or_(table.c.state == "claimed", table.c.state == "sending"),
        )
        .values(
            state="sent",
            provider_message_id=bindparam("sid"),
            sms_segments=bindparam("segments"),
            sent_at=now,
            uncertain=False,
            reason=None,
            detail=None,
            claimed_until=None,
        ),
        [
            {"send_id": n.send_id, "sid": n.provider_message_id, "segments": n.sms_segments}
            for n in sent
        ],
    )


def mark_sent(
    session: Session,
    send_id: int,
    *,
    provider_message_id: str | None,
    sms_segments: int | None,
    now: datetime,
) -> bool:
    """Record the provider's acceptance; False if the row was not ours to finish."""
    return _settle(
        session,
        send_id,
        state="sent",
        provider_message_id=provider_message_id,
        sms_segments=sms_segments,
        sent_at=now,
        uncertain=False,
        reason=None,
        detail=None,
    )


def finish(session: Session, send_id: int, *, state: str, reason: str, detail: str) -> None:
    """`failed` (the provider refused for good, or retries ran out) or `suppressed`."""
    _settle(session, send_id, state=state, reason=reason[:40], detail=detail)


def schedule_retry(
    session: Session,
    send_id: int,
    *,
    error: str,
    at: datetime,
    count_attempt: bool,
    uncertain: bool,
) -> None:
    values: dict[str, object] = {
        "state": "queued",
        "next_attempt_at": at,
        "reason": "retrying",
        "detail": error,
        "uncertain": uncertain,
    }
    if not count_attempt:
        values["attempts"] = CampaignSend.attempts - 1
    _settle(session, send_id, **values)


def wait_until(session: Session, send_id: int, *, at: datetime, reason: str, detail: str) -> None:
    """Not yet (quiet hours): queued again for `at`, the try not counted."""
    _settle(
        session,
        send_id,
        state="queued",
        next_attempt_at=at,
        attempts=CampaignSend.attempts - 1,
        reason=reason,
        detail=detail,
    )


def _settle(session: Session, send_id: int, **values: object) -> bool:
    """Move a row this worker holds (`claimed` or `sending`) on, ending its claim; False when it was
    not held (its lease ran out and another worker took it)."""
    return bool(
        session.execute(
            update(CampaignSend)
            .where(CampaignSend.id == send_id, CampaignSend.state.in_(IN_FLIGHT))
            .values(claimed_until=None, **values)
        ).rowcount
    )


def release(session: Session, send_ids: Sequence[int]) -> None:
    """Hand claimed rows back untried (their claim uncounted)."""
    session.execute(
        update(CampaignSend)
        # Not a row `sending`: it may have reached the provider (it comes back
        # uncertain when its lease runs out).
        .where(CampaignSend.id.in_(send_ids), CampaignSend.state == "claimed")
        .values(
            state="queued",
            claimed_until=None,
            attempts=func.max(CampaignSend.attempts - 1, 0)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(CampaignSend.attempts - 1, 0),
        )
    )


def provider_id_taken(session: Session, provider_message_id: str, *, other_than: int) -> bool:
    return (
        session.scalar(
            select(CampaignSend.id)
            .where(
                CampaignSend.provider_message_id == provider_message_id,
                CampaignSend.id != other_than,
            )
            .limit(1)
        )
        is not None
    )


def marketing_sends_of(
    session: Session, customer_ids: Iterable[int], since: datetime
) -> dict[int, set[int]]:
    """The ledger rows that count against each customer's frequency cap: marketing
    messages sent since `since` across campaigns, with those in flight to them now
    (claimed anywhere, this batch too) or possibly sent (`uncertain`): the cap counts
    them all, so two workers cannot each send the last one allowed."""
    found: dict[int, set[int]] = {}
    for customer_id, send_id in session.execute(
        select(CampaignSend.customer_id, CampaignSend.id).where(
            CampaignSend.customer_id.in_(list(customer_ids)),
            CampaignSend.purpose == "marketing",
            or_(
                and_(CampaignSend.state == "sent", CampaignSend.sent_at >= since),
                CampaignSend.state.in_((*IN_FLIGHT, "uncertain")),
            ),
        )
    ):
        found.setdefault(customer_id, set()).add(send_id)
    return found


def marketing_sms_sent_to(session: Session, addresses: Iterable[str]) -> set[str]:
    """The numbers among `addresses` sent a marketing SMS before (the opt-out hint goes
    with the first one only)."""
    return set(
        session.scalars(
            select(CampaignSend.address)
            .where(
                CampaignSend.channel == "sms",
                CampaignSend.address.in_(list(addresses)),
                CampaignSend.purpose == "marketing",
                CampaignSend.state == "sent",
            )
            .distinct()
        )
    )


def suppress_unsent(session: Session, campaign_id: int, *, reason: str, detail: str) -> int:
    """Suppress every row of the campaign still queued (a cancel): the ledger says why
    each one was not sent. Rows in flight finish as they will."""
    return session.execute(
        update(CampaignSend)
        .where(CampaignSend.campaign_id == campaign_id, CampaignSend.state == "queued")
        .values(state="suppressed", reason=reason, detail=detail)
    ).rowcount


def unfinished(session: Session, campaign_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(CampaignSend.id)).where(
                CampaignSend.campaign_id == campaign_id, CampaignSend.state.not_in(FINISHED)
            )
        )
        or 0
    )


def tally(session: Session, campaign_id: int) -> list[tuple[str, str, str | None, int]]:
    """(step, state, reason, count) for the campaign's ledger."""
    rows = session.execute(
        select(CampaignSend.step, CampaignSend.state, CampaignSend.reason, func.count())
        .where(CampaignSend.campaign_id == campaign_id)
        .group_by(CampaignSend.step, CampaignSend.state, CampaignSend.reason)
    ).all()
    return [(step, state, reason, int(n)) for step, state, reason, n in rows]


def address_of(session: Session, send_id: int) -> str | None:
    return session.scalar(select(CampaignSend.address).where(CampaignSend.id == send_id))


def interaction_of(session: Session, send_id: int) -> int | None:
    return session.scalar(select(CampaignSend.interaction_id).where(CampaignSend.id == send_id))
