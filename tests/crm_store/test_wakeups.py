"""Wake-ups between processes (crm_store/wakeups.py) on a real PostgreSQL, and in-process
on SQLite: what one announces, every subscriber hears, batched, its own not twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url

from crm_store.wakeups import (
    QUEUE_HAS_WORK,
    RESYNC,
    PostgresWakeups,
    Wakeups,
    notify_now,
    wakeups_for,
)


class Heard:
    """A subscriber that records what it was told, and lets a test wait for it."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._changed = asyncio.Event()

    def __call__(self, key: str) -> None:
        self.keys.append(key)
        self._changed.set()

    async def until(self, count: int, timeout: float = 10.0) -> list[str]:
        async with asyncio.timeout(timeout):
            while len(self.keys) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.keys


@contextlib.asynccontextmanager
async def running(wakeups: PostgresWakeups) -> AsyncIterator[PostgresWakeups]:
    task = asyncio.create_task(wakeups.run())
    await asyncio.wait_for(wakeups.connected.wait(), 10)
    try:
        yield wakeups
    finally:
        await wakeups.stop()
        await asyncio.wait_for(task, 5)


async def test_in_process_wakeups_reach_subscribers_of_the_topic_only() -> None:
    wakeups = wakeups_for(make_url("sqlite:///unused.db"))
    assert type(wakeups) is Wakeups
    web, queue = Heard(), Heard()
    wakeups.on("web", web)
    wakeups.on(QUEUE_HAS_WORK, queue)
    wakeups.announce("web", "session-1")
    await asyncio.to_thread(wakeups.announce, QUEUE_HAS_WORK, "outbox")  # from a thread
    assert await web.until(1) == ["session-1"]
    assert await queue.until(1) == ["outbox"]


async def test_another_process_hears_an_announcement_and_its_own_hears_it_once(
    postgres_url: str,
) -> None:
    url = make_url(postgres_url)
    one, two = PostgresWakeups(url), PostgresWakeups(url)
    heard_by_one, heard_by_two = Heard(), Heard()
    one.on("web", heard_by_one)
    two.on("web", heard_by_two)
    async with running(one), running(two):
        one.announce("web", "session-7")
        assert await heard_by_two.until(1) == ["session-7"]
        assert await heard_by_one.until(1) == ["session-7"]
        await asyncio.sleep(0.3)  # its own NOTIFY comes back to it: skipped
        assert heard_by_one.keys == ["session-7"]


async def test_announcements_made_together_go_in_one_statement(postgres_url: str) -> None:
    url = make_url(postgres_url)
    sender, listener = PostgresWakeups(url), PostgresWakeups(url)
    heard = Heard()
    listener.on("web", heard)
    async with running(sender), running(listener):
        await asyncio.sleep(0.2)  # the notifier has connected
        before = sender.notify_statements
        for n in range(50):
            sender.announce("web", f"s-{n % 10}")  # ten sessions, five times each
        keys = await heard.until(10)
        assert sorted(keys) == sorted(f"s-{n}" for n in range(10))
        assert sender.notify_statements - before <= 2  # batched and coalesced
        assert sender.announced >= 50


async def test_a_cli_command_reaches_the_servers_and_a_reconnect_resyncs(
    postgres_url: str,
) -> None:
    url = make_url(postgres_url)
    server = PostgresWakeups(url, poll_seconds=0.5)
    queue, resync = Heard(), Heard()
    server.on(QUEUE_HAS_WORK, queue)
    server.on(RESYNC, resync)
    async with running(server):
        await asyncio.to_thread(notify_now, url, QUEUE_HAS_WORK, "outbox")
        assert await queue.until(1) == ["outbox"]
        # Once at connect, then at least once per poll interval: the safety net.
        assert len(await resync.until(3, timeout=5)) >= 3


def test_notify_now_does_nothing_on_sqlite() -> None:
    notify_now(make_url("sqlite:///unused.db"), QUEUE_HAS_WORK, "outbox")
