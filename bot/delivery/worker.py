"""The delivery worker: the outbox queue on the one queue worker.

Every row is logged before it is sent (the engine writes interaction and outbox row in
one transaction). A send that fails is retried with the retry policy's backoff and
jitter for its channel's retry window (hours by default); then the row and its
interaction are marked `dead`, with the last error, listed and alerted for an admin to
retry or discard. A row the provider refuses for good is `failed`. Nothing is dropped
silently. What sending a row means (adapters, consent, delivery status) is in
`outbox_queue.py`; the loop, batches, backoff and shutdown in `queue.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from bot.delivery.outbox_queue import FailureHook, OutboxQueue
from bot.delivery.queue import QueueWorker, RetryPolicy
from channels.messages import Channel, SendReceipt
from channels.ports import ChannelSender
from crm_store import Database
from crm_store.base import utcnow
from crm_store.records import OutboxRecord

__all__ = ["DeliveryWorker", "RetryPolicy"]


class DeliveryWorker(QueueWorker[OutboxRecord, SendReceipt]):
    """Sends outbox rows through the channel senders until stopped."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[Channel, ChannelSender],
        *,
        policy: RetryPolicy | None = None,
        channel_policies: Mapping[str, RetryPolicy] | None = None,
        batch_size: int = 20,
        lease_seconds: float = 60.0,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        only: frozenset[Channel] | None = None,
    ) -> None:
        """`only` limits the worker to some channels (the terminal chat, which shares a
        database with a server, must not take the server's web replies);
        `channel_policies` are the channels with a retry window of their own."""
        self.channel_policies = dict(channel_policies or {})
        self.outbox = OutboxQueue(
            database, senders, lease_seconds=lease_seconds, clock=clock, only=only
        )
        super().__init__(
            self.outbox,
            policy,
            batch_size=batch_size,
            poll_interval_seconds=poll_interval_seconds,
            clock=clock,
            name="outbox",
        )

    def report_failures_to(self, hook: FailureHook) -> None:
        """Have `hook` told of every message given up on (bot/wiring hands in the
        handoff service's, so the agents hear why a message in a handoff, their reply or
        the bot's, did not arrive)."""
        self.outbox.report_failures_to(hook)

    def policy_for(self, row: OutboxRecord) -> RetryPolicy:
        return self.channel_policies.get(row.channel, self.policy)

    async def deliver_due(self) -> int:
        """One pass: claim due rows and send them, concurrently across recipients and in
        order to each one. Returns how many were tried."""
        return await self.work_due()
