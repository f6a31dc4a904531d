"""Background workers: the one protocol they share and the one place that runs them.

A worker is anything with `run()` (work until asked to stop) and `stop(grace_seconds)`
(stop taking new work; let what is in flight finish within the grace, hand the rest
back). The delivery worker, the Slack call worker and the mail poller are workers;
the app's lifespan starts them all with `Workers.start()` and stops them all with
`Workers.stop()`, so a new worker is added by listing it in its channel's wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = ["Worker", "Workers"]


class Worker(Protocol):
    async def run(self) -> None: ...

    async def stop(self, grace_seconds: float) -> None: ...


class Workers:
    """Named workers, started together and stopped together."""

    def __init__(self, workers: Mapping[str, Worker]) -> None:
        self._workers = dict(workers)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def names(self) -> list[str]:
        return list(self._workers)

    def start(self) -> None:
        for name, worker in self._workers.items():
            self._tasks[name] = asyncio.create_task(worker.run(), name=name)

    async def stop(self, grace_seconds: float) -> None:
        """Ask every worker to stop (each finishes its sends in flight within the grace),
        then wait for their loops, cancelling any still running after the grace."""
        await asyncio.gather(
            *(worker.stop(grace_seconds) for worker in self._workers.values()),
            return_exceptions=True,
        )
        tasks = list(self._tasks.values())
        self._tasks.clear()
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in late:
            log.warning("worker did not stop in time; cancelled", extra={"worker": task.get_name()})
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
