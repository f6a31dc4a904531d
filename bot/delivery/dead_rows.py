"""Dead deliveries of both queues, as staff see and admins act on them.

A dead row is an outbox send (to a customer) or a Slack call (to agents) that was
retried until its retry window ended. Both are listed together; each is named
`outbox-<id>` or `slack-<id>` so one id says which queue it is in. An admin's retry
makes the row due at once with a fresh window (a Slack card brings back the thread
messages that died behind it); a discard keeps the row, marked `discarded`. Used by the
staff API and the CLI; synchronous (callers run it in a worker thread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from crm_store import Database, outbox
from crm_store import slack as slack_store
from crm_store.base import MAX_ID, utcnow

__all__ = ["DeadDelivery", "DeadRows", "UnknownDelivery", "parse_delivery_id"]

Queue = Literal["outbox", "slack"]
DELIVERY_ID = re.compile(r"^(outbox|slack)-([1-9][0-9]{0,17})$")
STATES = ("dead", "discarded")


class UnknownDelivery(LookupError):
    """No dead row with that id (never was one, or it is no longer dead)."""


@dataclass(frozen=True, slots=True)
class DeadDelivery:
    """One row of either queue, as listed."""

    id: str
    queue: Queue
    state: str
    channel: str  # sms / email / web for the outbox; "slack" for a Slack call
    target: str  # the customer's address, or the Slack method and purpose
    attempts: int
    last_error: str | None
    created_at: datetime
    handoff_id: int | None = None
    conversation_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "queue": self.queue,
            "state": self.state,
            "channel": self.channel,
            "target": self.target,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "handoff_id": self.handoff_id,
            "conversation_id": self.conversation_id,
        }


def parse_delivery_id(value: str) -> tuple[Queue, int]:
    """`outbox-12` -> ("outbox", 12); ValueError with the expected shape otherwise."""
    match = DELIVERY_ID.match(value)
    if match is None:
        raise ValueError("a delivery id is outbox-<number> or slack-<number>")
    if int(match[2]) > MAX_ID:
        raise ValueError(f"a delivery id's number is at most {MAX_ID}")
    return match[1], int(match[2])  # type: ignore[return-value]


class DeadRows:
    """List, count, retry and discard dead rows of the outbox and the Slack call queue."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def count(self) -> int:
        with self._db.transaction() as session:
            return outbox.count_in_state(session, "dead") + slack_store.count_calls_in_state(
                session, "dead"
            )

    def list(self, state: str = "dead", *, limit: int = 200) -> list[DeadDelivery]:
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        with self._db.transaction() as session:
            sends = outbox.in_state(session, state, limit=limit)
            calls = slack_store.calls_in_state(session, state, limit=limit)
        listed = [
            DeadDelivery(
                id=f"outbox-{row.id}",
                queue="outbox",
                state=row.status,
                channel=row.channel,
                target=row.address,
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=row.created_at,
                conversation_id=row.conversation_id,
            )
            for row in sends
        ] + [
            DeadDelivery(
                id=f"slack-{call.id}",
                queue="slack",
                state=call.status,
                channel="slack",
                target=f"{call.method} ({call.purpose})",
                attempts=call.attempts,
                last_error=call.last_error,
                created_at=call.created_at,
                handoff_id=call.handoff_id,
            )
            for call in calls
        ]
        return sorted(listed, key=lambda row: row.created_at)[:limit]

    def retry(self, delivery_id: str, *, now: datetime | None = None) -> list[str]:
        """Make a dead row due again with a fresh window; the ids brought back (a Slack
        card's dead thread messages come with it). Raises `UnknownDelivery`."""
        queue, number = parse_delivery_id(delivery_id)
        at = now or utcnow()
        with self._db.transaction() as session:
            if queue == "outbox":
                row = outbox.revive(session, number, now=at)
                revived = [f"outbox-{row.id}"] if row is not None else []
            else:
                revived = [
                    f"slack-{c.id}" for c in slack_store.revive_call(session, number, now=at)
                ]
        if not revived:
            raise UnknownDelivery(f"no dead delivery {delivery_id}")
        return revived

    def discard(self, delivery_id: str) -> None:
        """Give a dead row up (kept, marked `discarded`). Raises `UnknownDelivery`."""
        queue, number = parse_delivery_id(delivery_id)
        with self._db.transaction() as session:
            if queue == "outbox":
                found = outbox.discard(session, number) is not None
            else:
                found = slack_store.discard_call(session, number) is not None
        if not found:
            raise UnknownDelivery(f"no dead delivery {delivery_id}")
