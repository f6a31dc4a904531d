"""What a queue worker may claim, for tables that queue work in order (the outbox, the
webhook deliveries): rows with `status`, `next_attempt_at`, `claimed_until` and an `id`
that gives the order; and, for every queue table, when its next row falls due (a queue
worker with nothing to claim sleeps until then)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

# Where a transaction names the queues it wrote rows to (`note_queued`).
QUEUED = "switchboard_queued"


def note_queued(session: Session, queue: str) -> None:
    """Say that this transaction queued rows on `queue` ("outbox", "webhooks", ...):
    once it commits, the database tells its `on_queued` hooks (which wake the queue's
    worker, so an idle worker need not poll for them)."""
    session.info.setdefault(QUEUED, set()).add(queue)


def due_in_order(model: Any, *, ordered_by: Sequence[str], now: datetime) -> ColumnElement[bool]:
    """A row that is due (pending and its time has come, or claimed and its lease ran
    out) and has no earlier row of the same `ordered_by` key still unfinished and not
    due itself (waiting for its retry, or being sent): one recipient's or one subject's
    rows go in order."""
    claimable = or_(
        and_(model.status == "pending", model.next_attempt_at <= now),
        and_(model.status == "sending", model.claimed_until < now),
    )
    earlier = aliased(model)
    earlier_waiting = exists().where(
        *(getattr(earlier, name) == getattr(model, name) for name in ordered_by),
        earlier.id < model.id,
        or_(
            and_(earlier.status == "pending", earlier.next_attempt_at > now),
            and_(earlier.status == "sending", earlier.claimed_until >= now),
        ),
    )
    return and_(claimable, ~earlier_waiting)


def next_due(
    session: Session,
    *,
    waiting: tuple[ColumnElement[bool], Any],
    claimed: tuple[ColumnElement[bool], Any] | None,
    after: datetime,
) -> datetime | None:
    """When the earliest row of a queue table that was not due at `after` falls due, in
    one statement: `waiting` is (which rows wait for a time, that time column), as
    `(status == "pending", next_attempt_at)`; `claimed` is (which rows are claimed,
    their lease's end), since a claimed row whose process died is due when its lease
    runs out (None: the waiting rows' time is their lease's end). None when nothing
    waits. Rows due at `after` already are left out: one the claim did not take then
    waits behind another (its turn comes with that row's), and would wake the worker
    over and over."""
    is_waiting, due_at = waiting
    firsts = [select(func.min(due_at)).where(is_waiting, due_at > after).scalar_subquery()]
    if claimed is not None:
        is_claimed, lease_end = claimed
        firsts.append(
            select(func.min(lease_end)).where(is_claimed, lease_end >= after).scalar_subquery()
        )
    times = [at for at in session.execute(select(*firsts)).one() if at is not None]
    return min(times) if times else None
