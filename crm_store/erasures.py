"""Erasure jobs in the store: started with their checklist (`start`), each step claimed
and settled by the queue worker (bot/erasure/queue.py), and, once the last step is
settled, the report written (`report`): what was erased, what pseudonymised, what could
not be reached and why. Counts and reasons only, never a name, address or text.

The steps and what they need, taken when the erasure starts (the store step may run
before the others and remove what they would have looked up):

- `store`: the customer's rows (crm_store/erasure.py); needs nothing.
- `slack`: the handoff cards and their threads: (channel, thread ts) pairs.
- `sms`: Twilio's message resources: the message SIDs, in and out.
- `mailbox`: the customer's mail in the support mailbox: the Message-IDs Switchboard
  read (the mail it sent went to the customer's own mailbox, out of reach).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from crm_store import audit, claims, tombstones, webhooks
from crm_store.base import utcnow
from crm_store.erasure import handoff_threads
from crm_store.errors import NotFound
from crm_store.models import (
    Customer,
    Erasure,
    ErasureStep,
    Handoff,
    Identity,
    Interaction,
    OutboxMessage,
)

__all__ = [
    "ClaimedStep",
    "ErasureRecord",
    "claim_due",
    "get_erasure",
    "next_due",
    "release",
    "start",
    "step_done",
    "step_finished",
    "step_retry",
]


@dataclass(frozen=True, slots=True)
class ClaimedStep:
    """A step as the queue worker works it."""

    id: int
    erasure_id: int
    customer_id: int
    name: str
    arguments: dict[str, Any]
    attempts: int
    window_start: datetime


@dataclass(frozen=True, slots=True)
class ErasureRecord:
    id: int
    customer_id: int
    status: str
    reason: str
    via: str
    requested_by_staff_id: int | None
    created_at: datetime
    finished_at: datetime | None
    steps: list[dict[str, Any]]
    report: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "status": self.status,
            "reason": self.reason,
            "requested": {"via": self.via, "staff_id": self.requested_by_staff_id},
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "steps": self.steps,
            "report": self.report,
        }


def copies_outside(session: Session, customer_id: int) -> dict[str, dict[str, Any]]:
    """Step name -> its arguments: the ids of the customer's copies outside the store."""
    threads = handoff_threads(session, Handoff.customer_id == customer_id)
    sids = set(
        session.scalars(
            select(Interaction.provider_message_id).where(
                Interaction.customer_id == customer_id,
                Interaction.channel == "sms",
                Interaction.provider_message_id.is_not(None),
            )
        )
    )
    mine = select(Interaction.id).where(Interaction.customer_id == customer_id)
    sids |= set(
        session.scalars(
            select(OutboxMessage.provider_message_id).where(
                OutboxMessage.interaction_id.in_(mine),
                OutboxMessage.channel == "sms",
                OutboxMessage.provider_message_id.is_not(None),
            )
        )
    )
    mails = set(
        session.scalars(
            select(Interaction.provider_message_id).where(
                Interaction.customer_id == customer_id,
                Interaction.channel == "email",
                Interaction.direction == "in",
                Interaction.provider_message_id.is_not(None),
            )
        )
    )
    steps: dict[str, dict[str, Any]] = {"store": {}}
    if threads:
        steps["slack"] = {"threads": [list(thread) for thread in sorted(set(threads))]}
    if sids:
        steps["sms"] = {"message_sids": sorted(str(sid) for sid in sids)}
    if mails:
        steps["mailbox"] = {"message_ids": sorted(str(mail) for mail in mails)}
    return steps


def _identifiers(session: Session, customer: Customer) -> list[tuple[str, str]]:
    found = [("email", customer.email or ""), ("phone", customer.phone or "")]
    found += [
        (str(channel), str(address))
        for channel, address in session.execute(
            select(Identity.channel, Identity.address).where(Identity.customer_id == customer.id)
        )
        if not str(address).startswith("erased:")
    ]
    return [(kind, value) for kind, value in found if value]


