"""Driving the delivery worker through an outage without waiting: a clock the test moves,
replies queued as the app queues them, and a loop that lets the test's time pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.delivery.queue import QueueWorker
from bot.delivery.worker import DeliveryWorker
from crm_store import Database, customers, history, outbox
from crm_store.records import NewInteraction


class Clock:
    """UTC time that passes only when the test says so (made after the rows it is to
    find due are queued)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def queue_replies(
    database: Database, texts: list[str], *, channel: str, address: str, author: str = "agent"
) -> list[int]:
    """Replies logged and queued together, as the app does; their outbox ids."""
    ids = []
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, channel, address)
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel=channel
        )
        for text in texts:
            record = outbox.log_outbound(
                session,
                conversation,
                address,
                NewInteraction(direction="out", author=author, text=text),
            )
            found = outbox.outbox_for_interaction(session, record.id)
            assert found is not None
            ids.append(found.id)
    return ids


async def run_for(worker: DeliveryWorker, clock: Clock, seconds: float, step: float) -> None:
    """Let `seconds` of the test's time pass, the worker working every `step`."""
    end = clock.now + timedelta(seconds=seconds)
    while clock.now < end:
        await worker.deliver_due()
        clock.advance(step)


async def run_queue_for(
    worker: QueueWorker[Any, Any], clock: Clock, seconds: float, step: float
) -> None:
    """`run_for` for any queue's worker (the webhook worker, ...)."""
    end = clock.now + timedelta(seconds=seconds)
    while clock.now < end:
        await worker.work_due()
        clock.advance(step)
