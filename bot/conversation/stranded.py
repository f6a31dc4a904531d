"""The stranded-message sweeper: inbound messages recorded but never answered.

A message is taken in by one transaction and answered by a second (engine.py). If the
process dies in between (a crash, a SIGKILL, a deploy) or the database fails at the
second, the receipt stays `received` and no provider retry may ever come. Once the
intake's lease on it has run out, this queue claims it and answers it through
`ConversationEngine.receive`, exactly as a provider retry would: the receipt's move from
`received` to `answered` has one winner, so a late answer of the original request, a
real retry and the sweep together still answer once.

It runs on the one queue worker (bot/delivery/queue.py), which brings the loop, the
lanes, the backoff between tries and the shutdown. A message that still fails after the
policy's tries is marked `unanswered`, logged at ERROR, and counted on /healthz.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from anyio import to_thread

from bot.conversation.engine import ConversationEngine
from bot.conversation.reply_hints import inbound_again
from bot.delivery.queue import QueueWorker, RetryPolicy
from channels.errors import DeliveryError
from channels.messages import IntakeResult
from crm_store import Database, stranded
from crm_store.base import utcnow
from crm_store.stranded import StrandedMessage

log = logging.getLogger(__name__)

__all__ = ["StrandedMessageSweeper", "StrandedQueue"]


class StrandedQueue:
    """`bot.delivery.queue.Queue` over stranded receipts and the engine."""

    def __init__(
        self,
        database: Database,
        engine: ConversationEngine,
        *,
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock

    async def claim(self, limit: int) -> list[StrandedMessage]:
        return await to_thread.run_sync(self._claim, limit)

    async def next_due(self, after: datetime) -> datetime | None:
        return await self._db.read_async(lambda session: stranded.next_due(session, after=after))

    def lanes(self, rows: Sequence[StrandedMessage]) -> list[list[StrandedMessage]]:
        """One lane per conversation, oldest message first, as the customer wrote them."""
        conversations: dict[int, list[StrandedMessage]] = {}
        for row in rows:
            conversations.setdefault(row.conversation_id, []).append(row)
        return list(conversations.values())

    async def perform(self, row: StrandedMessage) -> IntakeResult:
        try:
            message = inbound_again(row)
        except ValueError as exc:
            raise DeliveryError(str(exc), retryable=False) from exc
        return await self._engine.receive(message)

    async def done(self, row: StrandedMessage, result: IntakeResult) -> None:
        log.warning(
            "stranded message answered",
            extra={
                "receipt_id": row.id,
                "channel": row.channel,
                "conversation_id": row.conversation_id,
                "received_at": row.created_at.isoformat(),
                "replies": len(result.replies),
                "by_another": result.duplicate,
            },
        )

    async def retry(
        self, row: StrandedMessage, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        await to_thread.run_sync(self._schedule, row.id, at, failure.reason, counted)
        log.warning(
            "answering a stranded message failed; will retry",
            extra={
                "receipt_id": row.id,
                "attempt": row.attempts,
                "retry_at": at.isoformat(),
                "error": failure.reason,
            },
        )

    async def failed(self, row: StrandedMessage, failure: DeliveryError) -> None:
        gave_up = await to_thread.run_sync(self._give_up, row.id, failure.reason)
        if gave_up:
            log.error(
                "stranded message left unanswered after its tries; a person must look",
                extra={
                    "receipt_id": row.id,
                    "channel": row.channel,
                    "conversation_id": row.conversation_id,
                    "provider_message_id": row.provider_message_id,
                    "attempts": row.attempts,
                    "error": failure.reason,
                },
            )

    async def dead(self, row: StrandedMessage, failure: DeliveryError) -> None:
        """Out of tries: the same as failing for good (left unanswered, a person looks)."""
        await self.failed(row, failure)

    async def release(self, rows: Sequence[StrandedMessage]) -> None:
        ids = [row.id for row in rows]
        await to_thread.run_sync(self._release, ids)

    # -- the store, in a worker thread ------------------------------------------------

    def _claim(self, limit: int) -> list[StrandedMessage]:
        with self._db.transaction() as session:
            return stranded.claim_stranded(
                session, now=self._clock(), limit=limit, lease=self._lease
            )

    def _schedule(self, receipt_id: int, at: datetime, error: str, counted: bool) -> None:
        with self._db.transaction() as session:
            stranded.schedule_sweep(session, receipt_id, at=at, error=error, count_attempt=counted)

    def _give_up(self, receipt_id: int, error: str) -> bool:
        with self._db.transaction() as session:
            return stranded.give_up(session, receipt_id, error=error)

    def _release(self, receipt_ids: list[int]) -> int:
        with self._db.transaction() as session:
            return stranded.release(session, receipt_ids)


class StrandedMessageSweeper(QueueWorker[StrandedMessage, IntakeResult]):
    """Answers stranded messages until stopped (a `bot.workers.Worker`)."""

    def __init__(
        self,
        database: Database,
        engine: ConversationEngine,
        *,
        policy: RetryPolicy | None = None,
        lease_seconds: float = 60.0,
        poll_interval_seconds: float = 10.0,
        batch_size: int = 20,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(
            StrandedQueue(database, engine, lease_seconds=lease_seconds, clock=clock),
            policy,
            batch_size=batch_size,
            poll_interval_seconds=poll_interval_seconds,
            clock=clock,
            name="stranded-messages",
        )
