"""The Slack side of a dead send's alarm: a line in the handoff channel.

A dead outbox row is logged at ERROR and counted on `/healthz` wherever it happens; when
Slack is on, agents are told too, through the Slack call queue (so the line is posted
when Slack answers, and a Slack outage cannot lose it). A dead Slack call raises no
Slack alarm: that would be a message to the thing that is down.
"""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread

from crm_store import Database
from crm_store import slack as slack_store
from crm_store.records import OutboxRecord
from crm_store.webhook_subscriptions import SubscriptionRecord as WebhookSubscriptionRecord

__all__ = ["SlackDeadAlarm", "SlackWebhookAlarm"]

PURPOSE = "dead_alert"


class SlackDeadAlarm:
    """`bot.delivery.outbox_queue.DeadAlarm` posting to the Slack handoff channel."""

    def __init__(self, database: Database, channel: str, wake: Callable[[], None]) -> None:
        self._db = database
        self._channel = channel
        self._wake = wake

    async def __call__(self, row: OutboxRecord, error: str) -> None:
        await to_thread.run_sync(self._enqueue, row, error)
        self._wake()

    def _enqueue(self, row: OutboxRecord, error: str) -> None:
        text = (
            f":warning: A {row.channel} message to {row.address} could not be delivered and "
            f"is dead (outbox {row.id}, conversation {row.conversation_id}): {error}. "
            f"`switchboard deliveries retry outbox-{row.id}` sends it again."
        )
        with self._db.transaction() as session:
            slack_store.enqueue_call(
                session,
                "chat.postMessage",
                {"channel": self._channel, "text": text},
                purpose=PURPOSE,
            )


class SlackWebhookAlarm:
    """`bot.webhooks.queue.DisabledAlarm` posting to the Slack handoff channel, through
    the Slack call queue like the dead-send alarm above."""

    def __init__(self, database: Database, channel: str, wake: Callable[[], None]) -> None:
        self._db = database
        self._channel = channel
        self._wake = wake

    async def __call__(self, subscription: WebhookSubscriptionRecord) -> None:
        await to_thread.run_sync(self._enqueue, subscription)
        self._wake()

    def _enqueue(self, subscription: WebhookSubscriptionRecord) -> None:
        text = (
            f":warning: Webhook subscription {subscription.id} ({subscription.url}) is turned "
            f"off: {subscription.disabled_reason}. Its events wait; "
            f'`PATCH /api/v1/webhooks/{subscription.id}` with `{{"active": true}}` resumes.'
        )
        with self._db.transaction() as session:
            slack_store.enqueue_call(
                session,
                "chat.postMessage",
                {"channel": self._channel, "text": text},
                purpose=PURPOSE,
            )
