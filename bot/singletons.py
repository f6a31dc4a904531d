"""Workers that must run in one process at a time, whatever the number of processes.

A `LeasedWorker` runs its worker only while this process holds the worker's lease
(crm_store.leases: a PostgreSQL advisory lock; always granted on SQLite). The others try
for the lease every `retry_seconds`, so when the holder dies the work moves to another
process within that interval (plus, for a machine that vanished, the lease's keepalive
timeout). A holder that finds its lease lost stops its worker at once and tries again
like the others. The worker is built afresh for each tenure by `build`, since a stopped
worker does not start again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.workers import Worker
from crm_store.leases import Lease
from crm_store.outage_log import OutageLog

log = logging.getLogger(__name__)

__all__ = ["LeasedWorker"]


class LeasedWorker:
    def __init__(
        self,
        lease: Lease,
        build: Callable[[], Worker],
        *,
        retry_seconds: float = 5.0,
        check_seconds: float = 2.0,
    ) -> None:
        self.lease = lease
        self._build = build
        self._retry = retry_seconds
        self._check = check_seconds
        self._stopping = asyncio.Event()
        self.holding = False  # this process runs the worker now
        self._outage = OutageLog(log, f"lease {lease.name}", extra={"lease": lease.name})

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                acquired = await self.lease.acquire()
            except Exception as exc:  # the database is away: try again later
                self._outage.failed(exc)
                acquired = False
            else:
                self._outage.recovered()
            if acquired:
                await self._hold()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._retry)

    async def _hold(self) -> None:
        worker = self._build()
        task = asyncio.create_task(worker.run(), name=f"leased {self.lease.name}")
        self.holding = True
        log.info(f"lease {self.lease.name} taken: running here", extra={"lease": self.lease.name})
        try:
            while not self._stopping.is_set() and not task.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._check)
                if not self._stopping.is_set() and not await self.lease.still_held():
                    log.error(
                        f"lease {self.lease.name} lost: stopping here",
                        extra={"lease": self.lease.name},
                    )
                    break
        finally:
            self.holding = False
            await worker.stop(0.0)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, self._check)
            await self.lease.release()

    async def stop(self, grace_seconds: float = 0.0) -> None:
        self._stopping.set()
