"""The campaign scheduler: starts scheduled campaigns when their time comes (freezing
the audience into the ledger) and marks sending campaigns done when their ledger has
nothing left. Any number may run (one per app process): starting is a conditional
UPDATE, so one scheduler freezes a campaign and the others find it started."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from anyio import to_thread
from sqlalchemy import select

from crm_store import Database, campaigns
from crm_store.base import utcnow
from crm_store.models import Campaign
from engagement.sends import finish_if_complete, start_send

log = logging.getLogger(__name__)

__all__ = ["CampaignScheduler"]


class CampaignScheduler:
    """Satisfies `bot.workers.Worker`."""

    def __init__(
        self,
        database: Database,
        *,
        holdout_salt: str,
        poll_interval_seconds: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        started: Callable[[], None] = lambda: None,
    ) -> None:
        """`started` is called after a send's ledger is written (wakes the sender)."""
        self._db = database
        self._salt = holdout_salt
        self._poll = poll_interval_seconds
        self._clock = clock
        self._started = started
        self._stopping = asyncio.Event()

    def tick(self) -> list[int]:
        """One pass (in a worker thread): start what is due, finish what is complete.
        Returns the campaigns started."""
        now = self._clock()
        with self._db.transaction() as session:
            due = campaigns.due_to_start(session, now)
        begun = []
        for campaign_id in due:
            with self._db.transaction() as session:
                written = start_send(session, campaign_id, holdout_salt=self._salt, now=now)
            if written is not None:
                begun.append(campaign_id)
                log.info(
                    "campaign send started",
                    extra={"campaign_id": campaign_id, "recipients": written},
                )
        with self._db.transaction() as session:
            sending = list(session.scalars(select(Campaign.id).where(Campaign.status == "sending")))
        for campaign_id in sending:
            with self._db.transaction() as session:
                if finish_if_complete(session, campaign_id, now):
                    log.info("campaign send finished", extra={"campaign_id": campaign_id})
        return begun

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if await to_thread.run_sync(self.tick):
                    self._started()
            except Exception:
                log.exception("campaign scheduler pass failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._poll)

    async def stop(self, grace_seconds: float) -> None:
        self._stopping.set()
