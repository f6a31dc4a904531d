"""Singleton leases (crm_store/leases.py, bot/singletons.py) on a real PostgreSQL: one
holder at a time, and the work moves when the holder's connection goes."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.singletons import LeasedWorker
from crm_store.leases import AdvisoryLease, LocalLease, lease_for
from tests.support.postgres import admin_engine


class CountingWorker:
    """A worker that records each run and stop (one instance per tenure)."""

    def __init__(self, log: list[str], name: str) -> None:
        self._log = log
        self._name = name
        self._stop = asyncio.Event()

    async def run(self) -> None:
        self._log.append(f"{self._name} runs")
        await self._stop.wait()

    async def stop(self, grace_seconds: float) -> None:
        self._log.append(f"{self._name} stops")
        self._stop.set()


async def test_one_holder_at_a_time_and_release_hands_over(postgres_url: str) -> None:
    url = make_url(postgres_url)
    first, second = AdvisoryLease(url, "mail-poller"), AdvisoryLease(url, "mail-poller")
    other = AdvisoryLease(url, "campaigns")
    assert await first.acquire()
    assert not await second.acquire()
    assert await other.acquire()  # another name is another lease
    assert await first.still_held()
    await first.release()
    assert await second.acquire()
    await second.release()
    await other.release()


async def test_the_work_moves_when_the_holders_connection_dies(postgres_url: str) -> None:
    url = make_url(postgres_url)
    log: list[str] = []
    a = LeasedWorker(
        AdvisoryLease(url, "poller"), lambda: CountingWorker(log, "a"), retry_seconds=0.1,
        check_seconds=0.1,
    )  # fmt: skip
    b = LeasedWorker(
        AdvisoryLease(url, "poller"), lambda: CountingWorker(log, "b"), retry_seconds=0.1,
        check_seconds=0.1,
    )  # fmt: skip
    task_a = asyncio.create_task(a.run())
    await _until(lambda: a.holding)
    task_b = asyncio.create_task(b.run())
    await asyncio.sleep(0.5)
    assert (a.holding, b.holding) == (True, False)
    # The holder's session ends as a killed process's would: the server drops it. Only
    # the holder's: `b`'s own lease connection, trying for the lock, may be open too.
    admin = admin_engine(postgres_url)
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a"
                " JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted"
                " WHERE a.application_name LIKE 'switchboard lease poller pid %'"
                " AND a.datname = :db"
            ),
            {"db": url.database},
        ).all()
    admin.dispose()
    assert len(ended) == 1
    await _until(lambda: b.holding)
    # The old holder stops within its check interval of losing the lease (the new one
    # may start first: the lock went with the connection, before `a` could know).
    await _until(lambda: "a stops" in log and not a.holding, timeout=1.0)
    assert log.count("b runs") == 1 and log.count("a runs") == 1
    await b.stop()
    await a.stop()
    await asyncio.wait_for(asyncio.gather(task_a, task_b), 5)


async def test_sqlite_has_one_process_so_the_lease_is_always_granted() -> None:
    lease = lease_for(make_url("sqlite:///x.db"), "mail-poller")
    assert isinstance(lease, LocalLease)
    assert await lease.acquire() and await lease.still_held()


async def _until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
