"""A web chat reply carried back by the customer's own request is recorded sent in the
answer transaction (bot/conversation/engine.py `answered_in_response`), on SQLite and
PostgreSQL: the same record a send through the delivery worker leaves, once, with the
widget's sockets woken after commit and nothing left for the worker."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.conversation.engine import ConversationEngine
from bot.delivery.worker import DeliveryWorker
from channels.messages import Channel, InboundMessage
from crm_store import Database
from crm_store.models import Interaction, OutboxMessage
from tests.support.fakes import RecordingSender, ScriptedDialogue


def web_message(message_id: str = "w1") -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB, address="session-1", provider_message_id=message_id, text="hi"
    )


async def test_a_web_reply_is_recorded_sent_once_and_the_session_woken(
    database: Database,
) -> None:
    woken: list[str] = []
    worker_woken: list[bool] = []
    dialogue = ScriptedDialogue(replies=["Hello", "How can I help?"])
    engine = ConversationEngine(
        database,
        dialogue,
        outbox_written=lambda: worker_woken.append(True),
        answered_in_response={Channel.WEB: woken.append},
    )
    first, again = await asyncio.gather(
        engine.receive(web_message()), engine.receive(web_message())
    )

    assert [r.text for r in first.replies] == ["Hello", "How can I help?"]
    assert [r.seq for r in again.replies] == [r.seq for r in first.replies]
    assert woken == ["session-1"] and worker_woken == []
    with database.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        replies = session.scalars(
            select(Interaction).where(Interaction.direction == "out").order_by(Interaction.seq)
        ).all()
    assert [(row.status, row.attempts) for row in rows] == [("sent", 1), ("sent", 1)]
    assert [row.provider_message_id for row in rows] == [f"web-{r.id}" for r in replies]
    assert [r.delivery_status for r in replies] == ["sent", "sent"]

    # The delivery worker finds nothing to send: no second push, no second record.
    sender = RecordingSender()
    assert await DeliveryWorker(database, {Channel.WEB: sender}).deliver_due() == 0
    assert sender.sent == []


async def test_other_channels_still_go_through_the_outbox(database: Database) -> None:
    woken: list[str] = []
    engine = ConversationEngine(
        database, ScriptedDialogue(), answered_in_response={Channel.WEB: woken.append}
    )
    await engine.receive(
        InboundMessage(
            channel=Channel.SMS, address="+15550100", provider_message_id="s1", text="hi"
        )
    )
    assert woken == []
    with database.transaction() as session:
        assert session.scalars(select(OutboxMessage.status)).all() == ["pending"]
