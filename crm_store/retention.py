"""Retention: what is older than the company keeps loses its text, by the erasure's own
rules (crm_store/erasure.py `erase_under`), so reports keep counting it.

- conversations resolved before the cutoff: their messages, handoffs, receipts, outbox
  and Slack calls, as an erasure treats them; the conversation row stays, emptied.
  Tickets hanging off a conversation keep to their own retention.
- tickets solved or closed (last changed) before the cutoff: subject, description and
  their events' texts.
- attachments: no attachment file is kept on disk; messages older than the cutoff lose
  what they say about attachments (mail attachments' names, Twilio media links).

Only rows that still hold something are counted and touched, so each run reports what it
removed, and a dry run what a run would remove. Work goes in batches of `BATCH` roots,
each in its own transaction (the caller's `transaction` factory).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from crm_store.erasure import erase_under
from crm_store.models import Conversation, Interaction, Ticket
from crm_store.vocabulary import CLOSED_TICKET_STATUSES

__all__ = ["BATCH", "apply_retention"]

BATCH = 500
ATTACHMENT_KEYS = ("attachments", "media")
Transaction = Callable[[], AbstractContextManager[Session]]


def _old_conversations(before: datetime) -> Any:
    with_text = exists().where(
        Interaction.conversation_id == Conversation.id, Interaction.text != ""
    )
    return select(Conversation.id).where(
        Conversation.status == "resolved",
        Conversation.resolved_at < before,
        or_(with_text, Conversation.subject.is_not(None)),
    )


def _old_tickets(before: datetime) -> Any:
    return select(Ticket.id).where(
        Ticket.status.in_([status.value for status in CLOSED_TICKET_STATUSES]),
        Ticket.updated_at < before,
        or_(Ticket.subject != "", Ticket.description != ""),
    )


def _with_attachments(before: datetime) -> Any:
    return select(Interaction.id, Interaction.attributes).where(Interaction.created_at < before)


def _without_attachments(attributes: dict[str, Any]) -> dict[str, Any] | None:
    """The attributes with every attachment list dropped (top level or one below), or
    None when there was none."""
    changed = False
    kept: dict[str, Any] = {}
    for key, value in attributes.items():
        if key in ATTACHMENT_KEYS:
            changed = True
            continue
        if isinstance(value, dict) and any(k in value for k in ATTACHMENT_KEYS):
            value = {k: v for k, v in value.items() if k not in ATTACHMENT_KEYS}
            changed = True
        kept[key] = value
    return kept if changed else None


def apply_retention(
    transaction: Transaction,
    *,
    conversations_before: datetime | None = None,
    tickets_closed_before: datetime | None = None,
    attachments_before: datetime | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Apply each limit that is given; returns how many conversations, tickets and
    messages' attachments were (or, with `dry_run`, would be) emptied."""
    counts = {"conversations": 0, "closed_tickets": 0, "attachments": 0}
    # Attachments first: emptying a conversation empties its messages' attributes too,
    # and a dry run counts each limit as if it were alone.
    if attachments_before is not None:
        counts["attachments"] = _drop_attachments(transaction, attachments_before, dry_run)
    if conversations_before is not None:
        counts["conversations"] = _in_batches(
            transaction,
            _old_conversations(conversations_before),
            lambda session, ids: erase_under(
                session,
                Conversation.__table__,
                select(Conversation.id).where(Conversation.id.in_(ids)),
                skip=frozenset({"tickets", "ticket_events"}),
            ),
            dry_run,
        )
    if tickets_closed_before is not None:
        counts["closed_tickets"] = _in_batches(
            transaction,
            _old_tickets(tickets_closed_before),
            lambda session, ids: erase_under(
                session, Ticket.__table__, select(Ticket.id).where(Ticket.id.in_(ids))
            ),
            dry_run,
        )
    return counts


def _in_batches(
    transaction: Transaction,
    query: Any,
    erase: Callable[[Session, list[int]], object],
    dry_run: bool,
) -> int:
    done = 0
    last = 0
    while True:
        with transaction() as session:
            (key,) = query.selected_columns
            ids = list(session.scalars(query.where(key > last).order_by(key).limit(BATCH)))
            if not ids:
                return done
            if not dry_run:
                erase(session, ids)
        done += len(ids)
        last = ids[-1]


def _drop_attachments(transaction: Transaction, before: datetime, dry_run: bool) -> int:
    done = 0
    last = 0
    while True:
        with transaction() as session:
            query = _with_attachments(before).where(Interaction.id > last)
            rows = session.execute(query.order_by(Interaction.id).limit(BATCH)).all()
            if not rows:
                return done
            for row_id, attributes in rows:
                kept = _without_attachments(dict(attributes or {}))
                if kept is None:
                    continue
                done += 1
                if not dry_run:
                    session.execute(
                        update(Interaction).where(Interaction.id == row_id).values(attributes=kept)
                    )
        last = rows[-1][0]
