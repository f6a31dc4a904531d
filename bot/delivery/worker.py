"""The delivery worker: sends outbox rows through the channel adapters.

Every row is logged before it is sent (the engine writes interaction and outbox row in
one transaction). A send that fails is retried with exponential backoff and jitter until
`max_attempts`; then the row and its interaction are marked `failed`, with the error, for
an agent to see. Nothing is dropped silently.

Consent is checked here, at the last moment, for every kind of message (bot, agent,
campaign): a row for an address that opted out on its channel fails with the reason,
and its interaction's delivery status reads `opted_out`. Only replies marked
`consent_notice` (the STOP confirmation, HELP) go out regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread

from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.ports import ChannelSender
from crm_store import Database, consents, delivery_status, outbox
from crm_store.base import utcnow
from crm_store.records import ConsentRecord, OutboxRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 300.0
    jitter: float = 0.2  # +-20 %, so retries of many rows do not arrive in lockstep

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        plain = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return plain * (1 + self.jitter * (2 * rand() - 1))


def to_outbound(row: OutboxRecord) -> OutboundMessage:
    payload = row.payload
    return OutboundMessage(
        outbox_id=row.id,
        interaction_id=row.interaction_id,
        conversation_id=row.conversation_id,
        seq=int(payload.get("seq", 0)),
        channel=Channel(row.channel),
        address=row.address,
        author=str(payload.get("author", "bot")),
        text=str(payload.get("text", "")),
        created_at=datetime.fromisoformat(payload["created_at"])
        if "created_at" in payload
        else utcnow(),
        attributes=dict(payload.get("attributes", {})),
    )


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        senders: Mapping[Channel, ChannelSender],
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 20,
        lease_seconds: float = 60.0,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        only: frozenset[Channel] | None = None,
    ) -> None:
        """`only` limits the worker to some channels (the terminal chat, which shares a
        database with a server, must not take the server's web replies)."""
        self._db = database
        self._senders = dict(senders)
        self._policy = policy or RetryPolicy()
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_seconds)
        self._poll_interval = poll_interval_seconds
        self._clock = clock
        self._only = only
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[int, asyncio.Task[None]] = {}

    def wake(self) -> None:
        """Tell the worker new rows are waiting (called after the engine commits)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until `stop()`: work while there is work, else wait for a wake-up."""
        while not self._stopping:
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("delivery pass failed; trying again")
                sent = 0
            if sent == 0 and not self._stopping:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)

    async def deliver_due(self) -> int:
        """One pass: claim due rows and send them, concurrently across recipients and in
        order to each one (two quick messages to a phone must not arrive swapped).
        Returns how many were tried."""
        rows = await to_thread.run_sync(self._claim)
        if not rows:
            return 0
        recipients: dict[tuple[str, str], list[OutboxRecord]] = {}
        for row in rows:
            recipients.setdefault((row.channel, row.address), []).append(row)
        tasks = []
        for queue in recipients.values():
            task = asyncio.create_task(self._deliver_in_order(queue))
            for row in queue:
                self._in_flight[row.id] = task
                task.add_done_callback(lambda _t, row_id=row.id: self._in_flight.pop(row_id, None))
            tasks.append(task)
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(rows)

    async def _deliver_in_order(self, queue: list[OutboxRecord]) -> None:
        for row in queue:
            try:
                await self._deliver(row)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store failed mid-way: the row's lease brings it back
                log.exception("delivery of one send failed", extra={"outbox_id": row.id})

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; let sends in flight finish for `grace_seconds`, re-queue the rest."""
        self._stopping = True
        self._wakeup.set()
        pending = dict(self._in_flight)
        if not pending:
            return
        _, unfinished = await asyncio.wait(set(pending.values()), timeout=grace_seconds)
        unfinished_ids = [row_id for row_id, task in pending.items() if task in unfinished]
        for task in unfinished:
            task.cancel()
        if unfinished_ids:
            released = await to_thread.run_sync(self._release, unfinished_ids)
            log.warning(
                "re-queued sends still in flight at shutdown",
                extra={"outbox_ids": unfinished_ids, "released": released},
            )

    def _claim(self) -> list[OutboxRecord]:
        if self._stopping:
            return []
        with self._db.transaction() as session:
            return outbox.claim_due(
                session,
                now=self._clock(),
                limit=self._batch_size,
                lease=self._lease,
                channels=[c.value for c in self._only] if self._only is not None else None,
            )

    def _release(self, outbox_ids: list[int]) -> int:
        with self._db.transaction() as session:
            return outbox.release(session, outbox_ids)

    async def _deliver(self, row: OutboxRecord) -> None:
        sender = self._senders.get(Channel(row.channel))
        if sender is None:
            await self._record_failure(
                row, f"no adapter is configured for channel {row.channel}", retryable=False
            )
            return
        opt_out = await to_thread.run_sync(self._opt_out_of, row)
        if opt_out is not None:
            await self._refuse(row, opt_out)
            return
        try:
            receipt = await sender.send(to_outbound(row))
        except asyncio.CancelledError:
            raise
        except DeliveryError as exc:
            if exc.opted_out_by is not None:
                await to_thread.run_sync(self._record_opt_out, row, exc.opted_out_by, exc.reason)
            else:
                await self._record_failure(row, exc.reason, retryable=exc.retryable)
            return
        except Exception as exc:  # an adapter bug must not lose the message either
            await self._record_failure(row, f"{type(exc).__name__}: {exc}", retryable=True)
            return
        await to_thread.run_sync(self._mark_sent, row, receipt)
        log.info(
            "delivered",
            extra={"outbox_id": row.id, "channel": row.channel, "attempt": row.attempts},
        )

    def _mark_sent(self, row: OutboxRecord, receipt: SendReceipt) -> None:
        with self._db.transaction() as session:
            outbox.mark_sent(session, row.id, receipt.provider_message_id)
            delivery_status.record_sent(
                session, row.interaction_id, receipt.provider_message_id, receipt.attributes
            )

    def _opt_out_of(self, row: OutboxRecord) -> ConsentRecord | None:
        if row.payload.get("attributes", {}).get("consent_notice"):
            return None
        with self._db.transaction() as session:
            return consents.opt_out_of(session, row.channel, row.address)

    async def _refuse(self, row: OutboxRecord, opt_out: ConsentRecord) -> None:
        when = opt_out.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        error = f"recipient opted out by {opt_out.source or 'request'} at {when}"
        await to_thread.run_sync(self._mark_opted_out, row, error)
        log.warning(
            "not sent: recipient opted out",
            extra={"outbox_id": row.id, "channel": row.channel, "error": error},
        )

    def _mark_opted_out(self, row: OutboxRecord, error: str) -> None:
        with self._db.transaction() as session:
            outbox.mark_failed(session, row.id, error=error)
            delivery_status.force(
                session, row.interaction_id, "opted_out", attributes={"delivery_error": error}
            )

    def _record_opt_out(self, row: OutboxRecord, source: str, error: str) -> None:
        """The provider says the recipient unsubscribed: remember it, fail the row."""
        with self._db.transaction() as session:
            consents.record_consent(
                session,
                channel=row.channel,
                address=row.address,
                status=consents.OPTED_OUT,
                source=source,
            )
        self._mark_opted_out(row, error)
        log.warning(
            "not sent: the provider says the recipient opted out",
            extra={"outbox_id": row.id, "channel": row.channel, "error": error},
        )

    async def _record_failure(self, row: OutboxRecord, error: str, *, retryable: bool) -> None:
        if retryable and row.attempts < self._policy.max_attempts:
            at = self._clock() + timedelta(seconds=self._policy.delay(row.attempts))
            await to_thread.run_sync(self._schedule_retry, row.id, error, at)
            log.warning(
                "send failed; will retry",
                extra={
                    "outbox_id": row.id,
                    "channel": row.channel,
                    "attempt": row.attempts,
                    "retry_at": at.isoformat(),
                    "error": error,
                },
            )
        else:
            await to_thread.run_sync(self._mark_failed, row.id, error)
            log.error(
                "send failed for good",
                extra={
                    "outbox_id": row.id,
                    "channel": row.channel,
                    "attempt": row.attempts,
                    "error": error,
                },
            )

    def _schedule_retry(self, outbox_id: int, error: str, at: datetime) -> None:
        with self._db.transaction() as session:
            outbox.schedule_retry(session, outbox_id, error=error, at=at)

    def _mark_failed(self, outbox_id: int, error: str) -> None:
        with self._db.transaction() as session:
            outbox.mark_failed(session, outbox_id, error=error)