def start(
    session: Session,
    customer_id: int,
    *,
    key: bytes,
    staff_id: int | None,
    via: str,
    endpoint: str,
    reason: str = "request",
) -> ErasureRecord:
    """Start erasing the customer: the erasure, its checklist and the tombstones, with
    the audit entry, in the caller's transaction. An erasure of the customer still
    running is returned instead of a second. Raises NotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id}")
    running = session.scalar(
        select(Erasure.id).where(Erasure.customer_id == customer_id, Erasure.status == "running")
    )
    if running is not None:
        return get_erasure(session, running)
    now = utcnow()
    erasure = Erasure(
        customer_id=customer_id,
        status="running",
        reason=reason,
        requested_by_staff_id=staff_id,
        via=via,
        report={},
        created_at=now,
    )
    session.add(erasure)
    session.flush()
    for name, arguments in copies_outside(session, customer_id).items():
        session.add(
            ErasureStep(
                erasure_id=erasure.id,
                name=name,
                arguments=arguments,
                next_attempt_at=now,
                window_start=now,
                result={},
            )
        )
    claims.note_queued(session, "erasures")
    laid = tombstones.lay(session, key, erasure.id, _identifiers(session, customer))
    erasure.report = {"tombstones": laid}
    audit.record_access(
        session,
        customer_ids=[customer_id],
        action="erase",
        endpoint=endpoint,
        via=via if via in audit.VIAS else "cli",
        staff_id=staff_id,
        subject=f"erasure {erasure.id}",
    )
    session.flush()
    return get_erasure(session, erasure.id)


def get_erasure(session: Session, erasure_id: int) -> ErasureRecord:
    """The erasure with its checklist. Raises NotFound."""
    row = session.get(Erasure, erasure_id)
    if row is None:
        raise NotFound(f"erasure {erasure_id}")
    steps = session.scalars(
        select(ErasureStep).where(ErasureStep.erasure_id == erasure_id).order_by(ErasureStep.id)
    )
    return ErasureRecord(
        id=row.id,
        customer_id=row.customer_id,
        status=row.status,
        reason=row.reason,
        via=row.via,
        requested_by_staff_id=row.requested_by_staff_id,
        created_at=row.created_at,
        finished_at=row.finished_at,
        steps=[
            {
                "name": step.name,
                "status": step.status,
                "attempts": step.attempts,
                "last_error": step.last_error,
                "done_at": step.done_at.isoformat() if step.done_at else None,
                "result": step.result,
            }
            for step in steps
        ],
        report=dict(row.report or {}),
    )


def erasures_of(session: Session, customer_id: int) -> list[int]:
    """Ids of the customer's erasures, oldest first."""
    return list(
        session.scalars(
            select(Erasure.id).where(Erasure.customer_id == customer_id).order_by(Erasure.id)
        )
    )


def next_due(
    session: Session, *, after: datetime, erasure_id: int | None = None
) -> datetime | None:
    """When the first step not due at `after` falls due: a retry's time, or the end of
    a claim's lease (crm_store/claims.py)."""
    of = ErasureStep.erasure_id == erasure_id if erasure_id is not None else true()
    return claims.next_due(
        session,
        waiting=(and_(ErasureStep.status == "pending", of), ErasureStep.next_attempt_at),
        claimed=(and_(ErasureStep.status == "sending", of), ErasureStep.claimed_until),
        after=after,
    )


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta, erasure_id: int | None = None
) -> list[ClaimedStep]:
    """Take up to `limit` due steps (or steps whose claim's lease ran out), oldest first;
    only one erasure's when `erasure_id` is given (the CLI working its own)."""
    query = (
        select(ErasureStep, Erasure.customer_id)
        .join(Erasure, Erasure.id == ErasureStep.erasure_id)
        .where(
            or_(
                (ErasureStep.status == "pending") & (ErasureStep.next_attempt_at <= now),
                (ErasureStep.status == "sending") & (ErasureStep.claimed_until < now),
            )
        )
        .order_by(ErasureStep.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=ErasureStep)
    )
    if erasure_id is not None:
        query = query.where(ErasureStep.erasure_id == erasure_id)
    claimed = []
    for step, customer_id in session.execute(query).all():
        step.status = "sending"
        step.attempts += 1
        step.claimed_until = now + lease
        claimed.append(
            ClaimedStep(
                id=step.id,
                erasure_id=step.erasure_id,
                customer_id=customer_id,
                name=step.name,
                arguments=dict(step.arguments or {}),
                attempts=step.attempts,
                window_start=step.window_start,
            )
        )
    session.flush()
    return claimed


