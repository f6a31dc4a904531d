"""IMAP watermarks: the highest UID of a mailbox folder already handed to the engine.

Kept per UIDVALIDITY: when a server renumbers a folder (new UIDVALIDITY), reading starts
again from the first message, and the Message-ID dedupe makes re-read mail a no-op.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import MailboxWatermark


def last_uid(session: Session, mailbox: str, uidvalidity: int) -> int:
    """The highest UID read so far in this folder generation; 0 when none."""
    value = session.scalar(
        select(MailboxWatermark.last_uid).where(
            MailboxWatermark.mailbox == mailbox, MailboxWatermark.uidvalidity == uidvalidity
        )
    )
    return int(value or 0)


def advance(session: Session, mailbox: str, uidvalidity: int, uid: int) -> None:
    """Record that every message up to `uid` was handed over; never moves backwards.

    The row is locked (FOR UPDATE on PostgreSQL, the write lock on SQLite) so two pollers
    sharing a database cannot move it back; a concurrent first insert fails on the unique
    key and the caller's transaction retries.
    """
    row = session.scalars(
        select(MailboxWatermark)
        .where(MailboxWatermark.mailbox == mailbox, MailboxWatermark.uidvalidity == uidvalidity)
        .with_for_update()
    ).one_or_none()
    if row is None:
        session.add(MailboxWatermark(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=uid))
    elif uid > row.last_uid:
        row.last_uid = uid
        row.updated_at = utcnow()
    session.flush()
