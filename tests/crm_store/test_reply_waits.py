"""Agents' reply waits as events are logged, on SQLite and PostgreSQL: an event logged
late with an earlier time works the cycle's replies out again; a retried reply counts
once; a resolution ends the wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crm_store import Database
from crm_store.models import AgentReply
from tests.support.cycle_events import T0, sms_cycle_log


def _replies(database: Database) -> list[tuple[datetime, datetime | None]]:
    with database.transaction() as session:
        return [
            (replied.astimezone(UTC), waited.astimezone(UTC) if waited else None)
            for replied, waited in session.execute(
                select(AgentReply.replied_at, AgentReply.waited_since).order_by(
                    AgentReply.replied_at
                )
            )
        ]


def test_a_late_event_works_the_cycles_replies_out_again(database: Database) -> None:
    with sms_cycle_log(database) as log:
        log("conversation.opened", "o", 0)
        log("message.in", "1", 0)
        log("message.out", "2", 20, "agent")  # no handoff logged yet: no wait
        log("message.out", "2", 20, "agent")  # a retry: nothing new
        log("message.out", "3", 25, "agent")
        log("handoff.opened", "h", 5, "bot")  # logged late, at 10:05
        log("message.in", "4", 30)
        log("message.out", "5", 42, "agent")
        log("conversation.resolved", "r", 50, "agent")
        log("message.in", "6", 55)  # after the resolution: nobody has it
    assert _replies(database) == [
        (T0 + timedelta(minutes=20), T0 + timedelta(minutes=5)),  # from the handoff
        (T0 + timedelta(minutes=25), None),  # a second reply in a row
        (T0 + timedelta(minutes=42), T0 + timedelta(minutes=30)),  # wrote back at 10:30
    ]


def test_a_customers_message_logged_late_starts_the_wait_of_a_later_reply(
    database: Database,
) -> None:
    """The message's own INSERT asks whether a later reply exists (crm_store/event_log.py):
    a yes works the cycle's replies out again, a no leaves them."""
    with sms_cycle_log(database) as log:
        log("conversation.opened", "o", 0)
        log("handoff.opened", "h", 5, "bot")
        log("message.out", "1", 20, "agent")
        log("message.out", "2", 25, "agent")  # a second reply in a row: no wait
        log("message.in", "3", 30)  # after every reply: nothing to work out
        log("message.in", "4", 22)  # logged late, before the second reply
    assert _replies(database) == [
        (T0 + timedelta(minutes=20), T0 + timedelta(minutes=5)),
        (T0 + timedelta(minutes=25), T0 + timedelta(minutes=22)),
    ]
