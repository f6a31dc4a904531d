"""Idempotency keys on agents' replies through the staff API: the first request under a
key is sent; the same request again (a client's retry after a timeout) finds the key and
sends nothing more; another request under the same key is refused.

One statement settles a race: `INSERT ... ON CONFLICT DO NOTHING` on (staff, key). On
PostgreSQL a second transaction inserting the same key waits for the first to commit and
then inserts nothing; SQLite's writes are one at a time. Keys older than `KEPT` are
deleted as new ones come (replies are few; no job of their own).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import ReplyKey

__all__ = ["KEPT", "ReplyKeyReused", "reply_request", "take_key"]

KEPT = timedelta(days=1)


class ReplyKeyReused(Exception):
    """The key was used for another request (another handoff, text or kind)."""


@dataclass(frozen=True, slots=True)
class _Request:
    handoff_id: int
    digest: str


def reply_request(handoff_id: int, text: str, *, note: bool) -> _Request:
    """What a key stands for: the handoff, and a digest of the kind and text."""
    digest = hashlib.sha256(f"{'note' if note else 'reply'}\n{text}".encode()).hexdigest()
    return _Request(handoff_id, digest)


def take_key(session: Session, staff_id: int, key: str, request: _Request) -> bool:
    """True when `key` is new for this staff member (the request is to be carried out,
    in the caller's transaction); False for a repeat of the same request. Raises
    ReplyKeyReused for another request under the key."""
    session.execute(delete(ReplyKey).where(ReplyKey.created_at < utcnow() - KEPT))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    taken = session.execute(
        insert(ReplyKey)
        .values(
            staff_id=staff_id,
            key=key,
            handoff_id=request.handoff_id,
            request=request.digest,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["staff_id", "key"])
        .returning(ReplyKey.id)
    ).first()
    if taken is not None:
        return True
    earlier = session.execute(
        select(ReplyKey.handoff_id, ReplyKey.request).where(
            ReplyKey.staff_id == staff_id, ReplyKey.key == key
        )
    ).one()
    if (earlier.handoff_id, earlier.request) != (request.handoff_id, request.digest):
        raise ReplyKeyReused(
            "this Idempotency-Key was used for another request: a new reply needs a new key"
        )
    return False
