"""How long customers waited for agents' replies, worked out as the events are logged.

A customer starts waiting for a person when the care cycle is handed off, or when they
write while a person has it and nobody is already waiting on a reply; the wait ends at
the next reply of an agent, which is credited to that agent. A second reply in a row is
a reply but ends no wait. A resolution or the handoff's return ends every wait.

`record_events` calls `follow_wait` for each event it inserted, in the same
transaction. An agent's reply has its cycle's replies in `agent_replies` worked out
again from the cycle's events in the log (`replay_waits`, a few dozen rows by the
(conversation, cycle) index), so the report reads the replies of its range by index
and never replays a conversation. Why from the log and not from a running state kept on
the cycle: events of one transaction can be logged out of time order (the demo's story
writer logs a cycle's handoff after its messages), and the log in time order is what
the waits mean; for the same reason a wait event logged with a time before one of the
cycle's replies works the cycle's replies out again. The waits are per care cycle: a
cycle starts after a resolution, which has ended every wait anyway.

Two transactions logging events of one cycle at the same moment: the reply's
transaction locks the cycle's `care_cycles` row (its own upsert there) before reading
the log, so two replies are worked out one after the other; a customer's message
committed while a reply of the same instant is being worked out can be missed by it,
which moves a wait by that message's seconds at most.

Migration 0024 replays older events with `replay_waits` too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select
from sqlalchemy.orm import Session

from crm_store.models import AgentReply, LoggedEvent

__all__ = [
    "WAIT_ENDS",
    "WAIT_EVENTS",
    "ReplyWait",
    "asks_reply_after",
    "follow_wait",
    "later_reply",
    "replay_waits",
    "wait_row",
]

# Events that end every wait of their cycle (and its person's hold on it).
WAIT_ENDS = ("conversation.resolved", "handoff.returned")
# The events the waits are made from (of `message.out`, agents' replies only).
WAIT_EVENTS = ("message.in", "message.out", "handoff.opened", *WAIT_ENDS)


def _is_agent_reply(event_type: str, actor: str, staff_id: int | None) -> bool:
    return event_type == "message.out" and actor == "agent" and staff_id is not None


@dataclass(frozen=True, slots=True)
class ReplyWait:
    """An agent's reply and the time the customer had waited since (None: it ended no
    wait), as `agent_replies` keeps it."""

    conversation_id: int
    cycle: int
    staff_id: int
    channel: str | None
    replied_at: datetime
    waited_since: datetime | None


def replay_waits(
    events: Iterable[tuple[int, int, str, str, int | None, str | None, datetime]],
) -> Iterator[ReplyWait]:
    """The agents' replies of logged events given as (conversation_id, cycle, type,
    actor, staff_id, channel, occurred_at), ordered by conversation, cycle, time and id,
    each with the wait it ended."""
    current: tuple[int, int] | None = None
    with_person, waiting = False, None
    for conversation_id, cycle, kind, actor, staff_id, channel, when in events:
        if (conversation_id, cycle) != current:
            current, with_person, waiting = (conversation_id, cycle), False, None
        if kind == "handoff.opened":
            with_person, waiting = True, waiting or when
        elif kind in WAIT_ENDS:
            with_person, waiting = False, None
        elif kind == "message.in":
            if with_person and waiting is None:
                waiting = when
        elif staff_id is not None and _is_agent_reply(kind, actor, staff_id):
            yield ReplyWait(conversation_id, cycle, staff_id, channel, when, waiting)
            with_person, waiting = True, None


def follow_wait(
    session: Session,
    event_type: str,
    *,
    conversation_id: int | None,
    cycle: int | None,
    actor: str,
    staff_id: int | None,
    occurred_at: datetime,
    reply_after: bool | None = None,
) -> None:
    """Work out the cycle's agents' replies again when a newly logged event changes
    them: an agent's reply, or a wait event older than one of the cycle's replies.
    `reply_after`: whether one of the cycle's replies is later than the event, when the
    event's own INSERT asked already (crm_store/event_log.py); None: `later_reply` asked here."""
    if conversation_id is None or cycle is None or event_type not in WAIT_EVENTS:
        return
    if not _is_agent_reply(event_type, actor, staff_id):
        if event_type == "message.out":
            return  # the bot's replies neither start nor end a wait
        if reply_after is None:
            where = {"conversation_id": conversation_id, "cycle": cycle, "occurred_at": occurred_at}
            reply_after = bool(session.scalar(later_reply(), where))
        if not reply_after:
            return
    _work_out_again(session, conversation_id, cycle)


def asks_reply_after(event_type: str, conversation_id: int | None, cycle: int | None) -> bool:
    """Whether `follow_wait` asks `reply_after` of this event (a wait event of a
    cycle that is not an agent's or the bot's reply)."""
    return (
        conversation_id is not None
        and cycle is not None
        and event_type in WAIT_EVENTS
        and event_type != "message.out"
    )


@functools.cache
def later_reply() -> Any:
    """Whether an agent's reply of the cycle is later than the event: built once, with
    the bound names of an event's row (`conversation_id`, `cycle`, `occurred_at`), so
    the event's own INSERT can ask it in its RETURNING (crm_store/event_log.py)."""
    return select(
        exists().where(
            AgentReply.conversation_id == bindparam("conversation_id"),
            AgentReply.cycle == bindparam("cycle"),
            AgentReply.replied_at
            > bindparam("occurred_at", type_=AgentReply.__table__.c.replied_at.type),
        )
    )


def _work_out_again(session: Session, conversation_id: int, cycle: int) -> None:
    e = LoggedEvent
    events = session.execute(
        select(e.conversation_id, e.cycle, e.type, e.actor, e.staff_id, e.channel, e.occurred_at)
        .where(e.conversation_id == conversation_id, e.cycle == cycle, e.type.in_(WAIT_EVENTS))
        .order_by(e.occurred_at, e.id)
    ).all()
    session.execute(
        delete(AgentReply).where(
            AgentReply.conversation_id == conversation_id, AgentReply.cycle == cycle
        )
    )
    replies = [wait_row(wait) for wait in replay_waits(events)]
    if replies:
        session.execute(insert(AgentReply), replies)


def wait_row(wait: ReplyWait) -> dict[str, object]:
    """`agent_replies`' row for a reply."""
    return {
        "conversation_id": wait.conversation_id,
        "cycle": wait.cycle,
        "staff_id": wait.staff_id,
        "channel": wait.channel,
        "replied_at": wait.replied_at,
        "waited_since": wait.waited_since,
    }
