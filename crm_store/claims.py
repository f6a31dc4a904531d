"""What a queue worker may claim, for tables that queue work in order (the outbox, the
webhook deliveries): rows with `status`, `next_attempt_at`, `claimed_until` and an `id`
that gives the order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import aliased


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
