"""Erasure steps as a queue for the one queue worker (bot/delivery/queue.py): claim due
steps, perform each (bot/erasure/steps.py), record what came of it. When an erasure's
last step is settled the store writes its report and emits `customer.erased`; the
webhook worker is woken to send it.

Steps of one erasure do not wait for each other (each took what it needs when the
erasure began), so every step is a lane of its own. A failed step is retried with the
backoff for `privacy.erasure_retry_window_seconds` (a week by default: Slack or the
mailbox may be down for a day), then kept `dead`, and the erasure is reported
`incomplete` with the step's last error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread

from bot.delivery.queue import QueueWorker, RetryPolicy
from bot.erasure.steps import ErasureSteps
from channels.errors import DeliveryError
from crm_store import Database
from crm_store import erasures as store
from crm_store.base import utcnow
from crm_store.erasures import ClaimedStep, ErasureRecord

log = logging.getLogger(__name__)

__all__ = ["ErasureQueue", "ErasureWorker"]


class ErasureQueue:
    """`bot.delivery.queue.Queue` over `erasure_steps`."""

    def __init__(
        self,
        database: Database,
        steps: ErasureSteps,
        *,
        lease_seconds: float = 300.0,
        clock: Callable[[], datetime] = utcnow,
        only_erasure: int | None = None,
    ) -> None:
        self._db = database
        self._steps = steps
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self._only = only_erasure
        self.finished: Callable[[ErasureRecord], None] = lambda erasure: None

    async def claim(self, limit: int) -> Sequence[ClaimedStep]:
        def claim() -> list[ClaimedStep]:
            with self._db.transaction() as session:
                return store.claim_due(
                    session,
                    now=self._clock(),
                    limit=limit,
                    lease=self._lease,
                    erasure_id=self._only,
                )

        return await to_thread.run_sync(claim)

    async def next_due(self, after: datetime) -> datetime | None:
        return await self._db.read_async(
            lambda session: store.next_due(session, after=after, erasure_id=self._only)
        )

    def lanes(self, rows: Sequence[ClaimedStep]) -> list[list[ClaimedStep]]:
        return [[row] for row in rows]

    async def perform(self, row: ClaimedStep) -> dict[str, Any]:
        return await self._steps.perform(row)

    async def done(self, row: ClaimedStep, result: dict[str, Any]) -> None:
        def write() -> ErasureRecord | None:
            with self._db.transaction() as session:
                return store.step_done(session, row.id, result)

        await self._after(await to_thread.run_sync(write))
        log.info("erasure step done", extra={"erasure_id": row.erasure_id, "step": row.name})

    async def retry(
        self, row: ClaimedStep, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                store.step_retry(
                    session, row.id, error=failure.reason, at=at, count_attempt=counted
                )

        await to_thread.run_sync(write)
        log.warning(
            "erasure step failed; will retry",
            extra={"erasure_id": row.erasure_id, "step": row.name, "error": failure.reason},
        )

    async def failed(self, row: ClaimedStep, failure: DeliveryError) -> None:
        await self._finish(row, "failed", failure)

    async def dead(self, row: ClaimedStep, failure: DeliveryError) -> None:
        await self._finish(row, "dead", failure)

    async def release(self, rows: Sequence[ClaimedStep]) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                store.release(session, [row.id for row in rows])

        await to_thread.run_sync(write)

    async def _finish(self, row: ClaimedStep, status: str, failure: DeliveryError) -> None:
        def write() -> ErasureRecord | None:
            with self._db.transaction() as session:
                return store.step_finished(session, row.id, status=status, error=failure.reason)

        await self._after(await to_thread.run_sync(write))
        log.error(
            "erasure step given up",
            extra={"erasure_id": row.erasure_id, "step": row.name, "status": status},
        )

    async def _after(self, finished: ErasureRecord | None) -> None:
        if finished is not None:
            # The steps' arguments (Message-IDs, Slack ts) are gone from the rows now;
            # on SQLite their old page images must not stay in the write-ahead log.
            await to_thread.run_sync(self._db.flush_log)
            log.info(
                "erasure finished", extra={"erasure_id": finished.id, "status": finished.status}
            )
            self.finished(finished)


class ErasureWorker(QueueWorker[ClaimedStep, dict[str, Any]]):
    """Works erasure steps until stopped (or, with `only_erasure`, one erasure's)."""

    def __init__(
        self,
        database: Database,
        steps: ErasureSteps,
        *,
        policy: RetryPolicy,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        only_erasure: int | None = None,
    ) -> None:
        self.erasures = ErasureQueue(database, steps, clock=clock, only_erasure=only_erasure)
        super().__init__(
            self.erasures,
            policy,
            poll_interval_seconds=poll_interval_seconds,
            clock=clock,
            name="erasures",
        )
