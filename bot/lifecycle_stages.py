"""The stage job: every `ANALYTICS__STAGES_EVERY_HOURS` it moves buyers gone silent to
`at_risk` and `lapsed` (analytics/stages.py), against the thresholds set in the
settings or else those of the last refit (learned from the base's purchase intervals).

It runs under a lease (bot/singletons.py), in one process at a time. Two runs at once
(a lease handing over, a refit from the CLI) are harmless: each batch locks its
customers and moves only those still out of date, and each move's event has a unique
key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from anyio import to_thread

from analytics.stages import apply_stages, current_thresholds
from crm_store import Database
from crm_store.base import utcnow

log = logging.getLogger(__name__)

__all__ = ["LifecycleStageJob"]


class LifecycleStageJob:
    """A `bot.workers.Worker`: applies the time-based lifecycle stages now and then
    every `every_hours`."""

    def __init__(
        self,
        database: Database,
        *,
        every_hours: float,
        at_risk_after_days: float | None = None,
        lapsed_after_days: float | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._every = every_hours * 3600
        self._at_risk = at_risk_after_days
        self._lapsed = lapsed_after_days
        self._clock = clock
        self._stopping = asyncio.Event()
        self.last_moved: int | None = None

    def run_once(self) -> int:
        """One pass; returns how many customers changed stage."""
        with self._db.transaction() as session:
            thresholds = current_thresholds(
                session, at_risk_after_days=self._at_risk, lapsed_after_days=self._lapsed
            )
        moved = apply_stages(self._db.transaction, thresholds, self._clock())
        if moved:
            log.info(
                "lifecycle stages moved",
                extra={
                    "customers": moved,
                    "at_risk_after_days": thresholds.at_risk_after_days,
                    "lapsed_after_days": thresholds.lapsed_after_days,
                },
            )
        self.last_moved = moved
        return moved

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await to_thread.run_sync(self.run_once)
            except Exception:
                log.exception("applying lifecycle stages failed; trying again next period")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._every)

    async def stop(self, grace_seconds: float = 0.0) -> None:
        self._stopping.set()
