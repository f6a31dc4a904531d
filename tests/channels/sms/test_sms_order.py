"""Messages to one phone go out in the order they were written; other recipients do not
wait for them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.delivery.worker import DeliveryWorker, RetryPolicy
from channels.messages import Channel, OutboundMessage, SendReceipt
from crm_store import Database, customers, history, outbox
from crm_store.records import NewInteraction


@dataclass
class HoldingSender:
    """Holds "first" until "other" (another recipient) has been sent, so the test fails
    (times out) if recipients are not served concurrently; records the order of sends."""

    channel: Channel = Channel.SMS
    other_sent: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendReceipt:
        if message.text == "first":
            await asyncio.wait_for(self.other_sent.wait(), timeout=30)
        self.sent.append((message.address, message.text))
        if message.text == "other":
            self.other_sent.set()
        return SendReceipt(provider_message_id=f"SM-{message.outbox_id}")


def enqueue(database: Database, address: str, texts: list[str]) -> None:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "sms", address)
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="sms"
        )
        for text in texts:
            record = history.append(
                session,
                conversation,
                NewInteraction(direction="out", author="agent", text=text),
            )
            outbox.enqueue(
                session,
                interaction_id=record.id,
                conversation_id=conversation.id,
                channel="sms",
                address=address,
                payload=outbox.payload_for(record),
            )


async def test_one_recipients_messages_keep_their_order(database: Database) -> None:
    enqueue(database, "+14155550101", ["first", "second", "third"])
    enqueue(database, "+14155550199", ["other"])
    sender = HoldingSender()
    worker = DeliveryWorker(database, {Channel.SMS: sender}, policy=RetryPolicy())

    assert await worker.deliver_due() == 4

    assert [text for address, text in sender.sent if address == "+14155550101"] == [
        "first",
        "second",
        "third",
    ]
    assert sender.sent[0] == ("+14155550199", "other")  # not kept waiting behind "first"