def step_done(session: Session, step_id: int, result: dict[str, Any]) -> ErasureRecord | None:
    """Record a step's result. When it was the erasure's last, the erasure is finished
    (its report written, `customer.erased` emitted) and returned."""
    step = session.get_one(ErasureStep, step_id)
    step.status = "done"
    step.result = result
    step.done_at = utcnow()
    step.claimed_until = None
    step.last_error = None
    # Once done, a step's arguments (ids of copies now gone) are no longer needed.
    step.arguments = {}
    return _finish_if_settled(session, step.erasure_id)


def step_retry(
    session: Session, step_id: int, *, error: str, at: datetime, count_attempt: bool
) -> None:
    step = session.get_one(ErasureStep, step_id)
    step.status = "pending"
    step.next_attempt_at = at
    step.claimed_until = None
    step.last_error = error[:2000]
    if not count_attempt:
        step.attempts -= 1


def step_finished(
    session: Session, step_id: int, *, status: str, error: str
) -> ErasureRecord | None:
    """A step given up on: `failed` (refused for good) or `dead` (its window is over).
    The erasure is finished as `incomplete` when nothing else is left to run."""
    step = session.get_one(ErasureStep, step_id)
    step.status = status
    step.claimed_until = None
    step.last_error = error[:2000]
    return _finish_if_settled(session, step.erasure_id)


def release(session: Session, step_ids: list[int]) -> None:
    """Hand claimed steps back untried (their claim uncounted)."""
    for step in session.scalars(
        select(ErasureStep).where(ErasureStep.id.in_(step_ids), ErasureStep.status == "sending")
    ):
        step.status = "pending"
        step.claimed_until = None
        step.attempts = max(0, step.attempts - 1)


def _finish_if_settled(session: Session, erasure_id: int) -> ErasureRecord | None:
    erasure = session.get_one(Erasure, erasure_id)
    steps = list(session.scalars(select(ErasureStep).where(ErasureStep.erasure_id == erasure_id)))
    if erasure.status != "running" or any(s.status in ("pending", "sending") for s in steps):
        return None
    complete = all(step.status == "done" for step in steps)
    erasure.status = "done" if complete else "incomplete"
    erasure.finished_at = utcnow()
    erasure.report = report(erasure, steps)
    webhooks.emit(
        session,
        "customer.erased",
        subject=f"customer:{erasure.customer_id}",
        data={
            "customer_id": erasure.customer_id,
            "erasure_id": erasure.id,
            "status": erasure.status,
            "reason": erasure.reason,
        },
        customer_id=None,  # the event outlives the customer's rows; it holds ids only
    )
    session.flush()
    return get_erasure(session, erasure_id)


def report(erasure: Erasure, steps: list[ErasureStep]) -> dict[str, Any]:
    """The erasure's report from its steps' results: what was erased, pseudonymised,
    not reached (and why), and which steps did not finish. Counts and reasons only."""
    erased: dict[str, Any] = {}
    pseudonymised: dict[str, int] = {}
    not_reachable: list[dict[str, Any]] = []
    not_held: list[dict[str, Any]] = []
    unfinished: list[dict[str, Any]] = []
    for step in sorted(steps, key=lambda s: s.id):
        result = step.result or {}
        if step.status != "done":
            unfinished.append({"step": step.name, "status": step.status, "error": step.last_error})
            continue
        if result.get("erased"):
            erased[step.name] = result["erased"]
        for table, count in (result.get("pseudonymised") or {}).items():
            pseudonymised[table] = pseudonymised.get(table, 0) + int(count)
        not_reachable += result.get("not_reachable") or []
        not_held += result.get("not_held") or []
    return {
        "erasure_id": erasure.id,
        "customer_id": erasure.customer_id,
        "status": erasure.status,
        "requested_at": erasure.created_at.isoformat(),
        "finished_at": erasure.finished_at.isoformat() if erasure.finished_at else None,
        "tombstones": (erasure.report or {}).get("tombstones", 0),
        "erased": erased,
        "pseudonymised": pseudonymised,
        "not_reachable": not_reachable,
        "not_held": not_held,
        "unfinished": unfinished,
    }
