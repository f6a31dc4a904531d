"""The campaign scheduler: starts scheduled campaigns when their time comes (freezing
the audience into the ledger) and marks sending campaigns done when their ledger has
nothing left; for live journeys it enrols whoever the trigger found and runs the due
steps (engagement/journey_triggers.py, journey_steps.py). It runs under the
`campaign-scheduler` lease (one process at a time); should two overlap for a moment,
starting is a conditional UPDATE, an enrolment is unique per trigger occurrence, due
enrolments are claimed with SKIP LOCKED, and a step's ledger row is unique per
(enrolment, step), so nothing is sent twice.

While a broadcast is sending or a journey is live it passes every `poll_interval_seconds`:
a send is finished when its ledger has nothing left and a journey's trigger finds whom
it enrols by reading the store, neither with a time to wait for. Otherwise there is
nothing to do before the first scheduled campaign's time: it sleeps until then, or
until woken (a campaign scheduled, resumed or cancelled anywhere: `wake`, through the
wake-ups), at most `idle_seconds` (the safety net)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy import select

from crm_store import Database, campaigns
from crm_store.base import utcnow
from crm_store.models import Campaign
from engagement.journey_steps import advance_due
from engagement.journey_triggers import enrol_new
from engagement.sends import finish_if_complete, miss_if_late, start_send

log = logging.getLogger(__name__)

__all__ = ["CampaignScheduler"]

DATE_PASS = timedelta(minutes=10)
JOURNEY_BATCH = 500


class CampaignScheduler:
    """Satisfies `bot.workers.Worker`."""

    def __init__(
        self,
        database: Database,
        *,
        holdout_salt: str,
        poll_interval_seconds: float = 5.0,
        idle_seconds: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
        started: Callable[[], None] = lambda: None,
    ) -> None:
        """`started` is called after a send's ledger is written (wakes the sender)."""
        self._db = database
        self._salt = holdout_salt
        self._poll = poll_interval_seconds
        self._idle = idle_seconds
        self._clock = clock
        self._started = started
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._date_passes: dict[int, datetime] = {}
        self.journeys_queued = 0
        # What the last pass found: work that polls (a send, a live journey); the
        # first scheduled campaign's time.
        self._busy = True
        self._next_start: datetime | None = None

    def tick(self) -> list[int]:
        """One pass (in a worker thread): start what is due, finish what is complete.
        Returns the campaigns started."""
        now = self._clock()
        with self._db.transaction() as session:
            due = campaigns.due_to_start(session, now)
            self._next_start = campaigns.next_start(session)
        begun = []
        for campaign_id in due:
            with self._db.transaction() as session:
                missed = miss_if_late(session, campaign_id, now)
            if missed is not None:
                assert missed.scheduled_at is not None
                log.warning(
                    "campaign not sent: its time passed too long ago; back to draft",
                    extra={
                        "campaign_id": campaign_id,
                        "scheduled_at": missed.scheduled_at.isoformat(),
                        "late_seconds": round((now - missed.scheduled_at).total_seconds()),
                    },
                )
                continue
            with self._db.transaction() as session:
                written = start_send(session, campaign_id, holdout_salt=self._salt, now=now)
            if written is not None:
                begun.append(campaign_id)
                log.info(
                    "campaign send started",
                    extra={"campaign_id": campaign_id, "recipients": written},
                )
        with self._db.transaction() as session:
            sending = list(
                session.scalars(
                    select(Campaign.id).where(
                        Campaign.status == "sending", Campaign.kind == "broadcast"
                    )
                )
            )
        for campaign_id in sending:
            with self._db.transaction() as session:
                if finish_if_complete(session, campaign_id, now):
                    log.info("campaign send finished", extra={"campaign_id": campaign_id})
        self.journeys_queued, live = self._run_journeys(now)
        self._busy = bool(sending or live)
        return begun

    def _run_journeys(self, now: datetime) -> tuple[int, int]:
        """Enrol what the live journeys' triggers found, then run the due steps; returns
        the ledger rows queued and the live journeys. Date triggers scan their segment,
        so they run every DATE_PASS rather than on every tick."""
        with self._db.transaction() as session:
            live = [
                c
                for c in campaigns.list_campaigns(session)
                if c.kind == "journey" and c.status == "sending"
            ]
        if not live:
            return 0, 0  # no journey's step can be due
        for journey in live:
            assert journey.journey is not None
            if "date" in journey.journey["trigger"]:
                last = self._date_passes.get(journey.id)
                if last is not None and now - last < DATE_PASS:
                    continue
                self._date_passes[journey.id] = now
            try:
                with self._db.transaction() as session:
                    entered = enrol_new(session, journey, salt=self._salt, now=now)
            except Exception:  # one journey's trouble does not hold up the others
                log.exception("journey trigger pass failed", extra={"campaign_id": journey.id})
                continue
            if entered:
                log.info("journey enrolled", extra={"campaign_id": journey.id, "count": entered})
        queued = 0
        while True:
            with self._db.transaction() as session:
                done = advance_due(session, now=now, limit=JOURNEY_BATCH)
            queued += done.pop("sends")
            if sum(done.values()) < JOURNEY_BATCH:
                return queued, len(live)

    def wake(self) -> None:
        """A campaign was scheduled, resumed or cancelled: pass now."""
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wakeup.clear()  # a wake during the pass makes the next one at once
            try:
                if await to_thread.run_sync(self.tick) or self.journeys_queued:
                    self._started()
            except Exception:
                log.exception("campaign scheduler pass failed; trying again")
                self._busy = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._seconds_to_next_pass())

    def _seconds_to_next_pass(self) -> float:
        wait = self._poll if self._busy else self._idle
        if self._next_start is None:
            return wait
        until = (self._next_start - self._clock()).total_seconds()
        return min(wait, until) if until > 0 else self._poll  # due, yet not started

    async def stop(self, grace_seconds: float) -> None:
        self._stopping = True
        self._wakeup.set()
