"""The retention job: every `privacy.retention_every_hours` it applies the retention
settings (crm_store/retention.py, the erasure's own rules) and keeps the counts of its
last run for `GET /api/v1/retention`. Off (not started) unless a limit is set.

One process at a time is enough and two are harmless: each run takes only rows that
still hold text, in small transactions, so concurrent runs share the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread

from bot.settings import PrivacySettings
from crm_store import Database
from crm_store.base import utcnow
from crm_store.retention import apply_retention

log = logging.getLogger(__name__)

__all__ = ["RetentionJob", "RetentionRun", "cutoffs"]

MONTH = timedelta(days=30)


def cutoffs(privacy: PrivacySettings, now: datetime) -> dict[str, datetime | None]:
    """The retention limits as times (a month is 30 days); None where none is set."""

    def before(months: int | None) -> datetime | None:
        return now - months * MONTH if months else None

    return {
        "conversations_before": before(privacy.conversations_months),
        "tickets_closed_before": before(privacy.closed_tickets_months),
        "attachments_before": before(privacy.attachments_months),
    }


@dataclass(frozen=True, slots=True)
class RetentionRun:
    started_at: datetime
    finished_at: datetime
    dry_run: bool
    removed: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "dry_run": self.dry_run,
            "removed": self.removed,
        }


def run_once(database: Database, privacy: PrivacySettings, *, dry_run: bool) -> RetentionRun:
    started = utcnow()
    removed = apply_retention(database.transaction, **cutoffs(privacy, started), dry_run=dry_run)
    if not dry_run and any(removed.values()):
        database.flush_log()
    return RetentionRun(started, utcnow(), dry_run, removed)


class RetentionJob:
    """A worker (`bot.workers.Worker`): runs retention now and then every period."""

    def __init__(self, database: Database, privacy: PrivacySettings) -> None:
        self._db = database
        self._privacy = privacy
        self._stop = asyncio.Event()
        self.last_run: RetentionRun | None = None

    @property
    def enabled(self) -> bool:
        return any(cutoffs(self._privacy, utcnow()).values())

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                # anyio's run_sync passes positional arguments only.
                self.last_run = await to_thread.run_sync(
                    lambda: run_once(self._db, self._privacy, dry_run=False)
                )
                log.info("retention applied", extra={"removed": self.last_run.removed})
            except Exception:
                log.exception("retention run failed; trying again next period")
            with contextlib.suppress(TimeoutError):
                period = self._privacy.retention_every_hours * 3600
                await asyncio.wait_for(self._stop.wait(), period)

    async def stop(self, grace_seconds: float = 0.0) -> None:
        self._stop.set()
