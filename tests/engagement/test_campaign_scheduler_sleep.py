"""The campaign scheduler with nothing sending and no live journey does not poll: it
sleeps until the first scheduled campaign's time, or until woken (on both databases)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.delivery.campaign_scheduler import CampaignScheduler
from crm_store import Database
from crm_store.base import utcnow
from tests.support.campaigns import OPEN_RULES, campaign, schedule
from tests.support.waiting import until


def idle_scheduler(database: Database) -> tuple[CampaignScheduler, list[list[int]]]:
    """A scheduler that would poll every 10 ms while busy and sleeps a minute when idle;
    the campaigns each of its passes started, pass by pass."""
    scheduler = CampaignScheduler(
        database, holdout_salt="salt", poll_interval_seconds=0.01, idle_seconds=60.0
    )
    passes: list[list[int]] = []
    tick = scheduler.tick

    def counted() -> list[int]:
        begun = tick()
        passes.append(begun)
        return begun

    scheduler.tick = counted  # type: ignore[method-assign]
    return scheduler, passes


async def test_an_idle_scheduler_passes_again_only_when_woken(database: Database) -> None:
    scheduler, passes = idle_scheduler(database)
    running = asyncio.create_task(scheduler.run())
    await until(lambda: len(passes) == 1)
    await asyncio.sleep(0.3)
    assert len(passes) == 1  # nothing to do: no pass every 10 ms
    scheduler.wake()  # as a campaign scheduled anywhere does, through the wake-ups
    await until(lambda: len(passes) == 2)
    await scheduler.stop(0.0)
    await asyncio.wait_for(running, timeout=5.0)
    assert len(passes) == 2


async def test_a_scheduled_campaign_starts_at_its_time_without_a_wake_up(
    database: Database,
) -> None:
    at = utcnow() + timedelta(seconds=0.5)
    found = schedule(database, campaign(database), OPEN_RULES, utcnow(), at=at)
    scheduler, passes = idle_scheduler(database)
    running = asyncio.create_task(scheduler.run())
    await until(lambda: any(passes))
    started_at = utcnow()
    await scheduler.stop(0.0)
    await asyncio.wait_for(running, timeout=5.0)
    assert started_at >= at
    # The first pass found it waiting; the next, at its time, started it (one more if
    # the timer fired a hair early); no passes between.
    assert passes[:2] == [[], [found.id]] or passes[:3] == [[], [], [found.id]]
